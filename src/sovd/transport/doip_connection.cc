#include "sovd/transport/doip_connection.h"

#include <spdlog/spdlog.h>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/doip/doip_stream.h"

namespace pharos::sovd::transport {
namespace {

using boost::system::error_code;

SteadyTime After(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

absl::Status NackStatus(const doip::DiagnosticAck& nack, std::string_view where) {
  std::string message = fmt::format("{} refused the diagnostic message to ECU {}: {} (0x{:02X})",
                                    where, doip::AddressText(nack.source_address),
                                    doip::DiagnosticNackName(nack.code), nack.code);
  switch (static_cast<doip::DiagnosticNackCode>(nack.code)) {
    case doip::DiagnosticNackCode::kUnknownTargetAddress:
      return absl::NotFoundError(message);
    case doip::DiagnosticNackCode::kMessageTooLarge:
      return absl::ResourceExhaustedError(message);
    case doip::DiagnosticNackCode::kInvalidSourceAddress:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

DoipConnection::DoipConnection(asio::any_io_executor executor, ConnectionOptions options)
    : executor_(executor), options_(std::move(options)), activation_event_(executor) {}

DoipConnection::~DoipConnection() { Close(); }

std::string DoipConnection::Where() const {
  if (tls_) {
    return fmt::format("DoIP entity {} at {}:{} (TLS)", options_.name, options_.host,
                       options_.tls_port);
  }
  return fmt::format("DoIP entity {} at {}:{}", options_.name, options_.host, options_.port);
}

DoipConnection::EcuChannel& DoipConnection::Channel(uint16_t ecu) {
  auto& slot = ecus_[ecu];
  if (!slot) slot = std::make_unique<EcuChannel>(executor_);
  return *slot;
}

absl::Status DoipConnection::Ended(WaitResult result, CallContext& call,
                                   std::string_view what) const {
  if (result == WaitResult::kCancelled) return absl::CancelledError("the call was cancelled");
  if (std::chrono::steady_clock::now() >= call.deadline) {
    return absl::DeadlineExceededError(
        fmt::format("the command's timeout passed while waiting for {}", what));
  }
  return absl::UnavailableError(fmt::format("{}: no {} in time", Where(), what));
}

awaitable<absl::Status> DoipConnection::Acquire(uint16_t ecu, CallContext& call) {
  EcuChannel& ch = Channel(ecu);
  if (!ch.busy) {
    ch.busy = true;
    co_return absl::OkStatus();
  }
  auto turn = std::make_shared<Event>(executor_);
  ch.queue.push_back(turn);
  WaitResult r = co_await turn->Wait(SteadyTime::max(), &call);
  if (r == WaitResult::kSet) co_return absl::OkStatus();
  std::erase(ch.queue, turn);
  co_return Ended(r, call, fmt::format("ECU {}'s turn", doip::AddressText(ecu)));
}

void DoipConnection::Release(uint16_t ecu) {
  EcuChannel& ch = Channel(ecu);
  if (ch.queue.empty()) {
    ch.busy = false;
    return;
  }
  std::shared_ptr<Event> next = ch.queue.front();
  ch.queue.pop_front();
  next->Set();  // the turn passes on; busy stays set
}

awaitable<absl::Status> DoipConnection::EnsureActive(CallContext& call) {
  if (state_ == State::kActive) co_return absl::OkStatus();
  if (state_ == State::kConnecting) {
    auto done = std::make_shared<Event>(executor_);
    connect_waiters_.push_back(done);
    WaitResult r = co_await done->Wait(SteadyTime::max(), &call);
    std::erase(connect_waiters_, done);
    if (r != WaitResult::kSet) co_return Ended(r, call, "the connection");
    co_return state_ == State::kActive ? absl::OkStatus() : last_error_;
  }
  state_ = State::kConnecting;
  absl::Status s = co_await Connect(call);
  if (!s.ok()) {
    last_error_ = s;
    if (link_) Fail(s);
    state_ = State::kIdle;
  } else {
    state_ = State::kActive;
  }
  for (auto& waiter : std::vector(connect_waiters_)) waiter->Set();
  co_return s;
}

awaitable<absl::Status> DoipConnection::Connect(CallContext& call) {
  bool tls = options_.tls_only;
  absl::Status s = co_await ConnectOnce(tls, call);
  // ISO 13400-2:2019: an entity that wants TLS refuses a plain socket's
  // routing activation with 0x07; then the TLS port is tried.
  if (!tls && requires_tls_ && options_.tls_context) {
    spdlog::info("{} requires TLS: connecting to port {}", Where(), options_.tls_port);
    Fail(absl::UnavailableError(Where() + ": plain socket refused, switching to TLS"));
    s = co_await ConnectOnce(true, call);
  }
  co_return s;
}

awaitable<absl::Status> DoipConnection::ConnectOnce(bool tls, CallContext& call) {
  requires_tls_ = false;
  tls_ = tls;
  uint16_t port = tls ? options_.tls_port : options_.port;
  std::string where = Where();
  error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  tcp::endpoint endpoint;
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(executor_);
    auto results = co_await resolver.async_resolve(options_.host, std::to_string(port),
                                                   asio::redirect_error(use_awaitable, ec));
    if (ec || results.empty()) {
      co_return absl::UnavailableError(
          fmt::format("{}: cannot resolve {}: {}", where, options_.host, ec.message()));
    }
    endpoint = *results.begin();
  }
  // The connect races a timer; whichever ends first ends the other.
  auto socket = std::make_shared<tcp::socket>(executor_);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor_, options_.connect_timeout);
  timer.async_wait([socket, timed_out](const error_code& e) {
    if (e) return;
    *timed_out = true;
    error_code ignored;
    socket->close(ignored);
  });
  co_await socket->async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
  if (ec || *timed_out) {
    timer.cancel();
    co_return absl::UnavailableError(
        fmt::format("cannot reach {}: {}", where,
                    *timed_out ? fmt::format("no answer in {} ms", options_.connect_timeout.count())
                               : ec.message()));
  }
  timer.cancel();
  socket->set_option(tcp::no_delay(true), ec);
  std::unique_ptr<doip::ByteStream> stream;
  if (tls) {
    auto handshake = co_await doip::TlsClient(std::move(*socket), *options_.tls_context,
                                              options_.host, options_.connect_timeout);
    if (!handshake.ok()) {
      co_return absl::UnavailableError(fmt::format("{}: {}", where, handshake.status().message()));
    }
    stream = std::move(*handshake);
  } else {
    stream = doip::PlainStream(std::move(*socket));
  }
  if (call.cancelled) co_return absl::CancelledError("the call was cancelled");
  auto link = std::make_shared<Link>(executor_, std::move(stream));
  link_ = link;
  asio::co_spawn(executor_, ReadLoop(link), asio::detached);
  asio::co_spawn(executor_, WriteLoop(link), asio::detached);

  activation_.reset();
  activation_event_.Reset();
  Write(doip::RoutingActivationRequest{options_.tester_address, options_.activation_type,
                                       std::nullopt});
  WaitResult r = co_await activation_event_.Wait(After(options_.activation_timeout), &call);
  if (r != WaitResult::kSet) co_return Ended(r, call, "a routing activation response");
  if (!activation_)
    co_return last_error_.ok() ? absl::UnavailableError(where + ": lost") : last_error_;
  if (activation_->code != static_cast<uint8_t>(doip::RoutingCode::kSuccess)) {
    requires_tls_ = activation_->code == static_cast<uint8_t>(doip::RoutingCode::kRequiresTls);
    std::string why = fmt::format("{} refused routing activation of tester {}: {} (0x{:02X})",
                                  where, doip::AddressText(options_.tester_address),
                                  doip::RoutingCodeName(activation_->code), activation_->code);
    bool denied = activation_->code <= 0x06 && activation_->code != 0x01;
    co_return denied ? absl::PermissionDeniedError(why) : absl::UnavailableError(why);
  }
  spdlog::debug("{}: routing active for tester {} (entity {})", where,
                doip::AddressText(options_.tester_address),
                doip::AddressText(activation_->entity_address));
  co_return absl::OkStatus();
}

awaitable<void> DoipConnection::ReadLoop(std::shared_ptr<Link> link) {
  try {
    while (!link->closed) {
      doip::ReadResult result = co_await doip::ReadMessage(*link->stream, options_.max_payload);
      if (link != link_) break;
      if (auto* error = std::get_if<doip::HeaderError>(&result.value)) {
        if (result.close) {
          Fail(absl::UnavailableError(
              fmt::format("{} sent a malformed message: {}", Where(), error->message)));
          break;
        }
        continue;
      }
      Dispatch(std::move(std::get<doip::Message>(result.value)));
    }
  } catch (const boost::system::system_error& e) {
    if (link == link_) {
      Fail(absl::UnavailableError(
          fmt::format("{} closed the connection ({})", Where(), e.code().message())));
    }
  }
}

awaitable<void> DoipConnection::WriteLoop(std::shared_ptr<Link> link) {
  try {
    while (!link->closed) {
      while (!link->out.empty() && !link->closed) {
        Bytes front = std::move(link->out.front());
        link->out.pop_front();
        co_await link->stream->Write(asio::buffer(front));
      }
      if (link->closed) break;
      link->out_event.Reset();
      co_await link->out_event.Wait(SteadyTime::max(), nullptr);
    }
  } catch (const boost::system::system_error& e) {
    if (link == link_) {
      Fail(absl::UnavailableError(
          fmt::format("writing to {} failed ({})", Where(), e.code().message())));
    }
  }
}

void DoipConnection::Write(const doip::Message& message) {
  if (!link_ || link_->closed) return;
  link_->out.push_back(doip::Encode(message));
  link_->out_event.Set();
}

void DoipConnection::Dispatch(doip::Message message) {
  if (auto* ra = std::get_if<doip::RoutingActivationResponse>(&message)) {
    activation_ = *ra;
    activation_event_.Set();
  } else if (auto* ack = std::get_if<doip::DiagnosticAck>(&message)) {
    EcuChannel& ch = Channel(ack->source_address);
    ch.ack_value = std::move(*ack);
    ch.ack.Set();
  } else if (auto* diag = std::get_if<doip::DiagnosticMessage>(&message)) {
    if (diag->target_address != options_.tester_address) return;  // not ours
    EcuChannel& ch = Channel(diag->source_address);
    ch.inbox.push_back(std::move(diag->user_data));
    ch.inbox_event.Set();
  } else if (std::holds_alternative<doip::AliveCheckRequest>(message)) {
    Write(doip::AliveCheckResponse{options_.tester_address});
  } else if (auto* nack = std::get_if<doip::GenericNack>(&message)) {
    Fail(absl::InternalError(fmt::format("{} refused a DoIP header from Pharos: {}", Where(),
                                         doip::HeaderNackName(static_cast<uint8_t>(nack->code)))));
  }
}

void DoipConnection::Fail(absl::Status status) {
  spdlog::warn("{}", status.message());
  last_error_ = status;
  if (state_ == State::kActive) state_ = State::kIdle;  // a connect in progress ends itself
  std::shared_ptr<Link> link = std::move(link_);
  if (link) {
    link->closed = true;
    link->stream->Close();
    link->out_event.Set();
  }
  // Wake every waiter; each sees the link gone and returns last_error_.
  activation_event_.Set();
  for (auto& [address, ch] : ecus_) {
    ch->ack.Set();
    ch->inbox_event.Set();
  }
}

void DoipConnection::Close() {
  if (link_) Fail(absl::UnavailableError(Where() + ": connection closed by Pharos"));
}

awaitable<absl::Status> DoipConnection::Send(uint16_t ecu, const Bytes& request,
                                             CallContext& call) {
  if (absl::Status s = co_await EnsureActive(call); !s.ok()) co_return s;
  EcuChannel& ch = Channel(ecu);
  std::shared_ptr<Link> link = link_;
  ch.ack_value.reset();
  ch.ack.Reset();
  ch.inbox.clear();  // answers to an abandoned earlier request
  ch.inbox_event.Reset();
  Write(doip::DiagnosticMessage{options_.tester_address, ecu, request});
  WaitResult r = co_await ch.ack.Wait(After(options_.ack_timeout), &call);
  if (link != link_ || !link) co_return last_error_;
  if (r != WaitResult::kSet || !ch.ack_value) {
    co_return Ended(r, call, fmt::format("the acknowledgement of ECU {}", doip::AddressText(ecu)));
  }
  if (!ch.ack_value->positive) co_return NackStatus(*ch.ack_value, Where());
  co_return absl::OkStatus();
}

awaitable<absl::StatusOr<Bytes>> DoipConnection::Receive(uint16_t ecu, SteadyTime until,
                                                         CallContext& call) {
  EcuChannel& ch = Channel(ecu);
  std::shared_ptr<Link> link = link_;
  while (ch.inbox.empty()) {
    if (!link || link != link_) co_return last_error_;
    ch.inbox_event.Reset();
    WaitResult r = co_await ch.inbox_event.Wait(until, &call);
    if (r == WaitResult::kSet) continue;
    co_return Ended(r, call, fmt::format("an answer from ECU {}", doip::AddressText(ecu)));
  }
  Bytes message = std::move(ch.inbox.front());
  ch.inbox.pop_front();
  co_return message;
}

}  // namespace pharos::sovd::transport
