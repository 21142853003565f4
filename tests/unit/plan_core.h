// pharosd's core parts over the plan dataplane (nothing touches the
// kernel) and real SQLite files in a temporary directory: what the unit
// tests of the registry, the pod path, pharos-cni's service, the
// diagnostics and the use-case view run against, without root.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "app/audit_log.h"
#include "app/pharos.h"
#include "auth/authenticator.h"
#include "callbacks/notifier.h"
#include "cloud/connector.h"
#include "common/clock.h"
#include "core/config_controller.h"
#include "core/diagnostics.h"
#include "core/pod_manager.h"
#include "core/runtime_pods.h"
#include "core/service_registry.h"
#include "daemon/cloud_sources.h"
#include "dataplane/plan_backend.h"
#include "security/policy_enforcer.h"
#include "store/config_store.h"
#include "store/event_store.h"
#include "store/outbox_store.h"
#include "store/security_store.h"

namespace pharos::testing {

// Tokens of the fixture's Authenticator (subject alice/bob/carol).
inline constexpr char kViewerToken[] = "viewer-token-0123456789";
inline constexpr char kOperatorToken[] = "operator-token-0123456789";
inline constexpr char kAdminToken[] = "admin-token-0123456789";

class PlanCore {
 public:
  PlanCore();
  ~PlanCore();

  // The permissions a caller with `token` gets ("" for none).
  auth::Permissions As(const std::string& token) const;
  app::AuthorizedPharos View(const std::string& token) { return pharos->Authorized(As(token)); }

  std::filesystem::path dir;
  SystemClock clock;
  std::unique_ptr<store::ConfigStore> config;
  std::unique_ptr<store::Database> notify_db, pods_db, services_db, security_db, audit_db, watch_db;
  dataplane::PlanBackend backend;
  std::unique_ptr<callbacks::Notifier> notifier;
  std::unique_ptr<core::RuntimePodTable> runtime_pods;
  std::unique_ptr<core::ConfigController> controller;
  std::unique_ptr<core::ServiceRegistry> registry;
  std::unique_ptr<security::PolicyEnforcer> enforcer;
  std::unique_ptr<core::PodManager> pods;
  std::unique_ptr<core::NamedNetworks> networks;
  std::unique_ptr<core::Diagnostics> diagnostics;
  std::unique_ptr<store::EventStore> network_events;
  std::unique_ptr<store::SecurityEventStore> security_events;
  std::unique_ptr<store::AuditStore> audit_rows;
  std::unique_ptr<store::OutboxStore> outbox;
  std::unique_ptr<app::WatchFeed> watch;
  // The cloud connector over its own cloud.db (transports as in pharosd).
  std::unique_ptr<store::Database> cloud_db, cloud_reader_db;
  std::unique_ptr<cloud::FeedQueue> cloud_queue;
  std::unique_ptr<daemon::PharosCloudFields> cloud_fields;
  std::unique_ptr<daemon::JournalEvents> cloud_events;
  std::unique_ptr<cloud::CloudConnector> cloud;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<app::AuditLog> audit;
  std::unique_ptr<app::Pharos> pharos;
};

}  // namespace pharos::testing
