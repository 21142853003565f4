// pharosd: wires store, dataplane backend, controller and gRPC services
// together. The one place that knows every module.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "api/control_service.h"
#include "api/pharos_service.h"
#include "callbacks/dispatcher.h"
#include "callbacks/notifier.h"
#include "cni/cni_service.h"
#include "cni/protocol.h"
#include "cni/socket_server.h"
#include "common/clock.h"
#include "core/config_controller.h"
#include "core/dds_discovery.h"
#include "core/pod_manager.h"
#include "core/service_health.h"
#include "core/service_registry.h"
#include "core/someip_discovery.h"
#include "daemon/daemon_options.h"
#include "daemon/logging.h"
#include "dataplane/backend.h"
#include "dataplane/linux_backend.h"
#include "dataplane/monitor.h"
#include "model/validator.h"
#include "probes/service_prober.h"
#include "security/policy_enforcer.h"
#include "security/tls_ingress.h"
#include "store/config_store.h"
#include "store/event_store.h"
#include "store/outbox_store.h"

namespace {

bool IsLoopback(const std::string& listen) {
  return listen.rfind("127.", 0) == 0 || listen.rfind("localhost:", 0) == 0 ||
         listen.rfind("[::1]:", 0) == 0 || listen.rfind("unix:", 0) == 0;
}

// The TLS ingress behind `tls_verified`: its instances come from the
// registry; the clients it refuses go to the security event pipeline (once
// `events` exists).
absl::StatusOr<std::unique_ptr<pharos::security::TlsIngress>> CreateIngress(
    const pharos::DaemonOptions& opts, pharos::core::ServiceRegistry& registry,
    const std::unique_ptr<pharos::security::EventMonitor>& events) {
  pharos::security::IngressOptions o;
  o.cert_file = opts.ingress_cert;
  o.key_file = opts.ingress_key;
  o.client_ca_file = opts.ingress_client_ca;
  o.port = opts.ingress_port;
  o.idle_timeout = std::chrono::seconds(opts.ingress_idle_timeout_seconds);
  return pharos::security::TlsIngress::Create(
      o,
      [&registry](const std::string& service) {
        std::vector<pharos::security::IngressBackend> out;
        absl::StatusOr<std::vector<pharos::store::ServiceRecord>> rows = registry.Records();
        if (!rows.ok()) return out;
        for (const auto& r : *rows) {
          auto ip = pharos::Ipv4Address::Parse(r.host);
          if (r.name == service && ip && r.port > 0) out.push_back({*ip, r.port, r.status});
        }
        return out;
      },
      [&events](const pharos::security::IngressRefusal& refusal) {
        if (!events) return;
        pharos::security::DeniedPacket attempt;
        attempt.source = refusal.client;
        attempt.destination = refusal.ingress;
        attempt.protocol = 6;  // tcp
        attempt.port = refusal.port;
        attempt.rule = "tls_ingress";
        attempt.event_type = "tls_refused";
        attempt.reason = refusal.reason;
        events->Report(std::move(attempt));
      });
}

int Run(const pharos::DaemonOptions& opts) {
  if (!pharos::model::IsValidInterfacePrefix(opts.interface_prefix)) {
    spdlog::error(
        "--interface-prefix '{}' must be at most {} characters and usable in an "
        "interface name (no '/', ':' or spaces)",
        opts.interface_prefix, pharos::model::kMaxPrefixLength);
    return 2;
  }
  if (opts.tls_cert.empty() != opts.tls_key.empty()) {
    spdlog::error("--tls-cert and --tls-key go together");
    return 2;
  }
  if (!opts.tls_client_ca.empty() && opts.tls_cert.empty()) {
    spdlog::error("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key");
    return 2;
  }
  int ingress_files =
      !opts.ingress_cert.empty() + !opts.ingress_key.empty() + !opts.ingress_client_ca.empty();
  if (ingress_files != 0 && ingress_files != 3) {
    spdlog::error(
        "the TLS ingress needs --ingress-cert, --ingress-key and --ingress-client-ca together "
        "(it forwards only clients whose certificate the CA signed)");
    return 2;
  }
  if (!IsLoopback(opts.listen) && opts.tls_cert.empty() && !opts.insecure_listen) {
    spdlog::error(
        "refusing to listen on {} without TLS: anyone who reaches it could reconfigure the "
        "vehicle network. Give --tls-cert/--tls-key (and --auth-tokens or --auth-jwt-key), "
        "or --insecure-listen to force it",
        opts.listen);
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(opts.state_dir, ec);
  if (ec) {
    spdlog::error("cannot create state directory {}: {}", opts.state_dir, ec.message());
    return 1;
  }
  pharos::SystemClock clock;
  std::string db_path = (std::filesystem::path(opts.state_dir) / "pharos.db").string();
  auto db = pharos::store::Database::Open(db_path);
  if (!db.ok()) {
    spdlog::error("{}", std::string(db.status().message()));
    return 1;
  }
  auto store = pharos::store::ConfigStore::Open(std::move(*db), clock);
  if (!store.ok()) {
    spdlog::error("state database {}: {}", db_path, std::string(store.status().message()));
    return 1;
  }
  auto backend =
      pharos::dataplane::CreateBackend({opts.dataplane, opts.node, opts.interface_prefix});
  if (!backend.ok()) {
    spdlog::error("{}", std::string(backend.status().message()));
    return 2;
  }
  // Notifications: recorded by the notifier and delivered by the
  // dispatcher, each on its own connection to the same database.
  auto notify_db = pharos::store::Database::Open(db_path);
  auto dispatch_db = pharos::store::Database::Open(db_path);
  auto pods_db = pharos::store::Database::Open(db_path);
  auto services_db = pharos::store::Database::Open(db_path);
  auto security_db = pharos::store::Database::Open(db_path);
  if (!notify_db.ok() || !dispatch_db.ok() || !pods_db.ok() || !services_db.ok() ||
      !security_db.ok()) {
    spdlog::error("state database {}: cannot open more connections", db_path);
    return 1;
  }
  pharos::callbacks::Notifier notifier(**notify_db, clock, opts.outbox_capacity,
                                       opts.security_events_keep);
  pharos::store::OutboxStore dispatch_outbox(**dispatch_db, clock, opts.outbox_capacity);
  pharos::callbacks::DispatcherOptions dispatch_options;
  dispatch_options.endpoint = opts.callback_endpoint;
  dispatch_options.flavour = opts.callback_flavour;
  dispatch_options.max_backoff = std::chrono::seconds(opts.callback_max_backoff_seconds);
  std::unique_ptr<pharos::callbacks::Dispatcher> dispatcher;
  bool deliver = !opts.callback_endpoint.empty() && opts.callback_endpoint != "none";
  if (deliver) {
    dispatcher = std::make_unique<pharos::callbacks::Dispatcher>(
        dispatch_outbox, pharos::callbacks::CreateCallbackClient(dispatch_options),
        dispatch_options);
    notifier.SetWakeup([d = dispatcher.get()] { d->Wake(); });
    dispatcher->Start();
    spdlog::info("notifications go to {} ({} flavour)", opts.callback_endpoint,
                 opts.callback_flavour);
  } else {
    spdlog::warn("--callback-endpoint none: notifications are queued, never sent");
  }
  pharos::store::EventStore events((*store)->db(), clock);
  // Who may call what; every mutating call is audited.
  auto audit_db = pharos::store::Database::Open(db_path);
  if (!audit_db.ok()) {
    spdlog::error("cannot open {}: {}", db_path, std::string(audit_db.status().message()));
    return 1;
  }
  pharos::store::AuditStore audit(**audit_db, clock, opts.audit_log_keep);
  auto authorizer = pharos::api::Authorizer::Create(
      {opts.auth_tokens, opts.auth_jwt_key, opts.auth_jwt_issuer}, &audit, clock);
  if (!authorizer.ok()) {
    spdlog::error("authorization: {}", std::string(authorizer.status().message()));
    return 2;
  }
  pharos::core::ConfigController controller(**store, **backend, {opts.interface_prefix}, &notifier);
  pharos::core::PodManager pods(controller, **pods_db, notifier, clock,
                                std::chrono::seconds(opts.pod_setup_timeout_seconds));
  controller.SetRuntimePods(&pods);
  // The registry is soft state: after a power loss every service restarts and
  // registers again (pods re-sync, SD re-offers), so its commits need not
  // wait for the disk (WAL + synchronous=NORMAL: still safe against a crash
  // of pharosd). Its notifications go through the outbox, which does wait.
  (void)(*services_db)->Exec("PRAGMA synchronous=NORMAL;");
  pharos::core::ServiceRegistry registry(**services_db, controller, clock, &notifier);
  pharos::probes::ServiceProber prober(controller, opts.interface_prefix,
                                       (*backend)->mode() != "plan");
  pharos::core::HealthPolicy health_policy;
  health_policy.interval = std::chrono::milliseconds(opts.health_interval_ms);
  health_policy.timeout = std::chrono::milliseconds(opts.health_timeout_ms);
  health_policy.unhealthy_after = opts.health_unhealthy_after;
  health_policy.healthy_after = opts.health_healthy_after;
  health_policy.flap_transitions = opts.health_flap_transitions;
  health_policy.flap_window = std::chrono::seconds(opts.health_flap_window_seconds);
  health_policy.damped_stable_checks = opts.health_damped_checks;
  pharos::core::HealthMonitor service_health(registry, prober, clock, health_policy);
  std::unique_ptr<pharos::core::SomeIpDiscovery> someip;
  if (opts.someip_sd_group != "none" && (*backend)->mode() != "plan") {
    auto group = pharos::Ipv4Address::Parse(opts.someip_sd_group);
    if (!group || (group->value() >> 28) != 0xE) {
      spdlog::error("--someip-sd-group {} is not an IPv4 multicast address", opts.someip_sd_group);
      return 2;
    }
    someip = std::make_unique<pharos::core::SomeIpDiscovery>(
        registry, controller, clock,
        pharos::core::SomeIpDiscoveryOptions{*group, static_cast<uint16_t>(opts.someip_sd_port),
                                             opts.someip_sd_networks});
  }
  std::unique_ptr<pharos::core::DdsDiscovery> dds;
  if (opts.dds_domain != "none" && (*backend)->mode() != "plan") {
    int domain = -1;
    try {
      domain = std::stoi(opts.dds_domain);
    } catch (const std::exception&) {
    }
    if (domain < 0 || domain > 232) {
      spdlog::error("--dds-domain {} is not a DDS domain id (0-232) or none", opts.dds_domain);
      return 2;
    }
    std::string watcher =
        opts.dds_watcher.empty() ? pharos::core::DdsDiscovery::FindWatcher() : opts.dds_watcher;
    if (watcher.empty()) {
      spdlog::warn("DDS discovery off: pharos-dds-watch not found (give --dds-watcher)");
    } else {
      dds = std::make_unique<pharos::core::DdsDiscovery>(
          registry, controller, pharos::core::DdsDiscoveryOptions{watcher, domain});
    }
  }
  // Where the security controller's own objects go: every node's namespace
  // in the twin, this machine's namespace for --node in host mode.
  const pharos::plan::NodeNamespaces namespaces{opts.interface_prefix,
                                                opts.dataplane == "host" ? opts.node : ""};
  // The TLS ingress behind `tls_verified` (the event monitor comes later;
  // the ingress reports to it once it exists).
  std::unique_ptr<pharos::security::EventMonitor> event_monitor;
  std::unique_ptr<pharos::security::TlsIngress> ingress;
  if (ingress_files == 3 && (*backend)->mode() == "plan") {
    spdlog::warn("the TLS ingress needs namespaces: off with --dataplane=plan");
  } else if (ingress_files == 3) {
    auto created = CreateIngress(opts, registry, event_monitor);
    if (!created.ok()) {
      spdlog::error("TLS ingress: {}", std::string(created.status().message()));
      return 2;
    }
    ingress = std::move(*created);
    ingress->Start();
  }
  // Security controller: the policy follows every convergence (synchronously)
  // and every registry change (its worker).
  std::unique_ptr<pharos::security::NftFirewall> firewall;
  if ((*backend)->mode() != "plan") firewall = std::make_unique<pharos::security::NftFirewall>();
  pharos::security::PolicyEnforcer security(
      **security_db, clock, firewall.get(),
      [&registry] {
        std::vector<pharos::security::ServiceAddress> out;
        absl::StatusOr<std::vector<pharos::store::ServiceRecord>> rows = registry.Records();
        if (!rows.ok()) return out;
        for (const auto& r : *rows) {
          if (auto ip = pharos::Ipv4Address::Parse(r.host)) out.push_back({r.name, *ip});
        }
        return out;
      },
      {namespaces, opts.policy_log_group, ingress != nullptr,
       std::chrono::seconds(opts.resync_interval_seconds)});
  // A VM left without its policy is the one thing Piccolo must hear at once.
  security.SetAlarm([&notifier](const std::string& netns, const std::string& why) {
    pharos::security::SecurityEvent e;
    e.severity = pharos::security::Severity::kCritical;
    e.event_type = "policy_not_enforced";
    e.source = "pharos";
    e.destination = netns.empty() ? "this namespace" : netns;
    e.details = "the security policy could not be applied: " + why;
    if (absl::Status s = notifier.Publish(e); !s.ok()) {
      spdlog::error("security event not recorded: {}", std::string(s.message()));
    }
  });
  if (absl::Status s = security.Restore(); !s.ok()) {
    spdlog::error("security state: {}", std::string(s.message()));
    return 1;
  }
  // Denied packets -> security events -> Piccolo.
  if (firewall) {
    pharos::security::EventThresholds thresholds;
    thresholds.window = std::chrono::seconds(opts.security_window_seconds);
    thresholds.burst_packets = opts.security_burst_packets;
    thresholds.critical_windows = opts.security_critical_windows;
    thresholds.max_events_per_minute = opts.security_events_per_minute;
    thresholds.sensitive_ports = {opts.security_sensitive_ports.begin(),
                                  opts.security_sensitive_ports.end()};
    event_monitor = std::make_unique<pharos::security::EventMonitor>(
        notifier, clock, opts.policy_log_group, thresholds);
    security.SetPointsListener([&event_monitor](std::set<std::string> namespaces) {
      event_monitor->SetNamespaces(std::move(namespaces));
    });
    event_monitor->Start();
  }
  controller.SetConvergedHook(
      [&security, &ingress, &namespaces](const pharos::model::Topology& topology,
                                         const pharos::model::SecurityPolicySpec& policy) {
        security.OnConverged(topology, policy);
        if (!ingress) return;
        absl::Status placed =
            ingress->Place(pharos::security::IngressPlacementOf(topology, namespaces));
        if (!placed.ok()) spdlog::error("TLS ingress: {}", std::string(placed.message()));
      });
  registry.SetChangeListener([&security] { security.Wake(); });
  controller.SetTopologyListener([&service_health, &someip, &dds] {
    service_health.Wake();
    if (someip) someip->TopologyChanged();
    if (dds) dds->TopologyChanged();
  });
  if (absl::Status s = controller.Recover(); !s.ok()) {
    // Keep serving: an operator can still inspect and roll back.
    spdlog::error("could not restore the current configuration: {}", std::string(s.message()));
  }
  // Drift: repair what changes behind our back in the namespaces we own.
  std::unique_ptr<pharos::dataplane::NetlinkMonitor> monitor;
  if (auto* linux_backend = dynamic_cast<pharos::dataplane::LinuxBackend*>(backend->get())) {
    monitor = std::make_unique<pharos::dataplane::NetlinkMonitor>(
        *linux_backend,
        [&controller] {
          if (auto r = controller.Repair(); !r.ok()) {
            spdlog::error("repair failed: {}", std::string(r.status().message()));
          }
        },
        pharos::dataplane::MonitorOptions{std::chrono::milliseconds(150),
                                          std::chrono::seconds(opts.resync_interval_seconds)});
    monitor->Start();
  }

  pods.Start();
  security.Start();
  service_health.Start();
  if (someip) someip->Start();
  if (dds) dds->Start();
  // Container runtimes come in through pharos-cni.
  pharos::cni::CniService cni_service(pods, controller,
                                      {opts.interface_prefix, (*backend)->mode() != "plan",
                                       std::chrono::seconds(opts.pod_setup_timeout_seconds + 5)});
  std::unique_ptr<pharos::cni::SocketServer> cni_server;
  std::string cni_socket = opts.cni_socket;
  if (cni_socket == "auto") cni_socket = geteuid() == 0 ? pharos::cni::kDefaultSocket : "none";
  if (cni_socket != "none") {
    cni_server = std::make_unique<pharos::cni::SocketServer>(
        cni_socket, [&](const nlohmann::json& r) { return cni_service.Handle(r); });
    if (absl::Status s = cni_server->Start(); !s.ok()) {
      spdlog::error("pharos-cni socket: {}", std::string(s.message()));
      pods.Stop();
      return 1;
    }
    spdlog::info("pharos-cni served on {}", cni_socket);
  }
  pharos::core::Diagnostics diagnostics(controller, **backend, &registry, &security);
  pharos::api::PharosServiceImpl pharos_service(controller, diagnostics, &pods, &registry,
                                                &security);
  pharos::api::PullpiriPodServiceImpl pullpiri_service(pharos_service);
  pharos::store::OutboxStore outbox_reader((*store)->db(), clock, opts.outbox_capacity);
  pharos::api::ControlServiceImpl control_service(
      controller, &events,
      {deliver ? opts.callback_endpoint : "", opts.callback_flavour, &outbox_reader}, &pods,
      &registry);
  pharos::store::SecurityEventStore security_events((*store)->db(), clock);
  pharos_service.SetAuthorizer(authorizer->get());
  control_service.SetSecurity(&security, &security_events, &audit);
  control_service.SetAuthorizer(authorizer->get());
  control_service.SetTlsIngress(ingress.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!opts.tls_cert.empty()) {
    auto read = [](const std::string& path) {
      std::ifstream in(path);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    grpc::SslServerCredentialsOptions ssl(
        opts.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                   : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_key_cert_pairs.push_back({read(opts.tls_key), read(opts.tls_cert)});
    if (!opts.tls_client_ca.empty()) ssl.pem_root_certs = read(opts.tls_client_ca);
    credentials = grpc::SslServerCredentials(ssl);
  } else if (!IsLoopback(opts.listen)) {
    spdlog::warn("listening on {} without TLS (--insecure-listen)", opts.listen);
  }
  if (!(*authorizer)->enabled() && !IsLoopback(opts.listen)) {
    spdlog::warn("no --auth-tokens or --auth-jwt-key: every caller of {} is admin", opts.listen);
  }
  builder.AddListeningPort(opts.listen, credentials, &bound_port);
  builder.RegisterService(&pharos_service);
  builder.RegisterService(&pullpiri_service);
  builder.RegisterService(&control_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    spdlog::error("cannot listen on {} (address in use or invalid?)", opts.listen);
    return 1;
  }
  std::string host = opts.listen.substr(0, opts.listen.rfind(':'));
  std::string bound = host + ":" + std::to_string(bound_port);
  spdlog::info("pharosd serving pharos.api.v1.PharosService on {} (dataplane: {}, state: {})",
               bound, (*backend)->mode(), db_path);
  if (!opts.ready_file.empty()) {
    std::string tmp = opts.ready_file + ".tmp";
    std::ofstream(tmp) << bound << "\n";
    std::filesystem::rename(tmp, opts.ready_file, ec);
  }

  // SIGTERM/SIGINT: stop accepting, let in-flight calls finish (5 s).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal {} received: shutting down", received);
  auto health = server->GetHealthCheckService();
  if (health) health->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  if (cni_server) cni_server->Stop();
  service_health.Stop();
  security.Stop();
  if (ingress) ingress->Stop();
  if (event_monitor) event_monitor->Stop();
  if (someip) someip->Stop();
  if (dds) dds->Stop();
  pods.Stop();
  if (monitor) monitor->Stop();
  if (dispatcher) dispatcher->Stop();
  spdlog::info("pharosd stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the shutdown signals before any thread starts, so only sigwait
  // in Run() receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pharos::DaemonOptions opts;
  if (auto code = pharos::ParseDaemonOptions(argc, argv, opts)) return *code;
  if (!pharos::ConfigureLogging(opts.log_level, opts.log_format)) {
    fprintf(stderr, "pharosd: bad --log-level or --log-format\n");
    return 2;
  }
  return Run(opts);
}
