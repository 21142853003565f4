#include "unit/plan_core.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>

#include "cloud/transports.h"

namespace pharos::testing {
namespace {

std::unique_ptr<store::Database> Open(const std::filesystem::path& file) {
  auto db = store::Database::Open(file.string());
  if (!db.ok()) throw std::runtime_error(std::string(db.status().message()));
  return std::move(*db);
}

}  // namespace

PlanCore::PlanCore() {
  static std::atomic<int> counter{0};
  dir = std::filesystem::temp_directory_path() /
        ("pharos-plancore-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::path file = dir / "pharos.db";
  auto opened = store::ConfigStore::Open(Open(file), clock);
  if (!opened.ok()) throw std::runtime_error(std::string(opened.status().message()));
  config = std::move(*opened);
  notify_db = Open(file);
  pods_db = Open(file);
  services_db = Open(file);
  security_db = Open(file);
  audit_db = Open(file);
  watch_db = Open(file);
  watch = std::make_unique<app::WatchFeed>(*watch_db, clock);
  notifier = std::make_unique<callbacks::Notifier>(
      *notify_db, clock, callbacks::NotifierOptions{1000}, [this] { watch->Wake(); });
  runtime_pods = std::make_unique<core::RuntimePodTable>(*pods_db);
  controller = std::make_unique<core::ConfigController>(*config, backend, core::ControllerOptions{},
                                                        notifier.get(), runtime_pods.get());
  registry =
      std::make_unique<core::ServiceRegistry>(*services_db, *controller, clock, notifier.get());
  enforcer = std::make_unique<security::PolicyEnforcer>(*security_db, clock, nullptr, nullptr,
                                                        security::EnforcerOptions{});
  // The tests' runtime namespace is their own (/proc/self/ns/net), which
  // the real judge refuses: every path is fine here.
  networks = std::make_unique<core::NamedNetworks>(*controller, *runtime_pods, clock);
  pods = std::make_unique<core::PodManager>(
      *controller, *runtime_pods, *notifier, clock, std::chrono::seconds(30),
      [](const std::string&, const std::string&, const std::string&) { return std::string(); });
  diagnostics =
      std::make_unique<core::Diagnostics>(*controller, backend, registry.get(), enforcer.get());
  network_events = std::make_unique<store::EventStore>(config->db(), clock);
  security_events = std::make_unique<store::SecurityEventStore>(config->db(), clock);
  audit_rows = std::make_unique<store::AuditStore>(*audit_db, clock);
  outbox = std::make_unique<store::OutboxStore>(config->db(), clock, 1000);
  cloud_db = Open(dir / "cloud.db");
  cloud_reader_db = Open(dir / "cloud.db");
  cloud_queue = std::move(cloud::FeedQueue::Open(*cloud_db, *cloud_reader_db, clock, {}).value());
  cloud_fields =
      std::make_unique<daemon::PharosCloudFields>(*controller, *diagnostics, *registry, *enforcer);
  cloud_events = std::make_unique<daemon::JournalEvents>(*watch);
  cloud::ConnectorOptions cloud_options;
  cloud_options.make_transport = cloud::MakeTransport;
  cloud = std::make_unique<cloud::CloudConnector>(*cloud_queue, *cloud_fields, nullptr,
                                                  cloud_events.get(), clock, cloud_options);
  if (!cloud->Start().ok()) throw std::runtime_error("the cloud connector did not start");
  std::ofstream(dir / "tokens") << kViewerToken << " viewer alice\n"
                                << kOperatorToken << " operator bob\n"
                                << kAdminToken << " admin carol\n";
  auto sources = auth::Authenticator::Sources::Load({(dir / "tokens").string(), "", ""});
  if (!sources.ok()) throw std::runtime_error(std::string(sources.status().message()));
  authenticator = std::make_unique<auth::Authenticator>(std::move(*sources), clock);
  audit = std::make_unique<app::AuditLog>(audit_rows.get());
  pharos = std::make_unique<app::Pharos>(app::Parts{*controller,
                                                    *diagnostics,
                                                    *pods,
                                                    *networks,
                                                    *registry,
                                                    *enforcer,
                                                    nullptr,
                                                    *network_events,
                                                    *security_events,
                                                    *audit_rows,
                                                    *outbox,
                                                    *watch,
                                                    *cloud,
                                                    {"", "pharos"},
                                                    {"test", "plan", "2026-01-01T00:00:00Z"}},
                                         *audit);
}

PlanCore::~PlanCore() {
  watch->Close();
  pods->Stop();
  pharos.reset();
  cloud.reset();
  pods.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

auth::Permissions PlanCore::As(const std::string& token) const {
  auth::Credentials c;
  c.bearer_token = token;
  c.peer = "unit-test";
  return authenticator->Authenticate(c);
}

}  // namespace pharos::testing
