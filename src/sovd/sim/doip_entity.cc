#include "sovd/sim/doip_entity.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ssl/context.hpp>
#include <deque>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/doip/doip_stream.h"

namespace pharos::sovd::sim {
namespace {

using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr uint16_t kFirstTester = 0x0E00;
constexpr uint16_t kLastTester = 0x0FFF;

}  // namespace

class DoipEntity::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(DoipEntity& entity, asio::any_io_executor executor,
             std::unique_ptr<doip::ByteStream> stream)
      : entity_(entity),
        executor_(executor),
        stream_(std::move(stream)),
        signal_(executor),
        alive_(executor),
        opened_(Clock::now()),
        last_activity_(opened_) {}

  void Start() {
    auto self = shared_from_this();
    asio::co_spawn(executor_, Read(self), asio::detached);
    asio::co_spawn(executor_, Write(self), asio::detached);
    asio::co_spawn(executor_, Watchdog(self), asio::detached);
  }

  void Send(const doip::Message& message) {
    if (closed_) return;
    queue_.push_back(doip::Encode(message));
    signal_.cancel();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    stream_->Close();
    signal_.cancel();
    alive_.cancel();
    auto& all = entity_.connections_;
    std::erase_if(all, [this](const std::shared_ptr<Connection>& c) { return c.get() == this; });
  }

  // Sends an alive check request and waits for the response.
  awaitable<bool> AliveCheck(std::shared_ptr<Connection> self) {
    alive_answered_ = false;
    Send(doip::AliveCheckRequest{});
    alive_.expires_after(entity_.options_.alive_check_timeout);
    error_code ec;
    co_await alive_.async_wait(asio::redirect_error(use_awaitable, ec));
    co_return alive_answered_ && !closed_;
  }

  bool active() const { return active_; }
  uint16_t tester() const { return tester_; }

 private:
  awaitable<void> Read(std::shared_ptr<Connection> self) {
    try {
      while (!closed_) {
        doip::ReadResult result =
            co_await doip::ReadMessage(*stream_, entity_.options_.max_payload);
        last_activity_ = Clock::now();
        if (auto* error = std::get_if<doip::HeaderError>(&result.value)) {
          spdlog::debug("{}: DoIP header refused: {}", entity_.options_.name, error->message);
          Send(doip::GenericNack{error->nack});
          if (result.close) {
            co_await Drain(self);
            break;
          }
          continue;
        }
        co_await Handle(self, std::get<doip::Message>(result.value));
      }
    } catch (const boost::system::system_error&) {
      // EOF or reset: the tester went away.
    }
    Close();
  }

  // Lets queued NACKs go out before the socket closes.
  awaitable<void> Drain(std::shared_ptr<Connection> self) {
    asio::steady_timer wait(executor_, std::chrono::milliseconds(50));
    error_code ec;
    co_await wait.async_wait(asio::redirect_error(use_awaitable, ec));
  }

  awaitable<void> Handle(std::shared_ptr<Connection> self, const doip::Message& message) {
    if (auto* ra = std::get_if<doip::RoutingActivationRequest>(&message)) {
      co_await Activate(self, *ra);
    } else if (auto* diag = std::get_if<doip::DiagnosticMessage>(&message)) {
      Diagnostic(self, *diag);
    } else if (std::holds_alternative<doip::AliveCheckResponse>(message)) {
      alive_answered_ = true;
      alive_.cancel();
    } else if (std::holds_alternative<doip::AliveCheckRequest>(message)) {
      Send(doip::AliveCheckResponse{entity_.options_.logical_address});
    } else if (std::holds_alternative<doip::EntityStatusRequest>(message)) {
      Send(doip::EntityStatusResponse{0x00, entity_.options_.max_sockets,
                                      static_cast<uint8_t>(entity_.connections_.size()),
                                      entity_.options_.max_payload});
    } else if (std::holds_alternative<doip::PowerModeRequest>(message)) {
      Send(doip::PowerModeResponse{0x01});
    }
    // Anything else a tester has no business sending over TCP is ignored.
  }

  awaitable<void> Activate(std::shared_ptr<Connection> self, doip::RoutingActivationRequest ra) {
    auto answer = [&](doip::RoutingCode code) {
      Send(doip::RoutingActivationResponse{ra.source_address, entity_.options_.logical_address,
                                           static_cast<uint8_t>(code), std::nullopt});
    };
    if (entity_.options_.require_tls && !stream_->tls()) {
      answer(doip::RoutingCode::kRequiresTls);  // ISO 13400-2:2019: use the TLS port
      co_await Drain(self);
      Close();
      co_return;
    }
    if (ra.source_address < kFirstTester || ra.source_address > kLastTester) {
      answer(doip::RoutingCode::kUnknownSourceAddress);
      co_await Drain(self);
      Close();
      co_return;
    }
    if (active_) {
      answer(ra.source_address == tester_ ? doip::RoutingCode::kSuccess
                                          : doip::RoutingCode::kSourceAddressMismatch);
      if (ra.source_address != tester_) {
        co_await Drain(self);
        Close();
      }
      co_return;
    }
    if (ra.activation_type != 0x00 && ra.activation_type != 0x01) {
      answer(doip::RoutingCode::kUnsupportedActivationType);
      co_await Drain(self);
      Close();
      co_return;
    }
    // The same tester on another socket: keep the older one if it is alive.
    for (auto other : std::vector(entity_.connections_)) {
      if (other.get() == this || !other->active() || other->tester() != ra.source_address) continue;
      if (co_await other->AliveCheck(other)) {
        answer(doip::RoutingCode::kSourceAddressAlreadyActive);
        co_await Drain(self);
        Close();
        co_return;
      }
      other->Close();
    }
    if (!co_await entity_.MakeRoom(this)) {
      answer(doip::RoutingCode::kAllSocketsActive);
      co_await Drain(self);
      Close();
      co_return;
    }
    active_ = true;
    tester_ = ra.source_address;
    answer(doip::RoutingCode::kSuccess);
  }

  void Diagnostic(std::shared_ptr<Connection> self, const doip::DiagnosticMessage& diag) {
    auto nack = [&](doip::DiagnosticNackCode code) {
      Send(doip::DiagnosticAck{
          false, diag.target_address, diag.source_address, static_cast<uint8_t>(code), {}});
    };
    if (!active_ || diag.source_address != tester_) {
      nack(doip::DiagnosticNackCode::kInvalidSourceAddress);
      asio::co_spawn(executor_, CloseSoon(self), asio::detached);
      return;
    }
    SimulatedEcu* ecu = entity_.FindEcu(diag.target_address);
    if (!ecu) {
      nack(doip::DiagnosticNackCode::kUnknownTargetAddress);
      return;
    }
    Send(doip::DiagnosticAck{true, diag.target_address, diag.source_address, 0x00, {}});
    for (Reply& reply : ecu->Handle(diag.user_data)) {
      doip::DiagnosticMessage out{ecu->address(), tester_, std::move(reply.message)};
      if (reply.after.count() == 0) {
        Send(out);
      } else {
        asio::co_spawn(executor_, SendLater(self, std::move(out), reply.after), asio::detached);
      }
    }
  }

  awaitable<void> SendLater(std::shared_ptr<Connection> self, doip::DiagnosticMessage message,
                            std::chrono::milliseconds after) {
    asio::steady_timer wait(executor_, after);
    error_code ec;
    co_await wait.async_wait(asio::redirect_error(use_awaitable, ec));
    Send(message);
  }

  awaitable<void> CloseSoon(std::shared_ptr<Connection> self) {
    co_await Drain(self);
    Close();
  }

  awaitable<void> Write(std::shared_ptr<Connection> self) {
    try {
      while (!closed_) {
        while (!queue_.empty() && !closed_) {
          Bytes front = std::move(queue_.front());
          queue_.pop_front();
          co_await stream_->Write(asio::buffer(front));
        }
        if (closed_) break;
        signal_.expires_at(asio::steady_timer::time_point::max());
        error_code ec;
        co_await signal_.async_wait(asio::redirect_error(use_awaitable, ec));
      }
    } catch (const boost::system::system_error&) {
    }
    Close();
  }

  // T_TCP_Initial_Inactivity before routing activation, then
  // T_TCP_General_Inactivity.
  awaitable<void> Watchdog(std::shared_ptr<Connection> self) {
    asio::steady_timer tick(executor_);
    while (!closed_) {
      tick.expires_after(std::chrono::milliseconds(100));
      error_code ec;
      co_await tick.async_wait(asio::redirect_error(use_awaitable, ec));
      auto now = Clock::now();
      if (!active_ && now - opened_ > entity_.options_.initial_inactivity) break;
      if (active_ && now - last_activity_ > entity_.options_.general_inactivity) break;
    }
    Close();
  }

  DoipEntity& entity_;
  asio::any_io_executor executor_;
  std::unique_ptr<doip::ByteStream> stream_;
  asio::steady_timer signal_;  // wakes the writer
  asio::steady_timer alive_;   // an alive check's deadline
  std::deque<Bytes> queue_;
  bool closed_ = false;
  bool active_ = false;
  bool alive_answered_ = false;
  uint16_t tester_ = 0;
  Clock::time_point opened_, last_activity_;
};

DoipEntity::DoipEntity(asio::io_context& io, EntityOptions options,
                       std::vector<std::unique_ptr<SimulatedEcu>> ecus)
    : io_(io),
      options_(std::move(options)),
      ecus_(std::move(ecus)),
      acceptor_(io),
      tls_acceptor_(io),
      discovery_(io) {}

DoipEntity::~DoipEntity() { Stop(); }

absl::Status DoipEntity::Start() {
  error_code ec;
  auto address = asio::ip::make_address(options_.address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("entity {}: '{}' is not an IP address", options_.name, options_.address));
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(fmt::format("entity {}: cannot listen on {}:{}: {}",
                                              options_.name, options_.address, options_.port,
                                              ec.message()));
  }
  tcp_port_ = acceptor_.local_endpoint().port();
  if (options_.port != 0) {
    udp::endpoint udp_endpoint(address, options_.port);
    discovery_.open(udp_endpoint.protocol(), ec);
    if (!ec) discovery_.set_option(udp::socket::reuse_address(true), ec);
    if (!ec) discovery_.bind(udp_endpoint, ec);
    if (ec) {
      return absl::UnavailableError(fmt::format("entity {}: cannot bind UDP {}:{}: {}",
                                                options_.name, options_.address, options_.port,
                                                ec.message()));
    }
    asio::co_spawn(io_, ServeDiscovery(), asio::detached);
  }
  asio::co_spawn(io_, Accept(acceptor_, false), asio::detached);
  if (!options_.tls_cert.empty()) {
    auto context = doip::TlsServerContext(options_.tls_cert, options_.tls_key, options_.tls_ca);
    if (!context.ok()) return context.status();
    tls_ = *context;
    tcp::endpoint tls_endpoint(address, options_.tls_port);
    tls_acceptor_.open(tls_endpoint.protocol(), ec);
    if (!ec) tls_acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) tls_acceptor_.bind(tls_endpoint, ec);
    if (!ec) tls_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(fmt::format("entity {}: cannot listen on {}:{} (TLS): {}",
                                                options_.name, options_.address, options_.tls_port,
                                                ec.message()));
    }
    tls_port_ = tls_acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(tls_acceptor_, true), asio::detached);
  }
  spdlog::info("DoIP entity {} ({}) on {}:{} with {} ECU(s)", options_.name,
               doip::AddressText(options_.logical_address), options_.address, tcp_port_,
               ecus_.size());
  return absl::OkStatus();
}

void DoipEntity::Stop() {
  error_code ignored;
  acceptor_.close(ignored);
  tls_acceptor_.close(ignored);
  discovery_.close(ignored);
  for (auto connection : std::vector(connections_)) connection->Close();
}

awaitable<void> DoipEntity::Accept(tcp::acceptor& acceptor, bool tls) {
  while (acceptor.is_open()) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open()) break;
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (tls) {
      asio::co_spawn(io_, Secure(std::move(socket)), asio::detached);
      continue;
    }
    Open(doip::PlainStream(std::move(socket)));
  }
}

awaitable<void> DoipEntity::Secure(tcp::socket socket) {
  auto stream = co_await doip::TlsServer(std::move(socket), *tls_, std::chrono::seconds(10));
  if (!stream.ok()) {
    spdlog::debug("entity {}: {}", options_.name, stream.status().message());
    co_return;
  }
  Open(std::move(*stream));
}

void DoipEntity::Open(std::unique_ptr<doip::ByteStream> stream) {
  auto connection = std::make_shared<Connection>(*this, io_.get_executor(), std::move(stream));
  connections_.push_back(connection);
  connection->Start();
}

awaitable<bool> DoipEntity::MakeRoom(Connection* asking) {
  auto active = [&] {
    return std::count_if(connections_.begin(), connections_.end(),
                         [&](const auto& c) { return c.get() != asking && c->active(); });
  };
  if (active() < options_.max_sockets) co_return true;
  for (auto other : std::vector(connections_)) {
    if (other.get() == asking || !other->active()) continue;
    if (!co_await other->AliveCheck(other)) other->Close();
  }
  co_return active() < options_.max_sockets;
}

awaitable<void> DoipEntity::ServeDiscovery() {
  uint8_t buffer[1500];
  while (discovery_.is_open()) {
    udp::endpoint from;
    error_code ec;
    size_t n = co_await discovery_.async_receive_from(asio::buffer(buffer), from,
                                                      asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!discovery_.is_open()) break;
      continue;
    }
    absl::StatusOr<doip::Message> message =
        doip::Decode(std::span<const uint8_t>(buffer, n), options_.max_payload);
    bool answer = false;
    if (message.ok()) {
      if (std::holds_alternative<doip::VehicleIdRequest>(*message)) answer = true;
      if (auto* eid = std::get_if<doip::VehicleIdRequestEid>(&*message)) {
        answer = eid->eid == options_.eid;
      }
      if (auto* vin = std::get_if<doip::VehicleIdRequestVin>(&*message)) {
        answer = vin->vin == options_.vin;
      }
    }
    if (!answer) continue;  // UDP: no NACK for what is not ours to answer
    doip::VehicleAnnouncement announcement;
    announcement.vin = options_.vin;
    announcement.logical_address = options_.logical_address;
    announcement.eid = options_.eid;
    announcement.gid = options_.eid;
    doip::Bytes out = doip::Encode(announcement);
    co_await discovery_.async_send_to(asio::buffer(out), from,
                                      asio::redirect_error(use_awaitable, ec));
  }
}

SimulatedEcu* DoipEntity::FindEcu(uint16_t address) {
  for (auto& ecu : ecus_) {
    if (ecu->address() == address) return ecu.get();
  }
  return nullptr;
}

SimulatedEcu* DoipEntity::FindEcu(const std::string& name_or_address) {
  for (auto& ecu : ecus_) {
    if (ecu->description().name == name_or_address) return ecu.get();
  }
  if (auto address = ecu::ParseNumber(name_or_address); address && *address <= 0xFFFF) {
    return FindEcu(static_cast<uint16_t>(*address));
  }
  return nullptr;
}

size_t DoipEntity::open_connections() const { return connections_.size(); }

}  // namespace pharos::sovd::sim
