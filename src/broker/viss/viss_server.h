// VISS's listening side (KUKSA's --enable-viss, --viss-address,
// --viss-port): WebSocket and HTTP on one port, every connection a
// VissChannel on a strand of its own, all on a few I/O threads (no thread
// per client or per subscription). Boost.Beast.
//
// With a certificate only wss/https; without, plain ws/http, on loopback
// addresses only unless allowed (`allow_plaintext`).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "broker/auth/token_authority.h"
#include "broker/core/broker.h"
#include "broker/viss/viss_channel.h"
#include "common/clock.h"

namespace pharos::broker::viss {

struct VissServerOptions {
  std::string address = "127.0.0.1";
  int port = 8090;               // KUKSA databroker's default; 0: any free port
  bool allow_plaintext = false;  // plain ws on a non-loopback address
  // Both set: only wss and https (PEM files; the broker's --tls-cert and
  // --tls-private-key).
  std::string tls_cert, tls_key;
  int io_threads = 1;
  // A client whose unsent messages pile up beyond this is too slow: its
  // connection is closed (1008, policy) so it cannot hold the others back.
  size_t max_queued_messages = 1000;
  // Beast's idle timeout: pings are sent at half of it; a connection with
  // no traffic (pongs included) for this long is closed.
  std::chrono::seconds idle_timeout{300};
  size_t max_message_bytes = 64 * 1024;
  ChannelOptions channel;

  // INVALID_ARGUMENT naming the flag.
  absl::Status Validate() const;
};

class VissServer {
 public:
  static absl::StatusOr<std::unique_ptr<VissServer>> Start(Broker& broker,
                                                           const TokenAuthority& tokens,
                                                           const Clock& clock,
                                                           const VissServerOptions& options);
  ~VissServer();  // closes every connection, joins the I/O threads

  // "127.0.0.1:8090" as bound.
  const std::string& address() const;
  size_t connection_count() const;

  struct State;

 private:
  explicit VissServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace pharos::broker::viss
