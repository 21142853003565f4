// pharosd's knobs: command-line flags, optionally read from a config file
// (INI/TOML syntax, same names as the flags). docs/configuration.md lists
// every one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/backend.h"

namespace pharos {

// The cloud connector (docs/cloud.md): how it reaches the cloud and what
// bounds its queue. What it feeds is ConfigureCloudFeeding's.
struct CloudFlags {
  bool allow_plaintext = false;     // mqtt:// and http:// beyond loopback and the twin
  std::string ca_file;              // verifies the endpoint ("" : the system's CAs)
  std::string cert_file, key_file;  // mutual TLS
  int mqtt_version = 5;             // 3 (3.1.1) or 5
  std::string client_id;            // "" : pharos-<vehicle id>
  std::string vehicle_id;           // "" : the vehicle's name in the configuration
  std::string signal_broker;        // pharos-broker host:port for VSS fields ("" : none)
  std::string signal_token_file;    // its bearer token
  int64_t queue_max_mb = 256;
  int queue_max_age_hours = 168;
  int zstd_level = 3;     // 0: raw JSON
  int batch_max_kb = 96;  // item bodies per message, below the endpoint's limit
};

struct DaemonOptions {
  std::string listen = "127.0.0.1:9091";  // spec section 11.4.1
  std::string state_dir = "/var/lib/pharos";
  dataplane::DataplaneMode dataplane = dataplane::DataplaneMode::kEmulated;
  int resync_interval_seconds = 10;                  // monitor: periodic existence check
  std::string callback_endpoint = "127.0.0.1:9090";  // Piccolo (spec 11.4.1); "none": queue only
  std::string callback_flavour = "pharos";           // pharos | pullpiri
  int64_t outbox_capacity = 100000;
  int callback_max_backoff_seconds = 30;
  int pod_setup_timeout_seconds = 30;
  // Limits on one configuration document (docs/configuration.md, Limits).
  int64_t max_pods = 8192;
  int64_t max_config_bytes = 2 * 1024 * 1024;
  int shutdown_timeout_seconds = 15;  // after SIGTERM, exit by then whatever runs
  // pharos-cni's way in: "auto" = /run/pharos/cni.sock when running as
  // root (an unprivileged pharosd, e.g. --dataplane=plan, has no CNI);
  // "none": off.
  std::string cni_socket = "auto";
  // Service health (core/service_health.h).
  int health_interval_ms = 5000;
  int health_timeout_ms = 1000;
  int health_unhealthy_after = 3;
  int health_healthy_after = 2;
  int health_flap_transitions = 4;
  int health_flap_window_seconds = 60;
  int health_damped_checks = 5;
  // SOME/IP-SD discovery on every bridge ("none": off).
  std::string someip_sd_group = "224.244.224.245";
  int someip_sd_port = 30490;
  std::vector<std::string> someip_sd_networks;  // globs; empty: every bridge
  // DDS discovery on every pod bridge ("none": off).
  std::string dds_domain = "0";
  std::string dds_watcher;  // "": next to pharosd or in the build tree
  // Security controller: the NFLOG group denied packets are logged to.
  int policy_log_group = 27;
  // Security events (security/security_events.h).
  int security_window_seconds = 10;
  int security_burst_packets = 20;
  int security_critical_windows = 3;
  int security_events_per_minute = 120;
  std::vector<int> security_sensitive_ports{22, 23, 3389, 5900};
  // Retention: the newest rows kept (0: all).
  int64_t security_events_keep = 100000;
  int64_t audit_log_keep = 100000;
  int64_t watch_journal_keep = 100000;  // what a watcher can resume from
  // The TLS ingress on the cloud gateway (security/tls_ingress.h): on when
  // all three files are given.
  std::string ingress_cert, ingress_key, ingress_client_ca;
  int ingress_port = 443;
  int ingress_idle_timeout_seconds = 300;
  // Management API security (api/authorizer.h).
  std::string tls_cert, tls_key;  // PEM; both or neither
  std::string tls_client_ca;      // PEM; set: clients must present a certificate it signed
  std::string auth_tokens;        // static tokens file
  std::string auth_jwt_key;       // PEM public key verifying JWTs
  std::string auth_jwt_issuer;
  bool insecure_listen = false;   // allow a non-loopback listen address without TLS
  // A unix socket beside --listen: local processes reach the API from any
  // network namespace (native services of the twin's SoCs). "" = off.
  std::string listen_unix;
  std::string node;         // host mode: which node this machine is
  std::string interface_prefix = "ph-";
  std::string log_level = "info";
  std::string log_format = "text";
  std::string ready_file;  // written with the bound address once serving
  CloudFlags cloud;

  // Every check that involves more than one flag, or a value CLI11 cannot
  // judge alone; InvalidArgument naming the flag (pharosd exits 2).
  absl::Status Validate() const;
  // Whether `listen` is reachable only from this machine.
  bool ListensOnLoopback() const;
  bool TlsIngressEnabled() const { return !ingress_cert.empty(); }
  bool DeliversCallbacks() const {
    return !callback_endpoint.empty() && callback_endpoint != "none";
  }
  // --dds-domain as a number (nullopt: not a domain id).
  std::optional<int> DdsDomainId() const;
  // The pharos-cni socket ("auto" resolved); "none": no CNI.
  std::string CniSocket(bool root) const;
};

// Parses argv; on --help or a bad flag prints to stdout/stderr and returns
// the exit code to use.
std::optional<int> ParseDaemonOptions(int argc, char** argv, DaemonOptions& options);

}  // namespace pharos
