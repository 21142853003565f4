#include "sovd/rest/rest_server.h"

#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <set>
#include <thread>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/common/asio.h"  // first: Boost 1.74's coroutines need <utility>
#include "sovd/rest/rest_routes.h"

namespace pharos::sovd::rest {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using boost::system::error_code;

constexpr size_t kMaxBody = 64 * 1024;

// Collects a run's results on the REST thread; the core calls it on its own.
struct Collected : core::ResultSink {
  explicit Collected(asio::any_io_executor executor) : executor(executor), wake(executor) {}
  void OnResult(core::EcuResult result, bool) override {
    asio::post(executor,
               [this, r = std::move(result)]() mutable { results.push_back(std::move(r)); });
  }
  void OnDone(absl::Status s) override {
    asio::post(executor, [this, s] {
      status = s;
      done = true;
      wake.cancel();
    });
  }
  asio::any_io_executor executor;
  asio::steady_timer wake;
  std::vector<core::EcuResult> results;
  absl::Status status;
  bool done = false;
};

std::string CommonName(SSL* ssl) {
  X509* cert = ssl ? SSL_get1_peer_certificate(ssl) : nullptr;
  if (!cert) return "";
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

}  // namespace

struct RestServer::State {
  State(core::Diagnostics& diagnostics, core::AuditSink& audit, const Clock& clock,
        RestOptions options)
      : diagnostics(diagnostics),
        audit(audit),
        clock(clock),
        options(std::move(options)),
        allowed(this->options.allow_clients.begin(), this->options.allow_clients.end()),
        acceptor(io) {}

  awaitable<void> Accept();
  template <typename Stream>
  awaitable<void> Serve(Stream& stream, std::string caller);
  awaitable<RestResponse> Handle(const RestRequest& request, const std::string& caller);

  core::Diagnostics& diagnostics;
  core::AuditSink& audit;
  const Clock& clock;
  const RestOptions options;
  const std::set<std::string> allowed;
  const core::VehicleSpec* vehicle = nullptr;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::optional<ssl::context> tls;
  std::string address;
  std::thread thread;
};

awaitable<void> RestServer::State::Accept() {
  while (acceptor.is_open()) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open()) break;
      continue;
    }
    std::string peer = socket.remote_endpoint(ec).address().to_string();
    if (!tls) {
      auto plain = std::make_shared<beast::tcp_stream>(std::move(socket));
      asio::co_spawn(
          io, [this, plain, peer]() -> awaitable<void> { co_await Serve(*plain, "ipv4:" + peer); },
          asio::detached);
      continue;
    }
    auto secure = std::make_shared<ssl::stream<beast::tcp_stream>>(std::move(socket), *tls);
    asio::co_spawn(
        io,
        [this, secure, peer]() -> awaitable<void> {
          error_code hs;
          beast::get_lowest_layer(*secure).expires_after(std::chrono::seconds(10));
          co_await secure->async_handshake(ssl::stream_base::server,
                                           asio::redirect_error(use_awaitable, hs));
          if (hs) co_return;  // a client without a certificate the CA signed ends here
          std::string caller =
              options.tls_client_ca.empty() ? "ipv4:" + peer : CommonName(secure->native_handle());
          co_await Serve(*secure, caller);
        },
        asio::detached);
  }
}

template <typename Stream>
awaitable<void> RestServer::State::Serve(Stream& stream, std::string caller) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
    error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;  // closed, idle, or a request Beast refused
    http::request<http::string_body> req = parser.release();
    RestRequest request{std::string(req.method_string()), std::string(req.target()), req.body()};
    RestResponse response = co_await Handle(request, caller);
    http::response<http::string_body> res{static_cast<http::status>(response.status),
                                          req.version()};
    res.set(http::field::server, "pharos-sovd");
    if (!response.body.is_null()) {
      res.set(http::field::content_type, "application/json");
      res.body() = response.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) co_return;
  }
}

awaitable<RestResponse> RestServer::State::Handle(const RestRequest& request,
                                                  const std::string& caller) {
  core::AuditRecord audit_record;
  audit_record.time = clock.Now();
  audit_record.front_end = "rest";
  audit_record.caller = caller;
  audit_record.vehicle_id = vehicle->id;
  audit_record.command = request.method + " " + request.target.substr(0, 200);
  auto finish = [&](RestResponse response, const absl::Status& status) {
    audit_record.code = status.code();
    audit_record.message = std::string(status.message());
    audit_record.took =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now() - audit_record.time);
    audit.Record(audit_record);
    return response;
  };
  if (!options.tls_client_ca.empty() && !allowed.empty() && !allowed.count(caller)) {
    absl::Status denied = absl::PermissionDeniedError(fmt::format(
        "client certificate '{}' is not on pharos-sovd's allow-list of vehicle backends", caller));
    co_return finish(ErrorResponse(denied), denied);
  }
  absl::StatusOr<Route> route = RouteRequest(*vehicle, request);
  if (!route.ok()) co_return finish(ErrorResponse(route.status()), route.status());
  if (auto* listing = std::get_if<Listing>(&*route)) {
    co_return finish(std::move(listing->response), absl::OkStatus());
  }
  CommandRoute& run = std::get<CommandRoute>(*route);
  run.command.caller = caller;
  audit_record.ecu = fmt::format("0x{:04X}", run.command.ecu.value_or(0));
  auto collected = std::make_shared<Collected>(io.get_executor());
  // The core holds the sink until OnDone; `collected` outlives that, as
  // this coroutine waits for done.
  std::shared_ptr<core::ResultSink> sink(collected, collected.get());
  absl::StatusOr<std::shared_ptr<core::RunningCommand>> started =
      diagnostics.Start(std::move(run.command), sink);
  if (!started.ok()) co_return finish(ErrorResponse(started.status()), started.status());
  while (!collected->done) {
    collected->wake.expires_at(asio::steady_timer::time_point::max());
    error_code ec;
    co_await collected->wake.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  if (!collected->status.ok() || collected->results.empty()) {
    absl::Status s = collected->status.ok() ? absl::InternalError("no answer") : collected->status;
    co_return finish(ErrorResponse(s), s);
  }
  audit_record.chunks = static_cast<int>(collected->results.size());
  co_return finish(Render(run.shape, collected->results.front()), absl::OkStatus());
}

RestServer::RestServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

RestServer::~RestServer() {
  asio::post(state_->io, [s = state_.get()] {
    error_code ignored;
    s->acceptor.close(ignored);
    s->io.stop();
  });
  if (state_->thread.joinable()) state_->thread.join();
}

const std::string& RestServer::address() const { return state_->address; }

absl::StatusOr<std::unique_ptr<RestServer>> RestServer::Start(core::Diagnostics& diagnostics,
                                                              core::AuditSink& audit,
                                                              const Clock& clock,
                                                              const RestOptions& options) {
  auto state = std::make_unique<State>(diagnostics, audit, clock, options);
  const core::SovdConfig& config = diagnostics.config();
  state->vehicle = options.vehicle.empty()
                       ? (config.vehicles.empty() ? nullptr : &config.vehicles.front())
                       : config.FindVehicle(options.vehicle);
  if (!state->vehicle) {
    return absl::InvalidArgumentError(
        fmt::format("--rest-vehicle {}: no such vehicle in the configuration", options.vehicle));
  }
  if (!options.tls_cert.empty()) {
    state->tls.emplace(ssl::context::tls_server);
    state->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    error_code ec;
    state->tls->use_certificate_chain_file(options.tls_cert, ec);
    if (!ec) state->tls->use_private_key_file(options.tls_key, ssl::context::pem, ec);
    if (!ec && !options.tls_client_ca.empty()) {
      state->tls->load_verify_file(options.tls_client_ca, ec);
      state->tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    if (ec) {
      return absl::InvalidArgumentError(
          fmt::format("REST TLS files (--tls-cert, --tls-key, --tls-client-ca): {}", ec.message()));
    }
  }
  error_code ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("--rest-address {} is not an IP address", options.address));
  }
  tcp::endpoint endpoint(address, static_cast<uint16_t>(options.port));
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) state->acceptor.bind(endpoint, ec);
  if (!ec) state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(fmt::format("the REST view cannot listen on {}:{}: {}",
                                              options.address, options.port, ec.message()));
  }
  state->address = fmt::format("{}:{}", options.address, state->acceptor.local_endpoint().port());
  asio::co_spawn(state->io, state->Accept(), asio::detached);
  State* raw = state.get();
  state->thread = std::thread([raw] {
    auto guard = asio::make_work_guard(raw->io);
    raw->io.run();
  });
  spdlog::info("SOVD REST view of vehicle {} on {}://{}/sovd/v1/components", state->vehicle->id,
               options.tls_cert.empty() ? "http" : "https", state->address);
  return std::unique_ptr<RestServer>(new RestServer(std::move(state)));
}

}  // namespace pharos::sovd::rest
