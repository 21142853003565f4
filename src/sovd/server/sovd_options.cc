#include "sovd/server/sovd_options.h"

#include <CLI/CLI.hpp>

#include "common/loopback.h"
#include "fmt/format.h"

namespace pharos::sovd::server {

std::string SovdOptions::ListenAddress() const {
  if (address.find(':') != std::string::npos) return fmt::format("[{}]:{}", address, port);
  return fmt::format("{}:{}", address, port);
}

absl::Status SovdOptions::Validate() const {
  if (config.empty()) return absl::InvalidArgumentError("--config is required");
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(fmt::format("--port {} is not a TCP port", port));
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (MutualTls() && !TlsEnabled()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (!allow_clients.empty() && !MutualTls()) {
    return absl::InvalidArgumentError(
        "--allow-client checks client certificates: it needs --tls-client-ca (mutual TLS)");
  }
  // The seed: "Production deployments MUST use TLS".
  if (!TlsEnabled() && !IsLoopbackHost(address) && !allow_plaintext) {
    return absl::InvalidArgumentError(fmt::format(
        "refusing plaintext on {}: anyone who reaches it could clear DTCs and reset ECUs. Give "
        "--tls-cert and --tls-key (and --tls-client-ca for mutual TLS), or --allow-plaintext",
        address));
  }
  if (rest_port < -1 || rest_port > 65535) {
    return absl::InvalidArgumentError(fmt::format("--rest-port {} is not a TCP port", rest_port));
  }
  if (rest_port >= 0 && !TlsEnabled() && !IsLoopbackHost(rest_address) && !allow_plaintext) {
    return absl::InvalidArgumentError(fmt::format(
        "refusing plain HTTP on {}: give --tls-cert and --tls-key (the REST view uses them too), "
        "or --allow-plaintext",
        rest_address));
  }
  if (max_chunk_bytes < 512 || max_chunk_bytes > 4'000'000) {
    return absl::InvalidArgumentError("--max-chunk-bytes must be 512..4000000");
  }
  if (stream_idle_ms < 100) return absl::InvalidArgumentError("--stream-idle-ms must be >= 100");
  if (!register_with.empty() && register_endpoint.empty() &&
      (address == "0.0.0.0" || address == "::")) {
    return absl::InvalidArgumentError(
        "--register-with needs --register-endpoint when --address is a wildcard");
  }
  return absl::OkStatus();
}

std::optional<int> ParseSovdOptions(int argc, char** argv, SovdOptions& o) {
  CLI::App app{"pharos-sovd: vehicle diagnostics, sovd.vehicle.VehicleService over UDS on DoIP"};
  app.set_version_flag("-V,--version", std::string("pharos-sovd ") + PHAROS_VERSION);
  app.add_option("--config", o.config, "the vehicles, their DoIP entities and ECUs (YAML)");
  // A later --address/--port wins, so a wrapper's defaults can be overridden.
  app.add_option("--address", o.address, "gRPC bind address")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();
  app.add_option("--port", o.port, "gRPC port (0: any free port)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();
  app.add_option("--tls-cert", o.tls_cert, "TLS certificate (PEM)");
  app.add_option("--tls-key", o.tls_key, "its private key (PEM)");
  app.add_option("--tls-client-ca", o.tls_client_ca,
                 "CA (PEM): clients must present a certificate it signed (mutual TLS)");
  app.add_option("--allow-client", o.allow_clients,
                 "a client certificate identity (CN or DNS SAN) that may call; repeatable. Unset: "
                 "any certificate the CA signed");
  app.add_flag("--allow-plaintext", o.allow_plaintext,
               "serve plaintext on an --address that is not loopback");
  app.add_option("--max-chunk-bytes", o.max_chunk_bytes,
                 "largest response_payload per chunk; longer answers are split")
      ->capture_default_str();
  app.add_option("--stream-idle-ms", o.stream_idle_ms,
                 "cancel a stream whose client has not read a chunk for this long")
      ->capture_default_str();
  app.add_option("--audit-log", o.audit_log,
                 "append one JSON line per command (who, vehicle, command, result)");
  app.add_option("--rest-port", o.rest_port,
                 "serve the SOVD REST view on this port (0: any free port; unset: off), with the "
                 "same TLS, allow-list and audit log");
  app.add_option("--rest-address", o.rest_address, "the REST view's bind address")
      ->capture_default_str();
  app.add_option("--rest-vehicle", o.rest_vehicle,
                 "the vehicle the REST view serves (default: the first configured)");
  app.add_option("--register-with", o.register_with,
                 "register in pharosd's service registry at this API address");
  app.add_option("--register-name", o.register_name, "the service name to register")
      ->capture_default_str();
  app.add_option("--register-endpoint", o.register_endpoint,
                 "host:port clients connect to (default: --address and the bound port)");
  app.add_option("--register-token-file", o.register_token_file,
                 "file holding pharosd's bearer token (default: env PHAROS_TOKEN)");
  app.add_option("--ready-file", o.ready_file, "written with the bound address once serving");
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error")->capture_default_str();
  app.add_option("--log-format", o.log_format, "text|json")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (absl::Status s = o.Validate(); !s.ok()) {
    fprintf(stderr, "pharos-sovd: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  return std::nullopt;
}

}  // namespace pharos::sovd::server
