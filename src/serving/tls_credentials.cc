#include "serving/tls_credentials.h"

#include <grpcpp/security/server_credentials.h>

#include <fstream>
#include <sstream>

#include "fmt/format.h"

namespace pharos {

absl::StatusOr<std::string> ReadTextFile(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {} {}", what, path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFrom(
    const ServerTlsFiles& files) {
  if (files.cert.empty()) return grpc::InsecureServerCredentials();
  auto cert = ReadTextFile(files.cert, files.cert_flag);
  if (!cert.ok()) return cert.status();
  auto key = ReadTextFile(files.key, files.key_flag);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!files.client_ca.empty()) {
    auto ca = ReadTextFile(files.client_ca, files.client_ca_flag);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace pharos
