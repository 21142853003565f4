// pharos-sovd's command line (docs/sovd.md "Flags").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace pharos::sovd::server {

struct SovdOptions {
  std::string config;  // the vehicles (YAML)
  std::string address = "127.0.0.1";
  int port = 50051;  // the seed's example port
  std::string tls_cert, tls_key, tls_client_ca;
  std::vector<std::string> allow_clients;  // certificate identities allowed (mTLS)
  bool allow_plaintext = false;            // plaintext on an address that is not loopback
  size_t max_chunk_bytes = 1'000'000;
  int stream_idle_ms = 30000;
  std::string audit_log;  // JSON lines; "" = none
  // The SOVD REST view (docs/sovd.md "REST view"): off unless a port is given.
  std::string rest_address = "127.0.0.1";
  int rest_port = -1;        // -1: off; 0: any free port
  std::string rest_vehicle;  // "" = the first configured vehicle
  std::string register_with, register_name = "sovd", register_endpoint, register_token_file;
  std::string ready_file;
  std::string log_level = "info", log_format = "text";

  std::string ListenAddress() const;
  bool TlsEnabled() const { return !tls_cert.empty(); }
  bool MutualTls() const { return !tls_client_ca.empty(); }
  // INVALID_ARGUMENT naming the flag.
  absl::Status Validate() const;
};

// nullopt: serve; a value: exit with it (help, version, usage error printed).
std::optional<int> ParseSovdOptions(int argc, char** argv, SovdOptions& options);

}  // namespace pharos::sovd::server
