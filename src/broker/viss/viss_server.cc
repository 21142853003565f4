#include "broker/viss/viss_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "broker/viss/viss_http.h"
#include "broker/viss/viss_values.h"
#include "common/loopback.h"
#include "fmt/format.h"

namespace pharos::broker::viss {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Strand = VissChannel::Strand;

// Sec-WebSocket-Protocol is a comma-separated list of offers, the
// client's preferred first: the first one served is the dialect.
const Dialect* FirstServed(std::string_view header) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (const Dialect* d = DialectFor(item)) return d;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return nullptr;
}

// What the server's list of open connections needs of one (plain or TLS).
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void Shutdown() = 0;  // from any thread
};

}  // namespace

struct VissServer::State {
  State(Broker& b, const TokenAuthority& t, const Clock& c, VissServerOptions o)
      : broker(b), tokens(t), clock(c), options(std::move(o)) {}
  // Declared before the io_context: connections still pending in it when
  // it is destroyed use these in their destructors.
  Broker& broker;
  const TokenAuthority& tokens;
  const Clock& clock;
  const VissServerOptions options;
  std::atomic<size_t> connections{0};  // open WebSockets
  std::atomic<size_t> live{0};         // Connection objects
  std::mutex mu;                       // open
  std::vector<std::weak_ptr<ConnectionBase>> open;
  std::string address;
  // Sets wait for their provider here, not on an I/O thread.
  net::thread_pool actuations{2};
  std::optional<net::ssl::context> tls;  // wss and https, when a certificate is given
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
};

namespace {

using State = VissServer::State;

// One client: the HTTP request that opens it (after the TLS handshake,
// with a certificate), then the WebSocket or more HTTP requests. `Stream`
// is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Connection(State& server, tcp::socket socket, Strand strand) requires(!kTls)
      : server_(server), strand_(std::move(strand)), stream_(std::move(socket)) {
    ++server_.live;
  }
  Connection(State& server, tcp::socket socket, Strand strand,
             net::ssl::context& tls) requires(kTls)
      : server_(server), strand_(std::move(strand)), stream_(std::move(socket), tls) {
    ++server_.live;
  }
  ~Connection() {
    if (channel_) {
      channel_->Close();
      --server_.connections;
    }
    --server_.live;
  }

  // From any thread: ends the connection (the server stops).
  void Shutdown() override {
    net::post(strand_, [self = this->shared_from_this()] {
      self->closing_ = true;
      if (self->channel_) self->channel_->Close();
      beast::error_code ignored;
      if (self->ws_) {
        beast::get_lowest_layer(*self->ws_).socket().close(ignored);
      } else {
        beast::get_lowest_layer(self->stream_).socket().close(ignored);
      }
    });
  }

  void Start() {
    if (!registered_) {
      registered_ = true;
      std::lock_guard lock(server_.mu);
      std::erase_if(server_.open, [](const auto& w) { return w.expired(); });
      server_.open.push_back(this->weak_from_this());
    }
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    if constexpr (kTls) {
      if (!handshaken_) {
        stream_.async_handshake(net::ssl::stream_base::server,
                                [self = this->shared_from_this()](beast::error_code ec) {
                                  if (ec) return;  // not TLS, or not our CA: nothing to say
                                  self->handshaken_ = true;
                                  self->Start();
                                });
        return;
      }
    }
    http::async_read(stream_, buffer_, request_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->OnRequest();
                     });
  }

 private:
  void OnRequest() {
    if (!websocket::is_upgrade(request_)) {
      ServeHttp();
      return;
    }
    auto offered = request_.find(http::field::sec_websocket_protocol);
    dialect_ = &V2Dialect();  // no offer: v2
    if (offered != request_.end()) {
      dialect_ = FirstServed(std::string_view(offered->value().data(), offered->value().size()));
      if (!dialect_) {
        Refuse(http::status::not_implemented,
               fmt::format("WebSocket subprotocol {} is not served; offer VISSv2, VISSv3 or "
                           "VISS1.0 (or none, for VISSv2)",
                           std::string(offered->value())));
        return;
      }
    }
    std::string named = offered != request_.end() ? std::string(dialect_->subprotocol()) : "";
    ws_ = std::make_unique<websocket::stream<Stream>>(std::move(stream_));
    beast::get_lowest_layer(*ws_).expires_never();  // the websocket's own timeouts from here on
    websocket::stream_base::timeout t =
        websocket::stream_base::timeout::suggested(beast::role_type::server);
    t.idle_timeout = server_.options.idle_timeout;
    t.keep_alive_pings = true;
    ws_->set_option(t);
    ws_->read_message_max(server_.options.max_message_bytes);
    ws_->set_option(websocket::stream_base::decorator([named](websocket::response_type& res) {
      res.set(http::field::server, "pharos-broker");
      if (!named.empty()) res.set(http::field::sec_websocket_protocol, named);
    }));
    ws_->async_accept(request_, [self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->OnOpen();
    });
  }

  // One VISS request over HTTP (viss_http.h); the connection stays open
  // for the next while the client keeps it alive.
  void ServeHttp() {
    if (!http_channel_) {
      http_channel_ = std::make_shared<VissChannel>(
          server_.broker, server_.tokens, server_.clock, strand_, [](std::string) {},
          server_.options.channel);
    }
    auto auth = request_.find(http::field::authorization);
    std::optional<std::string_view> authorization;
    if (auth != request_.end()) {
      authorization = std::string_view(auth->value().data(), auth->value().size());
    }
    auto parsed = ParseHttpRequest(
        std::string_view(request_.method_string().data(), request_.method_string().size()),
        std::string_view(request_.target().data(), request_.target().size()), request_.body(),
        authorization);
    if (auto* e = std::get_if<VissError>(&parsed)) {
      Respond(ToHttp({{"error", e->ToJson()}, {"ts", VissTimestamp(server_.clock.Now())}}));
      return;
    }
    http_channel_->Execute(std::get<VissRequest>(parsed),
                           [self = this->shared_from_this()](nlohmann::json answer) {
                             self->Respond(ToHttp(std::move(answer)));
                           });
  }

  void Respond(HttpAnswer answer) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.status), request_.version());
    res->set(http::field::server, "pharos-broker");
    res->set(http::field::content_type, "application/json; charset=utf-8");
    if (answer.status == 401) {
      res->set(http::field::www_authenticate,
               fmt::format("Bearer realm=\"pharos-broker\", error=\"{}\"",
                           answer.body["error"].value("reason", "invalid_token")));
    }
    res->body() = VissText(answer.body);
    res->keep_alive(request_.keep_alive());
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (!res->keep_alive()) {
                          beast::error_code ignored;
                          beast::get_lowest_layer(self->stream_)
                              .socket()
                              .shutdown(tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->request_ = {};
                        self->Start();
                      });
  }

  void Refuse(http::status status, std::string message) {
    auto res = std::make_shared<http::response<http::string_body>>(status, request_.version());
    res->set(http::field::server, "pharos-broker");
    res->set(http::field::content_type, "application/json; charset=utf-8");
    nlohmann::json body = {{"error",
                            {{"number", static_cast<int>(status)},
                             {"reason", "not_implemented"},
                             {"message", std::move(message)}}}};
    res->body() = VissText(body);
    res->keep_alive(false);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code, size_t) {
                        beast::error_code ignored;
                        beast::get_lowest_layer(self->stream_)
                            .socket()
                            .shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  void OnOpen() {
    ++server_.connections;
    std::weak_ptr<Connection> self = this->weak_from_this();
    ChannelOptions limits = server_.options.channel;
    limits.keep_tokens = true;  // a WebSocket channel acts with the union of its tokens
    limits.dialect = dialect_;
    channel_ = std::make_shared<VissChannel>(
        server_.broker, server_.tokens, server_.clock, strand_,
        [self](std::string message) {
          if (auto c = self.lock()) c->Send(std::move(message));
        },
        limits, &server_.actuations);
    ws_->text(true);
    Read();
  }

  void Read() {
    buffer_.clear();
    ws_->async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->Closed(ec);
        return;
      }
      self->channel_->Handle(beast::buffers_to_string(self->buffer_.data()));
      if (!self->closing_) self->Read();
    });
  }

  // On the strand (the channel's send).
  void Send(std::string message) {
    if (closing_) return;
    if (outbox_.size() >= server_.options.max_queued_messages) {
      // Too slow: never let one client's backlog grow without bound.
      spdlog::warn("viss: closing a client that left {} messages unread", outbox_.size());
      closing_ = true;
      channel_->Close();
      ws_->async_close(websocket::close_reason(websocket::close_code::policy_error,
                                               "too slow: messages not read"),
                       [self = this->shared_from_this()](beast::error_code) {});
      // A client that does not read may never take the close frame either
      // (it waits behind the pending write): the socket goes after 5 s.
      give_up_ = std::make_unique<net::steady_timer>(strand_, std::chrono::seconds(5));
      give_up_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return;
        beast::error_code ignored;
        beast::get_lowest_layer(*self->ws_).socket().close(ignored);
      });
      return;
    }
    outbox_.push_back(std::move(message));
    if (outbox_.size() == 1) Write();
  }

  void Write() {
    ws_->async_write(net::buffer(outbox_.front()),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return;
                       self->outbox_.pop_front();
                       if (!self->outbox_.empty() && !self->closing_) self->Write();
                     });
  }

  void Closed(const beast::error_code& ec) {
    if (ec != websocket::error::closed) spdlog::debug("viss: connection ended: {}", ec.message());
    if (channel_) channel_->Close();
  }

  State& server_;
  Strand strand_;
  Stream stream_;
  bool handshaken_ = false;  // TLS
  std::unique_ptr<websocket::stream<Stream>> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::shared_ptr<VissChannel> channel_;
  const Dialect* dialect_ = nullptr;           // the negotiated subprotocol's
  std::shared_ptr<VissChannel> http_channel_;  // HTTP requests on this connection
  std::deque<std::string> outbox_;
  bool closing_ = false;
  std::unique_ptr<net::steady_timer> give_up_;  // a too-slow client's last 5 s
  bool registered_ = false;  // in the server's list of open connections
};

void Accept(State* state) {
  Strand strand = net::make_strand(state->ioc);
  state->acceptor.async_accept(
      strand, [state, strand](beast::error_code ec, tcp::socket socket) mutable {
        if (ec == net::error::operation_aborted) return;
        if (!ec && state->tls) {
          std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
              *state, std::move(socket), std::move(strand), *state->tls)
              ->Start();
        } else if (!ec) {
          std::make_shared<Connection<beast::tcp_stream>>(*state, std::move(socket),
                                                          std::move(strand))
              ->Start();
        }
        Accept(state);
      });
}

}  // namespace

absl::Status VissServerOptions::Validate() const {
  if (port < 0 || port > 65535) return absl::InvalidArgumentError("--viss-port must be 0..65535");
  boost::system::error_code ec;
  net::ip::make_address(address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("--viss-address {} is not an IP address", address));
  }
  if (tls_cert.empty() != tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-private-key go together");
  }
  if (tls_cert.empty() && !IsLoopbackHost(address) && !allow_plaintext) {
    return absl::InvalidArgumentError(
        fmt::format("--viss-address {} is not a loopback address: serve wss there (--tls-cert, "
                    "--tls-private-key) or allow plain ws with --viss-allow-plaintext",
                    address));
  }
  if (io_threads < 1) return absl::InvalidArgumentError("--viss-threads must be 1 or more");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VissServer>> VissServer::Start(Broker& broker,
                                                              const TokenAuthority& tokens,
                                                              const Clock& clock,
                                                              const VissServerOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  VissServerOptions settled = options;
  settled.channel.secure = !options.tls_cert.empty();
  auto state = std::make_unique<State>(broker, tokens, clock, std::move(settled));
  if (!options.tls_cert.empty()) {
    state->tls.emplace(net::ssl::context::tls_server);
    state->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                            net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                            net::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    state->tls->use_certificate_chain_file(options.tls_cert, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          fmt::format("VISS: cannot use --tls-cert {}: {}", options.tls_cert, ec.message()));
    }
    state->tls->use_private_key_file(options.tls_key, net::ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          fmt::format("VISS: cannot use --tls-private-key {}: {}", options.tls_key, ec.message()));
    }
  }
  tcp::endpoint endpoint(net::ip::make_address(options.address),
                         static_cast<unsigned short>(options.port));
  beast::error_code ec;
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(fmt::format("VISS cannot listen on {}:{}: {}", options.address,
                                              options.port, ec.message()));
  }
  tcp::endpoint bound = state->acceptor.local_endpoint();
  state->address = bound.address().is_v6()
                       ? fmt::format("[{}]:{}", bound.address().to_string(), bound.port())
                       : fmt::format("{}:{}", bound.address().to_string(), bound.port());
  Accept(state.get());
  for (int i = 0; i < options.io_threads; ++i) {
    state->threads.emplace_back([s = state.get()] { s->ioc.run(); });
  }
  spdlog::info("pharos-broker serving VISS v2 ({}) on {}",
               options.tls_cert.empty() ? "ws, http" : "wss, https", state->address);
  return std::unique_ptr<VissServer>(new VissServer(std::move(state)));
}

VissServer::VissServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

VissServer::~VissServer() {
  // Close everything from the I/O threads and let the handlers finish, so
  // every channel ends its subscriptions while the broker is still there.
  net::post(state_->ioc, [s = state_.get()] {
    beast::error_code ignored;
    s->acceptor.close(ignored);
  });
  {
    std::lock_guard lock(state_->mu);
    for (const auto& w : state_->open) {
      if (auto c = w.lock()) c->Shutdown();
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (state_->live.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  state_->ioc.stop();
  for (std::thread& t : state_->threads) t.join();
  state_->actuations.join();
}

const std::string& VissServer::address() const { return state_->address; }
size_t VissServer::connection_count() const { return state_->connections.load(); }

}  // namespace pharos::broker::viss
