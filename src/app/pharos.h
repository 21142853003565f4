// pharosd's use cases, as every front end reaches them: only through
// `pharos.Authorized(permissions)`, a view that checks the caller's role
// for each use case and writes the audit record. The front ends (gRPC,
// pharos-cni, later others) convert their wire format to these calls and
// back; they hold no store, registry or controller of their own. The use
// cases are named after the API's methods (spec §15 and pharos.ctl.v1),
// which is also what the role table and the audit log use.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "app/audit_log.h"
#include "app/watch.h"
#include "auth/permissions.h"
#include "cloud/connector.h"
#include "core/config_controller.h"
#include "core/diagnostics.h"
#include "core/named_networks.h"
#include "core/pod_manager.h"
#include "core/service_registry.h"
#include "plan/plan.h"
#include "security/policy_enforcer.h"
#include "security/tls_ingress.h"
#include "store/event_store.h"
#include "store/outbox_store.h"
#include "store/security_store.h"

namespace pharos::app {

// The least role a use case needs ("ApplyConfiguration" -> admin). A name
// not in the table needs admin: a use case added without a role is closed.
auth::Role RequiredRole(std::string_view use_case);

struct CallbackStatus {
  std::string endpoint;  // "" when notifications are only queued
  std::string flavour;
  int64_t pending = 0;
  int64_t dropped = 0;
  std::optional<store::OutboxEntry> oldest;
  int64_t dead_lettered = 0;
  std::vector<store::OutboxEntry> dead_letters;  // newest first
};

struct SecurityStatus {
  security::PolicyEnforcer::View view;
  bool ingress_enabled = false;
  std::optional<security::IngressPlacement> ingress_at;
  int ingress_port = 0;
  security::IngressStats ingress_stats;
};

struct ServiceConnectivity {
  core::RouteAnswer route;
  std::optional<core::ConnectivityAnswer> probe;  // only when routable
};

struct EmergencyOutcome {
  absl::Status status;
  std::string active_mode;  // after the call ("" for none)
};

struct VersionPlan {
  int64_t version_id = 0;
  plan::Plan plan;
};

struct ServerVersion {
  std::string version;     // PHAROS_VERSION
  std::string dataplane;   // plan | emulated | host
  std::string started_at;  // ISO 8601 UTC
};

// Where notifications go (GetCallbackStatus).
struct CallbackSettings {
  std::string endpoint;
  std::string flavour;
};

// The parts the use cases run on; all outlive the Pharos.
struct Parts {
  core::ConfigController& controller;
  core::Diagnostics& diagnostics;
  core::PodManager& pods;
  core::NamedNetworks& networks;
  core::ServiceRegistry& services;
  security::PolicyEnforcer& security;
  const security::TlsIngress* ingress;  // null: pharosd runs no TLS ingress
  store::EventStore& network_events;
  store::SecurityEventStore& security_events;
  store::AuditStore& audit_rows;
  store::OutboxStore& outbox;  // read only
  WatchFeed& watch;
  cloud::CloudConnector& cloud;
  CallbackSettings callbacks;
  ServerVersion about;
};

class AuthorizedPharos;

class Pharos {
 public:
  Pharos(Parts parts, AuditLog& audit) : parts_(std::move(parts)), audit_(audit) {}
  // The use cases as `permissions` may call them. `abandoned` (optional)
  // tells a long change whether its caller is still there.
  AuthorizedPharos Authorized(const auth::Permissions& permissions,
                              core::Abandoned abandoned = nullptr);

 private:
  friend class AuthorizedPharos;
  Parts parts_;
  AuditLog& audit_;
};

// One caller's view. Every method checks the role first (UNAUTHENTICATED
// or PERMISSION_DENIED, and nothing runs), runs the use case, and audits
// refusals and every operator or admin call with its outcome.
class AuthorizedPharos {
 public:
  // pharos.api.v1.PharosService
  // `read` turns the caller's fields into the request; it runs only once
  // the caller may ask (an unauthenticated caller learns nothing of why
  // its text would be refused).
  using PodRequestReader = std::function<absl::StatusOr<core::PodRequest>()>;
  core::PodRequestAnswer RequestNetworkPod(const PodRequestReader& read);
  // pharos.api.v1.PharosNetworkManager: networks by name (what is done).
  absl::StatusOr<std::string> SetupNetwork(const std::string& name, const std::string& mode);
  absl::StatusOr<std::string> RemoveNetwork(const std::string& name);
  core::ChangeOutcome ConfigureVehicleNetwork(std::string_view yaml, bool dry_run);
  core::ChangeOutcome UpdateNetworkConfiguration(std::string_view yaml, bool incremental);
  core::ChangeOutcome ApplyConfiguration(std::string_view yaml, bool validate_only);
  core::ChangeOutcome RollbackConfiguration(std::string_view target);
  absl::StatusOr<core::Analysis> ValidateConfiguration(std::string_view yaml);
  absl::StatusOr<std::string> RegisterService(const std::string& name, const std::string& host,
                                              int port, const std::string& protocol,
                                              const std::map<std::string, std::string>& metadata);
  absl::Status DeregisterService(const std::string& id);
  absl::Status UpdateServiceEndpoint(const std::string& id, const std::string& host, int port);
  // Components of the configuration, then the registered services as
  // components of type "service" (status: their health).
  absl::StatusOr<std::vector<core::ComponentStatus>> GetNetworkStatus(std::string_view filter);
  absl::StatusOr<ServiceConnectivity> GetServiceConnectivity(std::string_view source,
                                                             std::string_view target);
  absl::StatusOr<std::vector<core::ComponentMetrics>> GetNetworkMetrics(std::string_view component,
                                                                        int duration_seconds);
  absl::StatusOr<core::ConnectivityAnswer> TestConnectivity(const core::ConnectivityQuery& query);
  absl::StatusOr<core::RouteAnswer> GetRouteInfo(std::string_view source,
                                                 std::string_view destination);
  security::PolicyChange ConfigureSecurityPolicy(std::string_view yaml);
  absl::Status ConfigureCloudFeeding(const cloud::FeedConfig& config);
  absl::StatusOr<cloud::FeedStatus> GetCloudFeedingStatus();
  EmergencyOutcome EmergencyNetworkMode(bool activate, std::string_view mode);

  // pharos.ctl.v1.PharosControlService
  absl::StatusOr<std::vector<store::ConfigVersion>> ListConfigVersions();
  absl::StatusOr<store::ConfigVersion> GetConfigVersion(std::string_view id);
  absl::StatusOr<VersionPlan> GetPlan(std::string_view version_id);
  core::ChangeOutcome Teardown();
  absl::StatusOr<std::vector<store::NetworkEvent>> ListNetworkEvents(int64_t after_id, int limit);
  absl::StatusOr<CallbackStatus> GetCallbackStatus();
  absl::StatusOr<std::vector<core::PodLease>> ListLeases();
  absl::StatusOr<std::vector<core::ServiceView>> ListServices(const core::ServiceFilter& filter);
  absl::StatusOr<std::vector<store::SecurityEventRow>> ListSecurityEvents(int64_t after_id,
                                                                          int limit);
  absl::StatusOr<SecurityStatus> GetSecurityStatus();
  absl::StatusOr<std::vector<store::AuditRow>> ListAuditLog(int64_t after_id, int limit);
  // From `resume_token` ("" : from now on; `from_oldest`: everything still
  // kept), of `kinds` (empty: all). InvalidArgument for a bad token or kind.
  absl::StatusOr<ServerVersion> GetVersion();
  // The feed with its queue, counters and uplink (pharosctl cloud status).
  absl::StatusOr<cloud::FeedStatus> GetCloudStatus();
  absl::StatusOr<WatchCursor> Watch(std::string_view resume_token,
                                    const std::vector<std::string>& kinds, bool from_oldest);

  const auth::Permissions& permissions() const { return who_; }

 private:
  friend class Pharos;
  AuthorizedPharos(Pharos& pharos, auth::Permissions who, core::Abandoned abandoned)
      : p_(pharos), who_(std::move(who)), abandoned_(std::move(abandoned)) {}
  // Checks the role of `use_case`, runs `work`, audits; R is a result type
  // that carries an absl::Status (see StatusOf/Refused in pharos.cc).
  template <typename R, typename Work>
  R Run(std::string_view use_case, Work&& work);

  Pharos& p_;
  const auth::Permissions who_;
  const core::Abandoned abandoned_;
};

}  // namespace pharos::app
