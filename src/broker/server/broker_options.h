// pharos-broker's knobs. KUKSA databroker 0.7's flags keep their names and
// meanings (and environment variables), so launch scripts written for it
// work unchanged; Pharos's additions are documented in docs/broker.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace pharos::broker {

struct BrokerServerOptions {
  // KUKSA's flags.
  std::string address = "127.0.0.1";
  int port = 55555;
  std::vector<std::string> vss;  // files, in order; empty: the built-in VSS 4.0
  std::string jwt_public_key;
  bool disable_authorization = false;
  bool insecure = false;
  std::string tls_cert, tls_private_key;
  std::string
      tls_client_ca;  // Pharos: set, clients must present a certificate it signed (mutual TLS)
  bool enable_unix_socket = false;
  std::string
      unix_socket;         // set: listen there too (KUKSA's default path with --enable-unix-socket)
  int worker_threads = 0;  // 0: one per core
  // KUKSA 0.7's VISS switches (docs/viss.md).
  bool enable_viss = false;
  std::string viss_address = "127.0.0.1";
  int viss_port = 8090;
  // Pharos's additions.
  std::string public_scope;  // what callers without a token may do ("read:Vehicle.Speed ...")
  bool viss_allow_plaintext = false;  // plain ws on a non-loopback --viss-address
  int viss_threads = 1;
  // VISS over MQTT (docs/viss.md "MQTT"): on when a broker URL is given.
  std::string viss_mqtt_broker;  // mqtt://host:port or mqtts://host:port
  std::string viss_mqtt_vehicle_id = "vehicle";
  std::string viss_mqtt_ca, viss_mqtt_cert, viss_mqtt_key;
  std::string state_dir;  // "": nothing persists (ids are still derived from the catalog)
  std::vector<std::string> persist;  // globs of signals whose current value persists
  bool no_default_persistence = false;
  int actuation_timeout_ms = 2000;
  int history_size = 100;  // earlier values kept per signal (VISS history)
  // Registration in pharosd's service registry (server/pharosd_registration.h).
  std::string register_with;  // pharosd's API, host:port or unix:PATH
  std::string register_name = "vehicledatabroker";
  std::string register_endpoint;    // host:port pods use; default: --address and the bound port
  std::string register_token_file;  // pharosd bearer token; default: env PHAROS_TOKEN
  std::string ready_file;
  std::string log_level = "info";
  std::string log_format = "text";

  // What the address flags mean together: "host:port".
  std::string ListenAddress() const;
  std::string UnixSocketPath() const;  // "" when off
  bool AuthorizationEnabled() const { return !jwt_public_key.empty() && !disable_authorization; }
  bool TlsEnabled() const { return !tls_cert.empty(); }
  // INVALID_ARGUMENT naming the flag.
  absl::Status Validate() const;
};

struct TokenCommand;

// Parses argv (and KUKSA's environment variables); `pharos-broker token`
// runs the token helper instead of the server. nullopt: go on;
// a value: exit with it (help, version, or a usage error already printed).
std::optional<int> ParseBrokerOptions(int argc, char** argv, BrokerServerOptions& options);

}  // namespace pharos::broker
