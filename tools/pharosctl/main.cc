// pharosctl: the command line a person uses to drive pharosd.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>

#include "commands.h"
#include "completion.h"

int main(int argc, char** argv) {
  pharosctl::Context ctx;
  const char* env_server = std::getenv("PHAROS_SERVER");
  ctx.server = env_server ? env_server : "127.0.0.1:9091";
  std::string output = "table";
  bool no_color = std::getenv("NO_COLOR") != nullptr;

  CLI::App app{"pharosctl - drive the Pharos vehicle network controller"};
  app.require_subcommand(1);
  // Global options anywhere, as with kubectl: `pharosctl status -o json`.
  // Subcommands inherit this, so it is set before they are added.
  app.fallthrough();
  const char* home = std::getenv("HOME");
  std::string config_path =
      home ? std::string(home) + "/.config/pharos/pharosctl.conf" : std::string();
  app.set_config("--config", config_path,
                 "defaults for these options (INI/TOML; e.g. server = \"10.0.0.1:9091\")");
  app.add_option("--server", ctx.server,
                 "pharosd address host:port (env PHAROS_SERVER; default 127.0.0.1:9091)");
  const char* env_token = std::getenv("PHAROS_TOKEN");
  std::string token = env_token ? env_token : "";
  app.add_option("--token", token, "bearer token (static or JWT; env PHAROS_TOKEN)");
  app.add_option("--tls-ca", ctx.tls_ca, "PEM CA that signed pharosd's certificate (TLS)");
  app.add_option("--tls-cert", ctx.tls_cert, "PEM client certificate (mutual TLS)");
  app.add_option("--tls-key", ctx.tls_key, "PEM key of --tls-cert");
  app.add_option("-o,--output", output, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_flag("--no-color", no_color, "plain output (also when NO_COLOR is set)");
  app.add_option("--interface-prefix", ctx.interface_prefix,
                 "interface prefix for --local validation and plan (default ph-)");

  std::string file, version, from, to;
  bool local = false, dry_run = false;

  auto* validate =
      app.add_subcommand("validate", "check a configuration file and explain every finding");
  validate->add_option("file", file, "YAML file ('-' for stdin)")->required();
  validate->add_flag("--local", local, "validate here, without pharosd");

  auto* apply = app.add_subcommand("apply", "apply a configuration file (a new version)");
  apply->add_option("file", file, "YAML file ('-' for stdin)")->required();
  apply->add_flag("--dry-run", dry_run, "validate and report, change nothing");

  auto* plan = app.add_subcommand(
      "plan", "show the network plan of a file (offline) or of a stored version");
  plan->add_option("file", file, "YAML file; without it, ask pharosd");
  plan->add_option("--version", version, "stored version (default: current)");

  auto* diff =
      app.add_subcommand("diff", "what changes between two versions, or a version and a file");
  diff->add_option("from", from, "version to compare from (default: current)");
  diff->add_option("to", to, "version to compare to");
  diff->add_option("--file", file, "compare against this file instead of a version");

  auto* rollback = app.add_subcommand("rollback", "make an earlier version current");
  rollback->add_option("version", version, "target version (default: the previous one)");

  auto* versions = app.add_subcommand("versions", "list stored configuration versions");

  std::string filter;
  bool watch = false;
  int count = 0;
  auto* status = app.add_subcommand("status", "components with their live status");
  status->add_option("filter", filter, "a type (soc, vm, pod, bridge), a name or a glob");
  status->add_flag("-w,--watch", watch,
                   "then print every component and service status change as it happens");
  status->add_option("--count", count, "with --watch: stop after this many changes")
      ->check(CLI::PositiveNumber);

  std::string source, destination, protocol = "icmp", component, format = "mermaid";
  int port = 0, timeout_ms = 1000, duration = 0, limit = 100;
  int64_t after = 0;
  auto* routes =
      app.add_subcommand("routes", "the path SRC -> DST, asked of each kernel on the way");
  routes->add_option("source", source, "component name or IP")->required();
  routes->add_option("destination", destination, "component name or IP")->required();

  auto* test = app.add_subcommand("test", "send real packets from SRC to DST");
  test->add_option("source", source, "component name or IP")->required();
  test->add_option("destination", destination, "component name or IP")->required();
  test->add_option("--proto", protocol, "icmp, tcp or udp")
      ->check(CLI::IsMember({"icmp", "tcp", "udp"}))
      ->capture_default_str();
  test->add_option("--port", port, "tcp/udp port")->check(CLI::Range(1, 65535));
  test->add_option("--timeout", timeout_ms, "milliseconds")
      ->check(CLI::Range(1, 30000))
      ->capture_default_str();

  auto* metrics = app.add_subcommand("metrics", "interface counters of components");
  metrics->add_option("component", component, "one component (default: every node)");
  metrics->add_option("--duration", duration, "seconds to sample for bandwidth (max 60)")
      ->check(CLI::Range(0, 60));

  auto* teardown =
      app.add_subcommand("teardown", "remove everything Pharos built; keep the versions");
  auto* events = app.add_subcommand("events", "network events: drift repaired, converged on start");
  events->add_option("--after", after, "only events with a larger id");
  events->add_option("--limit", limit, "at most this many (max 1000)")->check(CLI::Range(1, 1000));
  bool security_events = false, follow = false;
  events->add_flag("--security", security_events,
                   "security events instead: denied traffic, aggregated and escalated");
  events->add_flag("-f,--follow", follow, "then print every new event as it happens");
  events->add_option("--count", count, "with --follow: stop after this many new events")
      ->check(CLI::PositiveNumber);

  auto* audit = app.add_subcommand("audit", "the audit log of mutating calls (admin)");
  audit->add_option("--after", after, "only entries with a larger id");
  audit->add_option("--limit", limit, "at most this many (max 1000)")->check(CLI::Range(1, 1000));

  auto* policy =
      app.add_subcommand("policy", "the security policy: apply, show, status, explain a flow");
  policy->require_subcommand(1);
  auto* policy_status = policy->add_subcommand("status", "which policy pharosd enforces, and how");
  std::string policy_file;
  auto* policy_apply = policy->add_subcommand(
      "apply", "ConfigureSecurityPolicy: enforce FILE's security_policy (an empty file clears it)");
  policy_apply->add_option("file", policy_file, "YAML file ('-' for stdin)")->required();
  auto* policy_show =
      policy->add_subcommand("show", "the rules pharosd enforces, in order, with the default");
  std::vector<std::string> policy_files;
  std::string policy_src, policy_dst, policy_port, policy_mode;
  auto* explain = policy->add_subcommand(
      "explain", "which rule decides SRC -> DST PORT/PROTO (offline, from YAML files)");
  explain->add_option("source", policy_src, "pod, component, pod service or address")->required();
  explain->add_option("destination", policy_dst, "pod, component, pod service or address")
      ->required();
  explain->add_option("port", policy_port,
                      "PORT/PROTO (8080/tcp, 53/udp) or icmp; default: the service's port");
  explain->add_option("-f,--file", policy_files,
                      "vehicle and policy YAML (repeatable; together one document)")
      ->required();
  explain->add_option("--mode", policy_mode, "explain as in an emergency mode")
      ->check(CLI::IsMember({"none", "minimal", "failsafe", "diagnostic"}));
  bool policy_tls_ingress = false;
  explain->add_flag("--tls-ingress", policy_tls_ingress,
                    "as if pharosd runs the TLS ingress (tls_verified: the cloud gateway)");

  std::string emergency_mode;
  auto* emergency = app.add_subcommand("emergency", "EmergencyNetworkMode: minimal, failsafe, "
                                                    "diagnostic (docs/security.md)");
  emergency->require_subcommand(1);
  auto* emergency_activate = emergency->add_subcommand("activate", "switch to MODE at once");
  emergency_activate->add_option("mode", emergency_mode, "minimal, failsafe or diagnostic")
      ->required()
      ->check(CLI::IsMember({"minimal", "failsafe", "diagnostic"}));
  auto* emergency_deactivate =
      emergency->add_subcommand("deactivate", "back to the configured policy");
  auto* emergency_status = emergency->add_subcommand("status", "which mode is active");

  auto* version_cmd = app.add_subcommand("version", "pharosctl's and pharosd's versions");
  std::string shell;
  auto* completion = app.add_subcommand(
      "completion", "print a shell completion script: source <(pharosctl completion bash)");
  completion->add_option("shell", shell, "bash")->required();

  auto* doctor =
      app.add_subcommand("doctor", "which kernel features this machine has (needs root)");
  auto* topology = app.add_subcommand("topology", "the live topology as a diagram");
  topology->add_option("--format", format, "mermaid or dot")
      ->check(CLI::IsMember({"mermaid", "dot"}))
      ->capture_default_str();

  std::string callback_listen = "127.0.0.1:9090";
  auto* callbacks = app.add_subcommand("callbacks", "notifications to Piccolo");
  callbacks->require_subcommand(1);
  auto* listen = callbacks->add_subcommand(
      "listen", "receive and print what Pharos sends (a stand-in Piccolo/Pullpiri)");
  listen->add_option("--listen", callback_listen, "host:port to serve on")->capture_default_str();
  auto* callbacks_status =
      callbacks->add_subcommand("status", "the outbox: pending, dropped, last error");

  auto* cloud = app.add_subcommand("cloud", "the cloud connector's feed (docs/cloud.md)");
  cloud->require_subcommand(1);
  auto* cloud_status = cloud->add_subcommand(
      "status", "the feed, its queue (depth, oldest, drops), what was sent and the uplink");
  int cloud_interval = 60;
  std::vector<std::string> cloud_fields;
  std::string cloud_endpoint;
  auto* cloud_feed =
      cloud->add_subcommand("feed", "ConfigureCloudFeeding: start or change the feed");
  cloud_feed->add_option("--endpoint", cloud_endpoint, "mqtts://host[:port]/topic (docs/cloud.md)")
      ->required();
  cloud_feed
      ->add_option("--fields", cloud_fields,
                   "VSS paths or globs and pharos. fields, comma-separated")
      ->delimiter(',')
      ->required();
  cloud_feed->add_option("--interval", cloud_interval, "seconds between samples")
      ->capture_default_str();
  auto* cloud_stop =
      cloud->add_subcommand("stop", "stop feeding (the queue and the configuration are kept)");

  auto* ipam = app.add_subcommand("ipam", "address leases of the pods requested at run time");
  std::string pod, node_file, network_file;
  bool remove = false;
  auto* request_pod =
      app.add_subcommand("request-pod",
                         "RequestNetworkPod: set a pod's network up (or --remove it); the result "
                         "arrives as CompleteNetworkSetting");
  request_pod->add_option("pod", pod, "pod name")->required();
  request_pod->add_option("--node", node_file, "node YAML (spec form or Pullpiri kind: Node)")
      ->required();
  request_pod->add_option("--network", network_file, "the pod's network YAML");
  request_pod->add_flag("--remove", remove, "release the pod and its address");

  pharosctl::ServiceQuery service_query;
  std::string service_name, service_endpoint, service_protocol, service_id;
  std::vector<std::string> service_metadata;
  auto* services = app.add_subcommand("services", "the service registry (filters combine)");
  services->add_option("--protocol", service_query.protocol, "dds, grpc, rest or someip");
  services->add_option("--namespace", service_query.k8s_namespace,
                       "namespace of the pod the service runs in");
  services->add_option("--status", service_query.status,
                       "registered, healthy, degraded or unhealthy");
  services->add_option("--metadata", service_query.metadata, "KEY=VALUE (repeatable)");
  auto* service_register = services->add_subcommand("register", "RegisterService");
  service_register->add_option("name", service_name, "service name")->required();
  service_register->add_option("endpoint", service_endpoint, "HOST:PORT")->required();
  service_register->add_option("--protocol", service_protocol, "dds, grpc, rest or someip")
      ->required();
  service_register->add_option("--metadata", service_metadata, "KEY=VALUE (repeatable)");
  std::string env_pod;
  auto* services_env = services->add_subcommand(
      "env", "the environment a Velocitas app in a pod reads (SDV_VEHICLEDATABROKER_ADDRESS, ...)");
  services_env->add_option("pod", env_pod, "pod name")->required();
  auto* service_deregister = services->add_subcommand("deregister", "DeregisterService");
  service_deregister->add_option("id", service_id, "service id (svc-...)")->required();

  // Vehicle signals, in pharos-broker.
  pharosctl::SignalContext signal_ctx;
  const char* env_broker = std::getenv("PHAROS_BROKER");
  if (env_broker) signal_ctx.broker = env_broker;
  const char* env_broker_token = std::getenv("PHAROS_BROKER_TOKEN");
  std::string broker_token = env_broker_token ? env_broker_token : "";
  std::vector<std::string> signal_paths;
  std::string signal_pattern = "Vehicle", signal_value;
  bool signal_target = false;
  int signal_count = 0;
  auto* signal = app.add_subcommand("signal", "vehicle signals in pharos-broker (kuksa.val)");
  signal->require_subcommand(1);
  signal->add_option(
      "--broker", signal_ctx.broker,
      "pharos-broker address host:port (env PHAROS_BROKER; default 127.0.0.1:55555)");
  signal->add_option("--broker-token", broker_token, "KUKSA token (JWT; env PHAROS_BROKER_TOKEN)");
  signal->add_option("--broker-ca", signal_ctx.tls_ca, "PEM CA of the broker's certificate (TLS)");
  auto* signal_ls = signal->add_subcommand("ls", "signals under a branch or matching a pattern");
  signal_ls->add_option("pattern", signal_pattern, "branch, path or glob (* one level, ** any)");
  auto* signal_get = signal->add_subcommand("get", "current values (or --target)");
  signal_get->add_option("paths", signal_paths, "signal paths")->required();
  signal_get->add_flag("--target", signal_target, "the actuators' target values");
  auto* signal_set = signal->add_subcommand("set", "publish a value, or actuate with --target");
  signal_set->add_option("path", signal_pattern, "signal path")->required();
  signal_set->add_option("value", signal_value, "value (arrays as JSON lists)")->required();
  signal_set->add_flag("--target", signal_target, "actuate: the provider is asked to apply it");
  auto* signal_subscribe =
      signal->add_subcommand("subscribe", "the current values, then every change");
  signal_subscribe->add_option("paths", signal_paths, "signal paths")->required();
  signal_subscribe->add_option("--count", signal_count, "stop after this many changes")
      ->check(CLI::PositiveNumber);

  // Vehicle diagnostics, in pharos-sovd.
  pharosctl::DiagContext diag_ctx;
  if (const char* env = std::getenv("PHAROS_SOVD")) diag_ctx.sovd = env;
  if (const char* env = std::getenv("PHAROS_VEHICLE_ID")) diag_ctx.vehicle = env;
  std::string diag_command;
  std::vector<std::string> diag_params;
  auto* diag = app.add_subcommand(
      "diag", "a diagnostic command through pharos-sovd (sovd.vehicle.VehicleService)");
  diag->add_option("--sovd", diag_ctx.sovd,
                   "pharos-sovd address host:port (env PHAROS_SOVD; default 127.0.0.1:50051)");
  diag->add_option("--vehicle", diag_ctx.vehicle, "the vehicle's UUID (env PHAROS_VEHICLE_ID)")
      ->required(!std::getenv("PHAROS_VEHICLE_ID"));
  diag->add_option("--sovd-ca", diag_ctx.tls_ca, "PEM CA of pharos-sovd's certificate (TLS)");
  diag->add_option("--sovd-cert", diag_ctx.tls_cert, "client certificate (mutual TLS)");
  diag->add_option("--sovd-key", diag_ctx.tls_key, "its private key");
  diag->add_option("--timeout", diag_ctx.timeout_s, "seconds")->capture_default_str();
  diag->add_option("command", diag_command,
                   "ReadDTC, ClearDTC, ReadDataByID, WriteDataByID, ReadFreezeFrame, "
                   "RoutineControl, ECUReset, DiagnosticSession, SecurityAccess")
      ->required();
  diag->add_option("params", diag_params, "KEY=VALUE command parameters (ecuAddress=0x10 ...)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : pharosctl::kUsage;
  }
  ctx.json = output == "json";
  pharosctl::SetCallToken(token);
  ctx.style.color = !no_color && !ctx.json && isatty(STDOUT_FILENO);

  if (*validate) return pharosctl::Validate(ctx, file, local);
  if (*apply) return pharosctl::Apply(ctx, file, dry_run);
  if (*plan) return pharosctl::Plan(ctx, file, version);
  if (*diff) {
    if (file.empty() && to.empty()) {
      std::cerr << "pharosctl diff: give two versions (diff 1 2) or --file FILE\n";
      return pharosctl::kUsage;
    }
    return pharosctl::Diff(ctx, from, to, file);
  }
  if (*rollback) return pharosctl::Rollback(ctx, version);
  if (*versions) return pharosctl::Versions(ctx);
  if (*status) {
    if (count > 0 && !watch) {
      std::cerr << "pharosctl status: --count goes with --watch\n";
      return pharosctl::kUsage;
    }
    return watch ? pharosctl::StatusWatch(ctx, filter, count) : pharosctl::Status(ctx, filter);
  }
  if (*routes) return pharosctl::Routes(ctx, source, destination);
  if (*test) {
    // Without --port, a service as destination gives its own (pharosd says
    // when there is none).
    return pharosctl::Test(ctx, source, destination, protocol, port, timeout_ms);
  }
  if (*metrics) return pharosctl::Metrics(ctx, component, duration);
  if (*teardown) return pharosctl::Teardown(ctx);
  if (*events) {
    if (follow) return pharosctl::EventsFollow(ctx, after, limit, security_events, count);
    return security_events ? pharosctl::SecurityEvents(ctx, after, limit)
                           : pharosctl::Events(ctx, after, limit);
  }
  if (*policy_apply) return pharosctl::PolicyApply(ctx, policy_file);
  if (*policy_show) return pharosctl::PolicyShow(ctx);
  if (*emergency_activate) return pharosctl::Emergency(ctx, "activate", emergency_mode);
  if (*emergency_deactivate) return pharosctl::Emergency(ctx, "deactivate", "");
  if (*emergency_status) return pharosctl::Emergency(ctx, "status", "");
  if (*version_cmd) return pharosctl::Version(ctx);
  if (*diag) return pharosctl::Diag(ctx, diag_ctx, diag_command, diag_params);
  pharosctl::SetBrokerToken(broker_token);
  if (*signal_ls) return pharosctl::SignalList(ctx, signal_ctx, signal_pattern);
  if (*signal_get) return pharosctl::SignalGet(ctx, signal_ctx, signal_paths, signal_target);
  if (*signal_set) {
    return pharosctl::SignalSet(ctx, signal_ctx, signal_pattern, signal_value, signal_target);
  }
  if (*signal_subscribe) {
    return pharosctl::SignalSubscribe(ctx, signal_ctx, signal_paths, signal_count);
  }
  if (*completion) return pharosctl::PrintCompletion(app, shell);
  if (*policy_status) return pharosctl::PolicyStatus(ctx);
  if (*audit) return pharosctl::AuditLog(ctx, after, limit);
  if (*explain) {
    return pharosctl::PolicyExplain(ctx, policy_files, policy_src, policy_dst, policy_port,
                                    policy_mode, policy_tls_ingress);
  }
  if (*doctor) return pharosctl::Doctor(ctx);
  if (*topology) return pharosctl::Topology(ctx, format);
  if (*listen) return pharosctl::CallbacksListen(ctx, callback_listen);
  if (*callbacks_status) return pharosctl::CallbacksStatus(ctx);
  if (*ipam) return pharosctl::Ipam(ctx);
  if (*cloud_status) return pharosctl::CloudStatus(ctx);
  if (*cloud_feed) {
    return pharosctl::CloudFeed(ctx, true, cloud_interval, cloud_fields, cloud_endpoint);
  }
  if (*cloud_stop) return pharosctl::CloudFeed(ctx, false, 0, {}, "");
  if (*service_register) {
    return pharosctl::RegisterService(ctx, service_name, service_endpoint, service_protocol,
                                      service_metadata);
  }
  if (*service_deregister) return pharosctl::DeregisterService(ctx, service_id);
  if (*services_env) return pharosctl::ServicesEnv(ctx, env_pod);
  if (*services) return pharosctl::Services(ctx, service_query);
  if (*request_pod) {
    if (!remove && network_file.empty()) {
      std::cerr << "pharosctl request-pod: give --network FILE (or --remove)\n";
      return pharosctl::kUsage;
    }
    return pharosctl::RequestPod(ctx, pod, node_file, network_file, remove);
  }
  return pharosctl::kUsage;
}
