// gRPC server credentials from PEM files: TLS with a certificate and key,
// and mutual TLS when a client CA is given (a client must present a
// certificate it signed). Shared by pharos-broker and pharos-sovd.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace pharos {

struct ServerTlsFiles {
  std::string cert, key, client_ca;  // cert empty: plaintext
  // The flags they came from, for messages.
  std::string cert_flag = "--tls-cert", key_flag = "--tls-private-key",
              client_ca_flag = "--tls-client-ca";
};

// NOT_FOUND naming the flag when a file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFrom(
    const ServerTlsFiles& files);

absl::StatusOr<std::string> ReadTextFile(const std::string& path, std::string_view what);

}  // namespace pharos
