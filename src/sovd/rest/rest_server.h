// The SOVD REST view's listener: HTTP/1.1 (Boost.Beast) on its own port,
// HTTPS with a certificate, mutual TLS with a client CA and the same
// allow-list and audit log as the gRPC front end (docs/sovd.md "REST view").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "sovd/core/audit.h"
#include "sovd/core/diagnostics.h"

namespace pharos::sovd::rest {

struct RestOptions {
  std::string address = "127.0.0.1";
  int port = 8443;  // 0: any free port
  std::string tls_cert, tls_key, tls_client_ca;
  std::vector<std::string> allow_clients;  // certificate identities (with a client CA)
  std::string vehicle;                     // the vehicle served; "" = the first configured
};

class RestServer {
 public:
  static absl::StatusOr<std::unique_ptr<RestServer>> Start(core::Diagnostics& diagnostics,
                                                           core::AuditSink& audit,
                                                           const Clock& clock,
                                                           const RestOptions& options);
  ~RestServer();  // closes the listener and the connections, joins the thread

  const std::string& address() const;

  struct State;

 private:
  explicit RestServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace pharos::sovd::rest
