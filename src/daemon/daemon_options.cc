#include "daemon/daemon_options.h"

#include <CLI/CLI.hpp>

namespace pharos {

std::optional<int> ParseDaemonOptions(int argc, char** argv, DaemonOptions& o) {
  CLI::App app{"pharosd - the Pharos vehicle network controller"};
  app.set_config("--config", "", "read options from this file (INI/TOML, flag names as keys)");
  app.add_option("--listen", o.listen, "gRPC listen address host:port (port 0 picks a free one)")
      ->capture_default_str();
  app.add_option("--state-dir", o.state_dir, "directory of pharos.db (created if missing)")
      ->capture_default_str();
  app.add_option("--dataplane", o.dataplane,
                 "dataplane mode: emulated (the vehicle as namespaces on this machine), host "
                 "(configure only --node here) or plan (compute, touch nothing)")
      ->check(CLI::IsMember({"plan", "emulated", "host"}))
      ->capture_default_str();
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
  app.add_flag("--insecure-listen", o.insecure_listen,
               "allow --listen beyond loopback without TLS (anyone who reaches it can "
               "reconfigure the vehicle network)");
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
