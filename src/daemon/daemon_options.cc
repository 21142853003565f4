#include "daemon/daemon_options.h"

#include <CLI/CLI.hpp>
#include <map>

#include "cni/protocol.h"
#include "common/ipv4.h"
#include "common/strings.h"
#include "model/validator.h"

namespace pharos {

bool DaemonOptions::ListensOnLoopback() const {
  return listen.rfind("127.", 0) == 0 || listen.rfind("localhost:", 0) == 0 ||
         listen.rfind("[::1]:", 0) == 0 || listen.rfind("unix:", 0) == 0;
}

std::string DaemonOptions::CniSocket(bool root) const {
  if (cni_socket != "auto") return cni_socket;
  return root ? cni::kDefaultSocket : "none";
}

namespace {

void AddCloudFlags(CLI::App& app, CloudFlags& c) {
  app.add_flag("--cloud-allow-plaintext", c.allow_plaintext,
               "let ConfigureCloudFeeding use mqtt:// or http:// to any address (otherwise only "
               "to loopback and the twin's cloud hosts)");
  app.add_option("--cloud-ca", c.ca_file,
                 "PEM CA that verifies the cloud endpoint (default: the system's CAs)")
      ->check(CLI::ExistingFile);
  app.add_option("--cloud-cert", c.cert_file,
                 "PEM certificate this vehicle presents to the cloud (mutual TLS)")
      ->check(CLI::ExistingFile);
  app.add_option("--cloud-key", c.key_file, "PEM private key of --cloud-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--cloud-mqtt-version", c.mqtt_version, "MQTT protocol version: 3 (3.1.1) or 5")
      ->check(CLI::IsMember({3, 5}))
      ->capture_default_str();
  app.add_option("--cloud-client-id", c.client_id, "MQTT client id (default: pharos-<vehicle id>)");
  app.add_option("--cloud-vehicle-id", c.vehicle_id,
                 "the vehicle's id in payloads and the default topic pharos/<id> (default: the "
                 "vehicle's name in the applied configuration)");
  app.add_option("--cloud-signal-broker", c.signal_broker,
                 "host:port of pharos-broker (kuksa.val.v2) that VSS data fields are read from");
  app.add_option("--cloud-signal-token-file", c.signal_token_file,
                 "file holding the bearer token for --cloud-signal-broker")
      ->check(CLI::ExistingFile);
  app.add_option("--cloud-queue-max-mb", c.queue_max_mb,
                 "store-and-forward bound: past it the lowest-priority oldest items are dropped")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--cloud-queue-max-age-hours", c.queue_max_age_hours,
                 "store-and-forward bound: older items are dropped, whatever their priority")
      ->check(CLI::Range(1, 24 * 365))
      ->capture_default_str();
  app.add_option("--cloud-zstd-level", c.zstd_level,
                 "zstd level of each message (0: send raw JSON)")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  app.add_option("--cloud-batch-max-kb", c.batch_max_kb,
                 "item bytes per message, kept below the endpoint's message limit")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
}

}  // namespace

absl::Status DaemonOptions::Validate() const {
  if (!model::IsValidInterfacePrefix(interface_prefix)) {
    return absl::InvalidArgumentError(
        StrCat("--interface-prefix '", interface_prefix, "' must be at most ",
               model::kMaxPrefixLength,
               " characters and usable in an interface name (no '/', ':' or spaces)"));
  }
  if (dataplane == dataplane::DataplaneMode::kHost && node.empty()) {
    return absl::InvalidArgumentError("--dataplane host needs --node: which node is this?");
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!tls_client_ca.empty() && tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key");
  }
  int ingress_files = !ingress_cert.empty() + !ingress_key.empty() + !ingress_client_ca.empty();
  if (ingress_files != 0 && ingress_files != 3) {
    return absl::InvalidArgumentError(
        "the TLS ingress needs --ingress-cert, --ingress-key and --ingress-client-ca together "
        "(it forwards only clients whose certificate the CA signed)");
  }
  if (!ListensOnLoopback() && tls_cert.empty() && !insecure_listen) {
    return absl::InvalidArgumentError(StrCat(
        "refusing to listen on ", listen,
        " without TLS: anyone who reaches it could reconfigure the vehicle network. Give "
        "--tls-cert/--tls-key (and --auth-tokens or --auth-jwt-key), or --insecure-listen to "
        "force it"));
  }
  if (cloud.cert_file.empty() != cloud.key_file.empty()) {
    return absl::InvalidArgumentError("--cloud-cert and --cloud-key go together");
  }
  if (someip_sd_group != "none") {
    std::optional<Ipv4Address> group = Ipv4Address::Parse(someip_sd_group);
    if (!group || (group->value() >> 28) != 0xE) {
      return absl::InvalidArgumentError(
          StrCat("--someip-sd-group ", someip_sd_group, " is not an IPv4 multicast address"));
    }
  }
  if (dds_domain != "none" && !DdsDomainId()) {
    return absl::InvalidArgumentError(
        StrCat("--dds-domain ", dds_domain, " is not a DDS domain id (0-232) or none"));
  }
  return absl::OkStatus();
}

std::optional<int> DaemonOptions::DdsDomainId() const {
  int domain = -1;
  try {
    size_t used = 0;
    domain = std::stoi(dds_domain, &used);
    if (used != dds_domain.size()) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (domain < 0 || domain > 232) return std::nullopt;
  return domain;
}

std::optional<int> ParseDaemonOptions(int argc, char** argv, DaemonOptions& o) {
  CLI::App app{"pharosd - the Pharos vehicle network controller"};
  app.set_config("--config", "", "read options from this file (INI/TOML, flag names as keys)");
  app.add_option("--listen", o.listen, "gRPC listen address host:port (port 0 picks a free one)")
      ->capture_default_str();
  app.add_option("--state-dir", o.state_dir, "directory of pharos.db (created if missing)")
      ->capture_default_str();
  const std::map<std::string, dataplane::DataplaneMode> modes{
      {"plan", dataplane::DataplaneMode::kPlan},
      {"emulated", dataplane::DataplaneMode::kEmulated},
      {"host", dataplane::DataplaneMode::kHost}};
  app.add_option("--dataplane", o.dataplane,
                 "dataplane mode: emulated (the vehicle as namespaces on this machine), host "
                 "(configure only --node here) or plan (compute, touch nothing)")
      ->transform(CLI::CheckedTransformer(modes))
      ->default_str("emulated");
  app.add_option("--resync-interval", o.resync_interval_seconds,
                 "seconds between the monitor's checks that every namespace still exists "
                 "(0: only react to netlink events)")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  app.add_option("--callback-endpoint", o.callback_endpoint,
                 "where Piccolo's callback service listens (host:port); 'none': queue only, "
                 "never send")
      ->capture_default_str();
  app.add_option("--callback-flavour", o.callback_flavour,
                 "pharos: pharos.api.v1.PiccoloCallbackService; pullpiri: "
                 "actioncontroller.ActionControllerConnection/CompleteNetworkSetting")
      ->check(CLI::IsMember({"pharos", "pullpiri"}))
      ->capture_default_str();
  app.add_option("--outbox-capacity", o.outbox_capacity,
                 "undelivered notifications kept; beyond it the oldest is dropped and counted")
      ->check(CLI::Range(int64_t{100}, int64_t{100000000}))
      ->capture_default_str();
  app.add_option("--callback-max-backoff", o.callback_max_backoff_seconds,
                 "seconds: cap of the retry backoff while Piccolo is unreachable")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--pod-setup-timeout", o.pod_setup_timeout_seconds,
                 "seconds: a RequestNetworkPod not set up by then completes as TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--cni-socket", o.cni_socket,
                 "Unix socket pharos-cni talks to (mode 0600); auto: /run/pharos/cni.sock "
                 "when root; none: no CNI")
      ->capture_default_str();
  app.add_option("--health-interval-ms", o.health_interval_ms,
                 "milliseconds between two health checks of a service")
      ->check(CLI::Range(50, 3600000))
      ->capture_default_str();
  app.add_option("--health-timeout-ms", o.health_timeout_ms, "milliseconds a check may take")
      ->check(CLI::Range(10, 60000))
      ->capture_default_str();
  app.add_option("--health-unhealthy-after", o.health_unhealthy_after,
                 "consecutive failed checks that make a degraded service unhealthy")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--health-healthy-after", o.health_healthy_after,
                 "consecutive good checks that make a degraded/unhealthy service healthy")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--health-flap-transitions", o.health_flap_transitions,
                 "state changes within --health-flap-window that damp a flapping service")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  app.add_option("--health-flap-window", o.health_flap_window_seconds,
                 "seconds: the window of the flap count")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--health-damped-checks", o.health_damped_checks,
                 "agreeing checks in a row that end the damping of a flapping service")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--someip-sd-group", o.someip_sd_group,
                 "multicast group SOME/IP-SD offers are heard on (every bridge); none: off")
      ->capture_default_str();
  app.add_option("--someip-sd-networks", o.someip_sd_networks,
                 "listen only on these networks: globs matched against a bridge's owner "
                 "(vm1), component (vm1/ph-podbr0) or name; repeatable; default every bridge")
      ->delimiter(',');
  app.add_option("--someip-sd-port", o.someip_sd_port, "UDP port of SOME/IP-SD")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--dds-domain", o.dds_domain,
                 "DDS domain id watched on every pod bridge (Cyclone DDS); none: off")
      ->capture_default_str();
  app.add_option("--dds-watcher", o.dds_watcher,
                 "path of pharos-dds-watch (default: next to pharosd, or in the build tree)");
  app.add_option("--policy-log-group", o.policy_log_group,
                 "NFLOG group denied packets are logged to (read back as security events)")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--security-window", o.security_window_seconds,
                 "seconds over which denied packets of one flow are aggregated into an event")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--security-burst-packets", o.security_burst_packets,
                 "denied packets in one window that make the event a WARNING")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--security-critical-windows", o.security_critical_windows,
                 "consecutive windows with denied packets that make the event CRITICAL")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--security-events-per-minute", o.security_events_per_minute,
                 "at most this many security events per minute; the rest are counted")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--security-sensitive-ports", o.security_sensitive_ports,
                 "ports whose first denied packet is already a WARNING (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--security-events-keep", o.security_events_keep,
                 "newest security events kept in the store; older ones are deleted (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--audit-log-keep", o.audit_log_keep,
                 "newest audit log entries kept in the store; older ones are deleted (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--watch-journal-keep", o.watch_journal_keep,
                 "newest watch journal entries kept: how far back a watcher "
                 "(pharosctl status --watch, events --follow) can resume (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--ingress-cert", o.ingress_cert,
                 "PEM certificate chain of the TLS ingress on the cloud gateway (tls_verified)")
      ->check(CLI::ExistingFile);
  app.add_option("--ingress-key", o.ingress_key, "PEM private key of --ingress-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--ingress-client-ca", o.ingress_client_ca,
                 "PEM CA: the ingress forwards only clients with a certificate it signed")
      ->check(CLI::ExistingFile);
  app.add_option("--ingress-port", o.ingress_port, "TCP port of the TLS ingress")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--ingress-idle-timeout", o.ingress_idle_timeout_seconds,
                 "seconds a forwarded connection may carry no data before the ingress closes it")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--tls-cert", o.tls_cert, "PEM certificate chain of the gRPC server (TLS)")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", o.tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-client-ca", o.tls_client_ca,
                 "PEM CA: clients must present a certificate it signed (mutual TLS)")
      ->check(CLI::ExistingFile);
  app.add_option("--auth-tokens", o.auth_tokens,
                 "file of static bearer tokens, one '<token> <viewer|operator|admin> <subject>' "
                 "per line")
      ->check(CLI::ExistingFile);
  app.add_option("--auth-jwt-key", o.auth_jwt_key,
                 "PEM public key (RSA: RS256, EC P-256: ES256) that signs accepted JWTs")
      ->check(CLI::ExistingFile);
  app.add_option("--auth-jwt-issuer", o.auth_jwt_issuer, "accept only JWTs with this iss");
  app.add_option("--listen-unix", o.listen_unix,
                 "also serve the API on this unix socket (mode 0660): local processes in any "
                 "network namespace reach it; tokens still apply");
  app.add_flag("--insecure-listen", o.insecure_listen,
               "allow --listen beyond loopback without TLS (anyone who reaches it can "
               "reconfigure the vehicle network)");
  app.add_option("--max-pods", o.max_pods,
                 "most pods a vehicle may have, runtime pods included; a document with more is "
                 "refused")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  app.add_option("--max-config-bytes", o.max_config_bytes,
                 "largest configuration or policy document accepted (below gRPC's 4 MiB "
                 "message limit)")
      ->check(CLI::Range(int64_t{4096}, int64_t{4000000}))
      ->capture_default_str();
  app.add_option("--shutdown-timeout-seconds", o.shutdown_timeout_seconds,
                 "after SIGTERM, exit by then even if a call is still working (state is durable: "
                 "the next start converges)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--node", o.node, "host mode: the name of the node this machine is");
  app.add_option("--interface-prefix", o.interface_prefix,
                 "prefix of every interface and namespace Pharos creates")
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--log-format", o.log_format, "text or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddCloudFlags(app, o.cloud);
  app.add_option("--ready-file", o.ready_file,
                 "write the bound host:port here once serving (for supervisors and tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return std::nullopt;
}

}  // namespace pharos
