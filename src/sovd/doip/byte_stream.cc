#include "sovd/doip/byte_stream.h"

#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>

#include "fmt/format.h"

namespace pharos::sovd::doip {
namespace {

namespace ssl = asio::ssl;
using boost::system::error_code;

class Plain final : public ByteStream {
 public:
  explicit Plain(tcp::socket socket) : socket_(std::move(socket)) {}
  awaitable<void> Read(asio::mutable_buffer b) override {
    co_await asio::async_read(socket_, b, use_awaitable);
  }
  awaitable<void> Write(asio::const_buffer b) override {
    co_await asio::async_write(socket_, b, use_awaitable);
  }
  void Close() override {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
  bool tls() const override { return false; }

 private:
  tcp::socket socket_;
};

class Tls final : public ByteStream {
 public:
  Tls(tcp::socket socket, ssl::context& context) : stream_(std::move(socket), context) {}
  ssl::stream<tcp::socket>& stream() { return stream_; }
  awaitable<void> Read(asio::mutable_buffer b) override {
    co_await asio::async_read(stream_, b, use_awaitable);
  }
  awaitable<void> Write(asio::const_buffer b) override {
    co_await asio::async_write(stream_, b, use_awaitable);
  }
  void Close() override {
    error_code ignored;
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
  }
  bool tls() const override { return true; }
  std::string PeerName() const override {
    X509* cert =
        SSL_get1_peer_certificate(const_cast<ssl::stream<tcp::socket>&>(stream_).native_handle());
    if (!cert) return "";
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }

 private:
  ssl::stream<tcp::socket> stream_;
};

// Runs the handshake against a timer that closes the socket when it fires.
awaitable<error_code> Handshake(Tls& tls, ssl::stream_base::handshake_type type,
                                std::chrono::milliseconds timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto fired = std::make_shared<bool>(false);
  tcp::socket* lowest = &tls.stream().next_layer();
  timer.async_wait([fired, lowest](const error_code& e) {
    if (e) return;  // cancelled: the handshake ended first (lowest may be gone)
    *fired = true;
    error_code ignored;
    lowest->close(ignored);
  });
  error_code ec;
  co_await tls.stream().async_handshake(type, asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  if (*fired && !ec) ec = asio::error::timed_out;
  co_return ec;
}

void Harden(ssl::context& c) {
  c.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
}

}  // namespace

std::unique_ptr<ByteStream> PlainStream(tcp::socket socket) {
  return std::make_unique<Plain>(std::move(socket));
}

awaitable<absl::StatusOr<std::unique_ptr<ByteStream>>> TlsClient(
    tcp::socket socket, ssl::context& context, std::string host,
    std::chrono::milliseconds timeout) {
  auto tls = std::make_unique<Tls>(std::move(socket), context);
  SSL* native = tls->stream().native_handle();
  error_code parse;
  asio::ip::make_address(host, parse);
  if (parse) {
    SSL_set_tlsext_host_name(native, host.c_str());  // SNI for a DNS name
  }
  tls->stream().set_verify_callback(ssl::host_name_verification(host));
  error_code ec = co_await Handshake(*tls, ssl::stream_base::client, timeout);
  if (ec) {
    co_return absl::UnavailableError(
        fmt::format("TLS handshake with {} failed: {}", host, ec.message()));
  }
  co_return std::unique_ptr<ByteStream>(std::move(tls));
}

awaitable<absl::StatusOr<std::unique_ptr<ByteStream>>> TlsServer(
    tcp::socket socket, ssl::context& context, std::chrono::milliseconds timeout) {
  auto tls = std::make_unique<Tls>(std::move(socket), context);
  error_code ec = co_await Handshake(*tls, ssl::stream_base::server, timeout);
  if (ec) co_return absl::UnavailableError(fmt::format("TLS handshake failed: {}", ec.message()));
  co_return std::unique_ptr<ByteStream>(std::move(tls));
}

absl::StatusOr<std::shared_ptr<ssl::context>> TlsClientContext(const std::string& ca,
                                                               const std::string& cert,
                                                               const std::string& key) {
  auto c = std::make_shared<ssl::context>(ssl::context::tls_client);
  Harden(*c);
  error_code ec;
  c->set_verify_mode(ssl::verify_peer);
  if (ca.empty()) {
    c->set_default_verify_paths(ec);
  } else {
    c->load_verify_file(ca, ec);
  }
  if (ec) return absl::InvalidArgumentError(fmt::format("DoIP TLS CA {}: {}", ca, ec.message()));
  if (!cert.empty()) {
    c->use_certificate_chain_file(cert, ec);
    if (!ec) c->use_private_key_file(key, ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          fmt::format("DoIP TLS client certificate {} / key {}: {}", cert, key, ec.message()));
    }
  }
  return c;
}

absl::StatusOr<std::shared_ptr<ssl::context>> TlsServerContext(const std::string& cert,
                                                               const std::string& key,
                                                               const std::string& ca) {
  auto c = std::make_shared<ssl::context>(ssl::context::tls_server);
  Harden(*c);
  error_code ec;
  c->use_certificate_chain_file(cert, ec);
  if (!ec) c->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("DoIP TLS certificate {} / key {}: {}", cert, key, ec.message()));
  }
  if (!ca.empty()) {
    c->load_verify_file(ca, ec);
    if (ec) return absl::InvalidArgumentError(fmt::format("DoIP TLS CA {}: {}", ca, ec.message()));
    c->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return c;
}

}  // namespace pharos::sovd::doip
