// pharosd as one object: its parts are members, declared (and so built) in
// dependency order and destroyed in reverse; each part's destructor stops
// its threads. A part gets what it needs as references when it is built;
// optional parts are null pointers (`--dataplane plan` has no firewall,
// no drift monitor, no discovery). Parts that follow another part
// (converged topology, registry changes) hold a Subscription declared
// after both, so it goes first.
//
// Where a new subsystem goes: a member after what it reads, a
// Subscription if it follows the controller or the registry, and the
// front ends that serve it last. docs/architecture.md draws it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/grpc/authorized_call.h"
#include "api/grpc/control_service.h"
#include "api/grpc/pharos_service.h"
#include "api/pullpiri/network_manager_service.h"
#include "app/audit_log.h"
#include "app/pharos.h"
#include "auth/authenticator.h"
#include "callbacks/dispatcher.h"
#include "callbacks/notifier.h"
#include "cloud/connector.h"
#include "cloud/kuksa/kuksa_fields.h"
#include "cni/cni_service.h"
#include "cni/socket_server.h"
#include "common/clock.h"
#include "core/config_controller.h"
#include "core/dds_discovery.h"
#include "core/diagnostics.h"
#include "core/named_networks.h"
#include "core/pod_manager.h"
#include "core/runtime_pods.h"
#include "core/service_health.h"
#include "core/service_registry.h"
#include "core/someip_discovery.h"
#include "daemon/cloud_sources.h"
#include "daemon/daemon_options.h"
#include "dataplane/linux_backend.h"
#include "dataplane/monitor.h"
#include "probes/service_prober.h"
#include "security/event_monitor.h"
#include "security/policy_enforcer.h"
#include "security/tls_ingress.h"
#include "store/config_store.h"
#include "store/event_store.h"
#include "store/outbox_store.h"
#include "store/security_store.h"

namespace pharos {

// What can fail before any part is built: the state database's
// connections, the dataplane, the token sources. Opened by Daemon::Create.
struct DaemonResources {
  std::string db_path;
  std::unique_ptr<store::ConfigStore> config;
  // One connection per part that writes concurrently with the others.
  std::unique_ptr<store::Database> notify_db, dispatch_db, pods_db, services_db, security_db,
      audit_db, watch_db;
  std::unique_ptr<dataplane::DataplaneBackend> backend;
  dataplane::LinuxBackend* linux_backend = nullptr;  // = backend, unless --dataplane plan
  auth::Authenticator::Sources auth_sources;
  // The cloud connector's own file (cloud.db): its writer, its reader, the
  // queue over them, and the token it reads pharos-broker with.
  std::unique_ptr<store::Database> cloud_db, cloud_reader_db;
  std::unique_ptr<cloud::FeedQueue> cloud_queue;
  std::string cloud_signal_token;
};

class Daemon {
 public:
  // Checks the options, opens the resources, builds every part and starts
  // them in order: recovery of the stored configuration, the workers, the
  // pharos-cni socket, the gRPC server last. An error says which part.
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(const DaemonOptions& options,
                                                       const Clock& clock);
  ~Daemon();

  // host:port the gRPC server listens on (the port resolved).
  const std::string& address() const { return address_; }
  // Stops accepting calls and lets in-flight ones finish (5 s); the parts
  // stop when the Daemon is destroyed.
  void Shutdown();

  // The order the parts were started in (Daemon's own unit test).
  const std::vector<std::string>& started() const { return started_; }

 private:
  Daemon(const DaemonOptions& options, const Clock& clock, DaemonResources resources);
  absl::Status StartParts();
  std::unique_ptr<security::TlsIngress> BuildIngress();
  std::unique_ptr<core::DdsDiscovery> BuildDds();
  plan::NodeNamespaces NodeNamespaces() const;
  void OnConverged(const core::Converged& now);
  void RepairDrift();

  const DaemonOptions options_;
  const Clock& clock_;
  DaemonResources r_;
  absl::Status build_error_;  // a part that could not be built (the ingress's files)
  std::vector<std::string> started_;

  // Notifications: queued by the notifier, delivered by the dispatcher;
  // the watch journal, written with them, read by the watchers.
  app::WatchFeed watch_feed_;
  store::OutboxStore dispatch_outbox_;
  std::unique_ptr<callbacks::Dispatcher> dispatcher_;  // null: --callback-endpoint none
  callbacks::Notifier notifier_;
  store::AuditStore audit_;
  store::EventStore network_events_;
  store::SecurityEventStore security_events_;
  store::OutboxStore outbox_reader_;

  // The configuration and the pods requested at run time.
  core::RuntimePodTable runtime_pods_;
  core::ConfigController controller_;
  core::ServiceRegistry registry_;
  probes::ServiceProber prober_;
  core::HealthMonitor health_;
  std::unique_ptr<core::SomeIpDiscovery> someip_;  // null: off or plan mode
  std::unique_ptr<core::DdsDiscovery> dds_;        // null: off, plan mode or no watcher

  // The security controller: the firewall and the NFLOG readers only when
  // the dataplane is real; the ingress only with its three files.
  std::unique_ptr<security::NftFirewall> firewall_;
  std::unique_ptr<security::EventMonitor> event_monitor_;
  security::PolicyEnforcer enforcer_;
  std::unique_ptr<security::TlsIngress> ingress_;
  const plan::NodeNamespaces namespaces_;

  // Who follows whom.
  core::ConfigController::ConvergedObservers::Subscription on_converged_;
  ObserverList<>::Subscription on_services_changed_;

  // The sources of change: pods, drift repair, pharos-cni.
  core::PodManager pods_;
  core::NamedNetworks networks_;
  std::unique_ptr<dataplane::NetlinkMonitor> monitor_;  // null in plan mode
  core::Diagnostics diagnostics_;
  cni::CniService cni_service_;
  std::unique_ptr<cni::SocketServer> cni_server_;

  // The cloud connector: pharosd's own fields, the journal as events,
  // VSS signals from pharos-broker (null: no --cloud-signal-broker).
  daemon::PharosCloudFields cloud_fields_;
  daemon::JournalEvents cloud_events_;
  std::unique_ptr<cloud::KuksaFields> cloud_signals_;
  cloud::CloudConnector cloud_;

  // The front ends: the use cases behind the permission check, and the
  // gRPC services over them.
  auth::Authenticator authenticator_;
  app::AuditLog audit_log_;
  app::Pharos pharos_;
  api::AuthorizedServices authorized_;
  api::PharosServiceImpl pharos_service_;
  api::PullpiriPodServiceImpl pullpiri_service_;
  api::PullpiriNetworkManagerImpl pullpiri_networks_;
  api::ControlServiceImpl control_service_;
  std::unique_ptr<::grpc::Server> server_;
  std::string address_;
};

}  // namespace pharos
