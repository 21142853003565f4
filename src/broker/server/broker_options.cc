#include "broker/server/broker_options.h"

#include <CLI/CLI.hpp>

#include "broker/core/glob.h"
#include "broker/core/permissions.h"
#include "broker/server/token_command.h"
#include "common/fmt_absl.h"
#include "common/loopback.h"
#include "fmt/format.h"

namespace pharos::broker {
namespace {

constexpr const char* kKuksaUnixSocket = "/run/kuksa/databroker.sock";

}  // namespace

std::string BrokerServerOptions::ListenAddress() const {
  if (address.find(':') != std::string::npos) return fmt::format("[{}]:{}", address, port);
  return fmt::format("{}:{}", address, port);
}

std::string BrokerServerOptions::UnixSocketPath() const {
  if (!unix_socket.empty()) return unix_socket;
  return enable_unix_socket ? kKuksaUnixSocket : "";
}

absl::Status BrokerServerOptions::Validate() const {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(fmt::format("--port {} is not a TCP port", port));
  }
  if (tls_cert.empty() != tls_private_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-private-key go together");
  }
  if (!tls_client_ca.empty() && !TlsEnabled()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-private-key");
  }
  if (TlsEnabled() && insecure) {
    return absl::InvalidArgumentError("--insecure and --tls-cert exclude each other");
  }
  // KUKSA serves everyone when no key is given; Pharos keeps that on
  // loopback and asks for an explicit --disable-authorization beyond it.
  if (!AuthorizationEnabled() && !IsLoopbackHost(address) && !disable_authorization) {
    return absl::InvalidArgumentError(fmt::format(
        "refusing to serve {} without authorization: anyone who reaches it could read every "
        "signal and actuate the vehicle. Give --jwt-public-key, or --disable-authorization to "
        "force it",
        address));
  }
  if (enable_viss && !AuthorizationEnabled() && !IsLoopbackHost(viss_address) &&
      !disable_authorization) {
    return absl::InvalidArgumentError(fmt::format(
        "refusing to serve VISS on {} without authorization (the same rule as --address). Give "
        "--jwt-public-key, or --disable-authorization to force it",
        viss_address));
  }
  if (!public_scope.empty()) {
    if (!AuthorizationEnabled()) {
      return absl::InvalidArgumentError(
          "--public-scope needs --jwt-public-key: without it everything is public already");
    }
    if (auto open = Access::Public(public_scope); !open.ok()) {
      return absl::InvalidArgumentError(fmt::format("--public-scope: {}", open.status().message()));
    }
  }
  if (!viss_mqtt_broker.empty() && !enable_viss) {
    return absl::InvalidArgumentError("--viss-mqtt-broker needs --enable-viss");
  }
  if (viss_port < 0 || viss_port > 65535) {
    return absl::InvalidArgumentError(fmt::format("--viss-port {} is not a TCP port", viss_port));
  }
  for (const std::string& glob : persist) {
    if (auto parsed = PathGlob::Parse(glob); !parsed.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--persist {}: {}", glob, parsed.status().message()));
    }
  }
  if (actuation_timeout_ms < 0) {
    return absl::InvalidArgumentError("--actuation-timeout-ms must be 0 or more");
  }
  if (worker_threads < 0) return absl::InvalidArgumentError("--worker-threads must be 0 or more");
  if (history_size < 0 || history_size > 100000) {
    return absl::InvalidArgumentError("--history-size must be 0..100000");
  }
  if (!register_with.empty() && register_endpoint.empty() &&
      (address == "0.0.0.0" || address == "::")) {
    return absl::InvalidArgumentError(
        "--register-with needs --register-endpoint when --address is a wildcard: which address "
        "should pods use?");
  }
  if (!register_endpoint.empty() && register_endpoint.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        fmt::format("--register-endpoint {} is not host:port", register_endpoint));
  }
  return absl::OkStatus();
}

std::optional<int> ParseBrokerOptions(int argc, char** argv, BrokerServerOptions& o) {
  CLI::App app{
      "pharos-broker: the vehicle signal broker (kuksa.val.v2, kuksa.val.v1, "
      "sdv.databroker.v1 on one port)"};
  app.set_version_flag("-V,--version", std::string("pharos-broker ") + PHAROS_VERSION);
  // A later --address/--port wins, so a wrapper's defaults can be overridden.
  app.add_option("--address", o.address, "bind address")
      ->envname("KUKSA_DATABROKER_ADDR")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();
  app.add_option("--port", o.port, "bind port")
      ->envname("KUKSA_DATABROKER_PORT")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();
  app.add_flag("--enable-unix-socket", o.enable_unix_socket,
               std::string("listen on a unix socket too, by default ") + kKuksaUnixSocket)
      ->envname("KUKSA_DATABROKER_ENABLE_UNIX_SOCKET");
  app.add_option("--unix-socket", o.unix_socket, "listen on this unix socket too")
      ->envname("KUKSA_DATABROKER_UNIX_SOCKET");
  app.add_option("--vss", o.vss,
                 "VSS catalogs (JSON), comma-separated or repeated; later files override and "
                 "extend earlier ones. Default: the built-in VSS 4.0")
      ->delimiter(',')
      ->envname("KUKSA_DATABROKER_METADATA_FILE");
  app.add_option("--jwt-public-key", o.jwt_public_key,
                 "public key (PEM) verifying JWT access tokens; without it authorization is off");
  app.add_flag("--disable-authorization", o.disable_authorization, "disable authorization");
  app.add_option("--public-scope", o.public_scope,
                 "Pharos: what callers without a token may do, in the token scope syntax "
                 "(e.g. \"read:Vehicle.Speed read:Vehicle.Cabin.*\"); everything else needs a "
                 "token granting it");
  app.add_flag("--insecure", o.insecure, "allow insecure connections (plaintext)");
  app.add_option("--tls-cert", o.tls_cert, "TLS certificate file (.pem)");
  app.add_option("--tls-private-key", o.tls_private_key, "TLS private key file (.key)");
  app.add_option("--tls-client-ca", o.tls_client_ca,
                 "PEM CA: clients must present a certificate it signed (mutual TLS)");
  app.add_option("--worker-threads", o.worker_threads,
                 "threads polling for requests (0: one per core)")
      ->capture_default_str();
  bool enable_v1 = false;
  app.add_flag("--enable-databroker-v1", enable_v1,
               "accepted for KUKSA compatibility: sdv.databroker.v1 is always served");
  app.add_flag("--enable-viss", o.enable_viss, "serve VISS v2 over WebSocket (docs/viss.md)")
      ->envname("KUKSA_DATABROKER_ENABLE_VISS");
  app.add_option("--viss-address", o.viss_address, "VISS bind address")
      ->envname("KUKSA_DATABROKER_VISS_ADDR")
      ->capture_default_str();
  app.add_option("--viss-port", o.viss_port, "VISS port (0: any free port)")
      ->envname("KUKSA_DATABROKER_VISS_PORT")
      ->capture_default_str();
  app.add_flag("--viss-allow-plaintext", o.viss_allow_plaintext,
               "serve plain ws on a --viss-address that is not loopback");
  app.add_option("--viss-threads", o.viss_threads, "I/O threads of the VISS server")
      ->capture_default_str();
  app.add_option("--viss-mqtt-broker", o.viss_mqtt_broker,
                 "Pharos: serve VISS over MQTT through this broker too, mqtt://host[:port] or "
                 "mqtts://host[:port] (needs --enable-viss)");
  app.add_option("--viss-mqtt-vehicle-id", o.viss_mqtt_vehicle_id,
                 "Pharos: the vehicle id of the MQTT request topic <id>/Vehicle")
      ->capture_default_str();
  app.add_option("--viss-mqtt-ca", o.viss_mqtt_ca,
                 "Pharos: mqtts: the CA of the MQTT broker (PEM)");
  app.add_option("--viss-mqtt-cert", o.viss_mqtt_cert,
                 "Pharos: mqtts: a client certificate for mutual TLS (PEM)");
  app.add_option("--viss-mqtt-key", o.viss_mqtt_key, "Pharos: mqtts: its private key (PEM)");
  app.add_option("--state-dir", o.state_dir,
                 "directory of the broker's SQLite state (ids, persisted values); unset: nothing "
                 "persists");
  app.add_option("--persist", o.persist,
                 "also persist the current value of signals matching this glob (repeatable)");
  app.add_flag("--no-default-persistence", o.no_default_persistence,
               "do not persist attributes and actuator targets by default");
  app.add_option("--actuation-timeout-ms", o.actuation_timeout_ms,
                 "how long an actuation waits for its provider's acknowledgement (0: answer once "
                 "forwarded, as KUKSA)")
      ->capture_default_str();
  app.add_option("--history-size", o.history_size,
                 "earlier values the broker keeps per signal, in memory, for VISS's history "
                 "filter (0: none)")
      ->capture_default_str();
  app.add_option("--register-with", o.register_with,
                 "register in pharosd's service registry at this API address (host:port or "
                 "unix:PATH)");
  app.add_option("--register-name", o.register_name, "the service name to register")
      ->capture_default_str();
  app.add_option("--register-endpoint", o.register_endpoint,
                 "host:port pods connect to (default: --address and the bound port)");
  app.add_option("--register-token-file", o.register_token_file,
                 "file holding pharosd's bearer token (default: env PHAROS_TOKEN)");
  app.add_option("--ready-file", o.ready_file, "written with the bound address once serving");
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error")->capture_default_str();
  app.add_option("--log-format", o.log_format, "text|json")->capture_default_str();
  TokenCommand token_command;
  CLI::App* token = app.add_subcommand("token", "mint development keys and KUKSA-format tokens");
  token_command.AddTo(*token);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*token) return token_command.Run();
  if (absl::Status s = o.Validate(); !s.ok()) {
    fprintf(stderr, "pharos-broker: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace pharos::broker
