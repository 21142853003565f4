// The byte stream a DoIP connection runs on: plain TCP (port 13400) or TLS
// (ISO 13400-2:2019, port 3496), behind one interface, so the tester's
// connection and the simulator's entity do not care which.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sovd/common/asio.h"

namespace boost::asio::ssl {
class context;
}

namespace pharos::sovd::doip {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Exactly the buffer's size; throw boost::system::system_error on an
  // error or end of stream.
  virtual awaitable<void> Read(asio::mutable_buffer buffer) = 0;
  virtual awaitable<void> Write(asio::const_buffer buffer) = 0;
  virtual void Close() = 0;
  virtual bool tls() const = 0;
  // The peer certificate's CN with TLS, "" otherwise.
  virtual std::string PeerName() const { return ""; }
};

std::unique_ptr<ByteStream> PlainStream(tcp::socket socket);

// TLS over a connected socket, the handshake done within `timeout`.
// UNAVAILABLE with the handshake's error. `host` is checked against the
// server's certificate (an IP address or a DNS name).
awaitable<absl::StatusOr<std::unique_ptr<ByteStream>>> TlsClient(tcp::socket socket,
                                                                 asio::ssl::context& context,
                                                                 std::string host,
                                                                 std::chrono::milliseconds timeout);
awaitable<absl::StatusOr<std::unique_ptr<ByteStream>>> TlsServer(tcp::socket socket,
                                                                 asio::ssl::context& context,
                                                                 std::chrono::milliseconds timeout);

// Contexts from PEM files. A client verifies the server with `ca` (and
// presents `cert`/`key` when set); a server presents `cert`/`key` and, with
// `ca`, asks clients for a certificate it signed. INVALID_ARGUMENT naming
// the file that does not load.
absl::StatusOr<std::shared_ptr<asio::ssl::context>> TlsClientContext(const std::string& ca,
                                                                     const std::string& cert,
                                                                     const std::string& key);
absl::StatusOr<std::shared_ptr<asio::ssl::context>> TlsServerContext(const std::string& cert,
                                                                     const std::string& key,
                                                                     const std::string& ca);

}  // namespace pharos::sovd::doip
