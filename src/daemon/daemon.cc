#include "daemon/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "api/grpc/decode_errors.h"
#include "common/strings.h"
#include "daemon/wiring.h"

namespace pharos {
namespace {

using dataplane::DataplaneMode;

absl::StatusOr<std::unique_ptr<store::Database>> OpenConnection(const std::string& path) {
  auto db = store::Database::Open(path);
  if (!db.ok()) {
    return absl::Status(db.status().code(),
                        StrCat("state database ", path, ": ", db.status().message()));
  }
  return std::move(*db);
}

// The API's certificate files, read when the server is built: a missing
// one would otherwise surface as "cannot listen".
absl::Status CheckReadable(const DaemonOptions& o) {
  for (const auto& [flag, path] :
       {std::pair{"--tls-cert", &o.tls_cert}, std::pair{"--tls-key", &o.tls_key},
        std::pair{"--tls-client-ca", &o.tls_client_ca}}) {
    if (!path->empty() && !std::ifstream(*path)) {
      return absl::NotFoundError(StrCat("cannot read ", flag, " ", *path));
    }
  }
  return absl::OkStatus();
}

// cloud.db beside pharos.db: the queue writes at the feed's pace and must
// not contend with the configuration's writer.
absl::Status OpenCloud(const DaemonOptions& o, const Clock& clock, DaemonResources& r) {
  std::string path = (std::filesystem::path(o.state_dir) / "cloud.db").string();
  for (std::unique_ptr<store::Database>* db : {&r.cloud_db, &r.cloud_reader_db}) {
    absl::StatusOr<std::unique_ptr<store::Database>> opened = OpenConnection(path);
    if (!opened.ok()) return opened.status();
    *db = std::move(*opened);
  }
  cloud::QueueLimits limits{o.cloud.queue_max_mb * 1024 * 1024,
                            std::chrono::hours(o.cloud.queue_max_age_hours)};
  auto queue = cloud::FeedQueue::Open(*r.cloud_db, *r.cloud_reader_db, clock, limits);
  if (!queue.ok()) {
    return absl::Status(queue.status().code(),
                        StrCat("cloud queue ", path, ": ", queue.status().message()));
  }
  r.cloud_queue = std::move(*queue);
  if (!o.cloud.signal_token_file.empty()) {
    std::ifstream in(o.cloud.signal_token_file);
    if (!in)
      return absl::NotFoundError(
          StrCat("cannot read --cloud-signal-token-file ", o.cloud.signal_token_file));
    std::getline(in, r.cloud_signal_token);
  }
  return absl::OkStatus();
}

absl::StatusOr<DaemonResources> OpenResources(const DaemonOptions& o, const Clock& clock) {
  if (absl::Status s = CheckReadable(o); !s.ok()) return s;
  DaemonResources r;
  std::error_code ec;
  std::filesystem::create_directories(o.state_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("cannot create state directory ", o.state_dir, ": ", ec.message()));
  }
  r.db_path = (std::filesystem::path(o.state_dir) / "pharos.db").string();
  absl::StatusOr<std::unique_ptr<store::Database>> main = OpenConnection(r.db_path);
  if (!main.ok()) return main.status();
  auto config = store::ConfigStore::Open(std::move(*main), clock);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        StrCat("state database ", r.db_path, ": ", config.status().message()));
  }
  r.config = std::move(*config);
  for (std::unique_ptr<store::Database>* db :
       {&r.notify_db, &r.dispatch_db, &r.pods_db, &r.services_db, &r.security_db, &r.audit_db,
        &r.watch_db}) {
    absl::StatusOr<std::unique_ptr<store::Database>> opened = OpenConnection(r.db_path);
    if (!opened.ok()) return opened.status();
    *db = std::move(*opened);
  }
  // The registry is soft state: after a power loss every service restarts
  // and registers again (pods re-sync, SD re-offers), so its commits need
  // not wait for the disk (WAL + synchronous=NORMAL is still safe against
  // a crash of pharosd). Its notifications go through the outbox, which does.
  (void)r.services_db->Exec("PRAGMA synchronous=NORMAL;");
  dataplane::BackendOptions backend{o.dataplane, o.node, o.interface_prefix};
  if (o.dataplane == DataplaneMode::kPlan) {
    r.backend = dataplane::CreateBackend(backend).value();
  } else {
    auto linux_backend = dataplane::CreateLinuxBackend(backend);
    if (!linux_backend.ok()) return linux_backend.status();
    r.linux_backend = linux_backend->get();
    r.backend = std::move(*linux_backend);
  }
  auto sources =
      auth::Authenticator::Sources::Load({o.auth_tokens, o.auth_jwt_key, o.auth_jwt_issuer});
  if (!sources.ok()) {
    return absl::Status(sources.status().code(),
                        StrCat("authorization: ", sources.status().message()));
  }
  r.auth_sources = std::move(*sources);
  if (absl::Status s = OpenCloud(o, clock, r); !s.ok()) return s;
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const DaemonOptions& o) {
  if (o.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(
      o.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_key_cert_pairs.push_back({ReadFile(o.tls_key), ReadFile(o.tls_cert)});
  if (!o.tls_client_ca.empty()) ssl.pem_root_certs = ReadFile(o.tls_client_ca);
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const DaemonOptions& options,
                                                      const Clock& clock) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  absl::StatusOr<DaemonResources> resources = OpenResources(options, clock);
  if (!resources.ok()) return resources.status();
  std::unique_ptr<Daemon> d(new Daemon(options, clock, std::move(*resources)));
  if (!d->build_error_.ok()) return d->build_error_;
  if (absl::Status s = d->StartParts(); !s.ok()) return s;
  return d;
}

Daemon::Daemon(const DaemonOptions& options, const Clock& clock, DaemonResources resources)
    : options_(options),
      clock_(clock),
      r_(std::move(resources)),
      watch_feed_(*r_.watch_db, clock_),
      dispatch_outbox_(*r_.dispatch_db, clock_, options_.outbox_capacity),
      dispatcher_(options_.DeliversCallbacks()
                      ? std::make_unique<callbacks::Dispatcher>(
                            dispatch_outbox_,
                            callbacks::CreateCallbackClient(daemon::DispatcherOptionsOf(options_)),
                            daemon::DispatcherOptionsOf(options_))
                      : nullptr),
      notifier_(
          *r_.notify_db, clock_,
          {options_.outbox_capacity, options_.security_events_keep, options_.watch_journal_keep},
          [this] {
            if (dispatcher_) dispatcher_->Wake();
            watch_feed_.Wake();
          }),
      audit_(*r_.audit_db, clock_, options_.audit_log_keep),
      network_events_(r_.config->db(), clock_),
      security_events_(r_.config->db(), clock_),
      outbox_reader_(r_.config->db(), clock_, options_.outbox_capacity),
      runtime_pods_(*r_.pods_db),
      controller_(*r_.config, *r_.backend,
                  {options_.interface_prefix, static_cast<size_t>(options_.max_pods),
                   static_cast<size_t>(options_.max_config_bytes)},
                  &notifier_, &runtime_pods_),
      registry_(*r_.services_db, controller_, clock_, &notifier_),
      prober_(controller_, options_.interface_prefix, r_.linux_backend != nullptr),
      health_(registry_, prober_, clock_, daemon::HealthPolicyOf(options_)),
      someip_(r_.linux_backend && options_.someip_sd_group != "none"
                  ? std::make_unique<core::SomeIpDiscovery>(
                        registry_, controller_, clock_,
                        core::SomeIpDiscoveryOptions{*Ipv4Address::Parse(options_.someip_sd_group),
                                                     static_cast<uint16_t>(options_.someip_sd_port),
                                                     options_.someip_sd_networks})
                  : nullptr),
      dds_(BuildDds()),
      firewall_(r_.linux_backend ? std::make_unique<security::NftFirewall>() : nullptr),
      event_monitor_(firewall_ ? std::make_unique<security::EventMonitor>(
                                     notifier_, clock_, options_.policy_log_group,
                                     daemon::ThresholdsOf(options_))
                               : nullptr),
      enforcer_(*r_.security_db, clock_, firewall_.get(),
                [this] { return daemon::ServiceAddressesOf(registry_); },
                {NodeNamespaces(), options_.policy_log_group,
                 options_.TlsIngressEnabled() && r_.linux_backend,
                 std::chrono::seconds(options_.resync_interval_seconds)},
                {[this](const std::string& netns, const std::string& why) {
                   daemon::RaisePolicyAlarm(notifier_, netns, why);
                 },
                 [this](std::set<std::string> points) {
                   if (event_monitor_) event_monitor_->SetNamespaces(std::move(points));
                 }}),
      ingress_(BuildIngress()),
      namespaces_(NodeNamespaces()),
      on_converged_(controller_.converged().Subscribe(
          [this](const core::Converged& now) { OnConverged(now); })),
      on_services_changed_(registry_.changes().Subscribe([this] { enforcer_.Wake(); })),
      pods_(controller_, runtime_pods_, notifier_, clock_,
            std::chrono::seconds(options_.pod_setup_timeout_seconds)),
      networks_(controller_, runtime_pods_, clock_),
      monitor_(r_.linux_backend ? std::make_unique<dataplane::NetlinkMonitor>(
                                      *r_.linux_backend, [this] { RepairDrift(); },
                                      dataplane::MonitorOptions{
                                          std::chrono::milliseconds(150),
                                          std::chrono::seconds(options_.resync_interval_seconds)})
                                : nullptr),
      diagnostics_(controller_, *r_.backend, &registry_, &enforcer_),
      cni_service_(pods_, controller_,
                   {options_.interface_prefix, r_.linux_backend != nullptr,
                    std::chrono::seconds(options_.pod_setup_timeout_seconds + 5)}),
      cloud_fields_(controller_, diagnostics_, registry_, enforcer_),
      cloud_events_(watch_feed_),
      cloud_signals_(options_.cloud.signal_broker.empty()
                         ? nullptr
                         : std::make_unique<cloud::KuksaFields>(options_.cloud.signal_broker,
                                                                r_.cloud_signal_token)),
      cloud_(*r_.cloud_queue, cloud_fields_, cloud_signals_.get(), &cloud_events_, clock_,
             daemon::CloudOptionsOf(options_, controller_, r_.linux_backend != nullptr)),
      authenticator_(std::move(r_.auth_sources), clock_),
      audit_log_(&audit_),
      pharos_({controller_,
               diagnostics_,
               pods_,
               networks_,
               registry_,
               enforcer_,
               ingress_.get(),
               network_events_,
               security_events_,
               audit_,
               outbox_reader_,
               watch_feed_,
               cloud_,
               {options_.DeliversCallbacks() ? options_.callback_endpoint : "",
                options_.callback_flavour},
               {PHAROS_VERSION, std::string(dataplane::ModeName(options_.dataplane)),
                FormatIso8601Utc(clock_.Now())}},
              audit_log_),
      authorized_(pharos_, authenticator_),
      pharos_service_(authorized_),
      pullpiri_service_(pharos_service_),
      pullpiri_networks_(authorized_),
      control_service_(authorized_) {}

plan::NodeNamespaces Daemon::NodeNamespaces() const {
  // Where the security controller's own objects go: every node's namespace
  // in the twin, this machine's namespace for --node in host mode.
  return {options_.interface_prefix,
          options_.dataplane == DataplaneMode::kHost ? options_.node : ""};
}

std::unique_ptr<core::DdsDiscovery> Daemon::BuildDds() {
  if (!r_.linux_backend || options_.dds_domain == "none") return nullptr;
  std::string watcher =
      options_.dds_watcher.empty() ? core::DdsDiscovery::FindWatcher() : options_.dds_watcher;
  if (watcher.empty()) {
    spdlog::warn("DDS discovery off: pharos-dds-watch not found (give --dds-watcher)");
    return nullptr;
  }
  return std::make_unique<core::DdsDiscovery>(
      registry_, controller_, core::DdsDiscoveryOptions{watcher, *options_.DdsDomainId()});
}

// What follows a convergence: the policy (before the change is reported
// done), the ingress's place, and a nudge to whoever re-reads the topology.
void Daemon::OnConverged(const core::Converged& now) {
  enforcer_.OnConverged(*now.topology, *now.policy);
  if (ingress_) {
    absl::Status placed = ingress_->Place(security::IngressPlacementOf(*now.topology, namespaces_));
    if (!placed.ok()) spdlog::error("TLS ingress: {}", std::string(placed.message()));
  }
  health_.Wake();
  if (someip_) someip_->TopologyChanged();
  if (dds_) dds_->TopologyChanged();
}

void Daemon::RepairDrift() {
  if (auto repaired = controller_.Repair(); !repaired.ok()) {
    spdlog::error("repair failed: {}", std::string(repaired.status().message()));
  }
}

std::unique_ptr<security::TlsIngress> Daemon::BuildIngress() {
  if (!options_.TlsIngressEnabled()) return nullptr;
  if (!r_.linux_backend) {
    spdlog::warn("the TLS ingress needs namespaces: off with --dataplane=plan");
    return nullptr;
  }
  auto ingress = security::TlsIngress::Create(
      daemon::IngressOptionsOf(options_),
      [this](const std::string& service) { return daemon::IngressBackendsOf(registry_, service); },
      [this](const security::IngressRefusal& refusal) {
        event_monitor_->Report(daemon::AttemptOf(refusal));
      });
  if (!ingress.ok()) {
    build_error_ =
        absl::Status(ingress.status().code(), StrCat("TLS ingress: ", ingress.status().message()));
    return nullptr;
  }
  return std::move(*ingress);
}

absl::Status Daemon::StartParts() {
  auto started = [this](const char* part) { started_.push_back(part); };
  if (dispatcher_) {
    dispatcher_->Start();
    started("dispatcher");
    spdlog::info("notifications go to {} ({} flavour)", options_.callback_endpoint,
                 options_.callback_flavour);
  } else {
    spdlog::warn("--callback-endpoint none: notifications are queued, never sent");
  }
  if (event_monitor_) {
    event_monitor_->Start();
    started("event-monitor");
  }
  if (ingress_) {
    ingress_->Start();
    started("tls-ingress");
  }
  if (absl::Status s = enforcer_.Restore(); !s.ok()) {
    return absl::Status(s.code(), StrCat("security state: ", s.message()));
  }
  started("security-state");
  if (absl::Status s = controller_.Recover(); !s.ok()) {
    // Keep serving: an operator can still inspect and roll back.
    spdlog::error("could not restore the current configuration: {}", std::string(s.message()));
  }
  started("recovery");
  if (monitor_) {
    monitor_->Start();
    started("drift-monitor");
  }
  pods_.Start();
  started("pods");
  enforcer_.Start();
  started("policy-enforcer");
  health_.Start();
  started("health");
  if (someip_) {
    someip_->Start();
    started("someip");
  }
  if (dds_) {
    dds_->Start();
    started("dds");
  }
  if (absl::Status s = cloud_.Start(); !s.ok()) {
    return absl::Status(s.code(), StrCat("cloud connector: ", s.message()));
  }
  started("cloud");
  std::string cni_socket = options_.CniSocket(geteuid() == 0);
  if (cni_socket != "none") {
    cni_server_ = std::make_unique<cni::SocketServer>(
        cni_socket, [this](const nlohmann::json& r) { return cni_service_.Handle(r); });
    if (absl::Status s = cni_server_->Start(); !s.ok()) {
      return absl::Status(s.code(), StrCat("pharos-cni socket: ", s.message()));
    }
    started("cni");
    spdlog::info("pharos-cni served on {}", cni_socket);
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  if (options_.tls_cert.empty() && !options_.ListensOnLoopback()) {
    spdlog::warn("listening on {} without TLS (--insecure-listen)", options_.listen);
  }
  if (!authenticator_.enabled() && !options_.ListensOnLoopback()) {
    spdlog::warn("no --auth-tokens or --auth-jwt-key: every caller of {} is admin",
                 options_.listen);
  }
  // gRPC sets SO_REUSEPORT by default: a second pharosd on the same port
  // would share it and answer from another state. One daemon per port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options_.listen, ServerCredentials(options_), &bound_port);
  if (!options_.listen_unix.empty()) {
    // Plaintext: only processes of this machine that may open the file reach it.
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(options_.listen_unix).parent_path(),
                                        ec);
    std::filesystem::remove(options_.listen_unix, ec);
    builder.AddListeningPort("unix:" + options_.listen_unix, grpc::InsecureServerCredentials());
  }
  builder.RegisterService(&pharos_service_);
  builder.RegisterService(&pullpiri_service_);
  builder.RegisterService(&pullpiri_networks_);
  builder.RegisterService(&control_service_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(api::DecodeErrorInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (!server_ || bound_port == 0) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", options_.listen, " (address in use or invalid?)"));
  }
  if (!options_.listen_unix.empty()) {
    std::error_code ec;
    std::filesystem::permissions(
        options_.listen_unix,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
            std::filesystem::perms::group_read | std::filesystem::perms::group_write,
        ec);
    spdlog::info("pharosd serving its API on unix:{} too", options_.listen_unix);
  }
  started("grpc");
  address_ = StrCat(options_.listen.substr(0, options_.listen.rfind(':')), ":", bound_port);
  spdlog::info("pharosd serving pharos.api.v1.PharosService on {} (dataplane: {}, state: {})",
               address_, dataplane::ModeName(options_.dataplane), r_.db_path);
  return absl::OkStatus();
}

void Daemon::Shutdown() {
  watch_feed_.Close();  // watchers end now, not at the shutdown deadline
  if (!server_) return;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
}

Daemon::~Daemon() {
  // Stop the sources of calls into the parts first (the server, pharos-cni,
  // drift repair, the pod worker), then the members go in reverse order.
  Shutdown();
  if (cni_server_) cni_server_->Stop();
  if (monitor_) monitor_->Stop();
  pods_.Stop();
  spdlog::info("pharosd stopped");
}

}  // namespace pharos
