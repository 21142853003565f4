#include "sovd/transport/uds_client.h"

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::sovd::transport {
namespace {

// Holds an ECU's turn for the length of one exchange.
class Turn {
 public:
  Turn(DoipConnection& connection, uint16_t ecu) : connection_(connection), ecu_(ecu) {}
  ~Turn() {
    if (held_) connection_.Release(ecu_);
  }
  void Hold() { held_ = true; }

 private:
  DoipConnection& connection_;
  uint16_t ecu_;
  bool held_ = false;
};

// Reads whose answer depends only on the ECU's state: ReadDTCInformation
// and ReadDataByIdentifier.
bool Coalescible(const uds::Bytes& request) {
  return !request.empty() &&
         (request[0] == static_cast<uint8_t>(uds::Service::kReadDtcInformation) ||
          request[0] == static_cast<uint8_t>(uds::Service::kReadDataByIdentifier));
}

awaitable<bool> Pause(std::chrono::milliseconds delay, CallContext& call) {
  Event never(co_await asio::this_coro::executor);
  WaitResult r = co_await never.Wait(std::chrono::steady_clock::now() + delay, &call);
  co_return r == WaitResult::kTimeout&& std::chrono::steady_clock::now() < call.deadline;
}

}  // namespace

std::string EcuRef::Text() const {
  return name.empty() ? fmt::format("ECU {}", doip::AddressText(address))
                      : fmt::format("ECU {} ({})", name, doip::AddressText(address));
}

awaitable<absl::StatusOr<uds::Response>> UdsClient::Exchange(const EcuRef& ecu,
                                                             const uds::Bytes& request,
                                                             CallContext& call) {
  int busy = 0, unavailable = 0;
  for (;;) {
    // (Not a ?: of two co_awaits: GCC 12 destroys the result twice.)
    absl::StatusOr<uds::Response> response;
    if (Coalescible(request)) {
      response = co_await Shared(ecu, request, call);
    } else {
      response = co_await ExchangeOnce(ecu, request, call);
    }
    if (!response.ok() || response->positive) co_return response;
    std::chrono::milliseconds delay{0};
    if (response->nrc == uds::nrc::kBusyRepeatRequest && busy++ < options_.busy_retries) {
      delay = options_.busy_delay;
    } else if (response->nrc == uds::nrc::kResourceTemporarilyUnavailable &&
               unavailable++ < options_.unavailable_retries) {
      delay = options_.unavailable_delay;
    } else {
      co_return response;
    }
    if (!co_await Pause(delay, call)) {
      if (call.cancelled) co_return absl::CancelledError("the call was cancelled");
      co_return absl::DeadlineExceededError(
          fmt::format("the command's timeout passed while {} was busy", ecu.Text()));
    }
  }
}

struct UdsClient::Flight {
  struct Rider {
    explicit Rider(asio::any_io_executor executor, CallContext& call)
        : done(executor), call(call) {}
    Event done;
    CallContext& call;
    std::optional<absl::StatusOr<uds::Response>> result;
  };
  CallContext call;  // the exchange's own: it ends when the last rider leaves
  std::vector<std::shared_ptr<Rider>> riders;
};

awaitable<absl::StatusOr<uds::Response>> UdsClient::Shared(const EcuRef& ecu,
                                                           const uds::Bytes& request,
                                                           CallContext& call) {
  auto executor = co_await asio::this_coro::executor;
  std::shared_ptr<Flight>& slot = queued_[{ecu.address, request}];
  std::shared_ptr<Flight> flight = slot;
  if (!flight) {
    flight = slot = std::make_shared<Flight>();
    asio::co_spawn(executor, Fly(ecu, request, flight), asio::detached);
  }
  auto rider = std::make_shared<Flight::Rider>(executor, call);
  flight->riders.push_back(rider);
  WaitResult r = co_await rider->done.Wait(SteadyTime::max(), &call);
  if (r == WaitResult::kSet) co_return std::move(*rider->result);
  std::erase(flight->riders, rider);
  if (flight->riders.empty()) flight->call.Cancel();  // nobody waits: stop the ECU work
  if (r == WaitResult::kCancelled) co_return absl::CancelledError("the call was cancelled");
  co_return absl::DeadlineExceededError(
      fmt::format("the command's timeout passed while waiting for {}", ecu.Text()));
}

awaitable<void> UdsClient::Fly(EcuRef ecu, uds::Bytes request, std::shared_ptr<Flight> flight) {
  absl::StatusOr<uds::Response> result;
  {
    Turn turn(connection_, ecu.address);
    absl::Status s = co_await connection_.Acquire(ecu.address, flight->call);
    auto it = queued_.find({ecu.address, request});
    if (it != queued_.end() && it->second == flight) queued_.erase(it);  // sent: no more riders
    if (!s.ok()) {
      result = s;
    } else {
      turn.Hold();
      SteadyTime deadline = SteadyTime::min();
      for (const auto& rider : flight->riders) deadline = std::max(deadline, rider->call.deadline);
      flight->call.deadline = deadline;
      result = co_await Transact(ecu, request, flight->call);
    }
  }
  for (const auto& rider : std::vector(flight->riders)) {
    rider->result = result;
    rider->done.Set();
  }
}

awaitable<absl::StatusOr<uds::Response>> UdsClient::ExchangeOnce(const EcuRef& ecu,
                                                                 const uds::Bytes& request,
                                                                 CallContext& call) {
  Turn turn(connection_, ecu.address);
  if (absl::Status s = co_await connection_.Acquire(ecu.address, call); !s.ok()) co_return s;
  turn.Hold();
  co_return co_await Transact(ecu, request, call);
}

awaitable<absl::StatusOr<uds::Response>> UdsClient::Transact(const EcuRef& ecu,
                                                             const uds::Bytes& request,
                                                             CallContext& call) {
  if (absl::Status s = co_await connection_.Send(ecu.address, request, call); !s.ok()) co_return s;
  auto until = std::chrono::steady_clock::now() + options_.p2;
  for (;;) {
    absl::StatusOr<uds::Bytes> message = co_await connection_.Receive(ecu.address, until, call);
    if (!message.ok()) {
      if (absl::IsUnavailable(message.status()) && connection_.connected()) {
        co_return absl::UnavailableError(
            fmt::format("{} did not answer {} in time", ecu.Text(), uds::ServiceName(request[0])));
      }
      co_return message.status();
    }
    absl::StatusOr<uds::Response> response = uds::ParseResponse(*message);
    if (!response.ok()) {
      co_return absl::InternalError(
          fmt::format("{} sent a malformed answer: {}", ecu.Text(), response.status().message()));
    }
    if (response->service != request[0]) continue;  // a late answer to an abandoned request
    if (!response->positive && response->nrc == uds::nrc::kResponsePending) {
      until = std::chrono::steady_clock::now() + options_.p2_star;
      continue;
    }
    co_return response;
  }
}

awaitable<absl::Status> UdsClient::SendSuppressed(const EcuRef& ecu, const uds::Bytes& request,
                                                  CallContext& call) {
  Turn turn(connection_, ecu.address);
  if (absl::Status s = co_await connection_.Acquire(ecu.address, call); !s.ok()) co_return s;
  turn.Hold();
  co_return co_await connection_.Send(ecu.address, request, call);
}

absl::Status NegativeStatus(const EcuRef& ecu, const uds::Response& response) {
  uint8_t code = response.nrc;
  std::string message = fmt::format("{} refused {}: {} (NRC 0x{:02X})", ecu.Text(),
                                    uds::ServiceName(response.service), uds::NrcName(code), code);
  namespace nrc = uds::nrc;
  switch (code) {
    case nrc::kConditionsNotCorrect:
    case nrc::kRequestSequenceError:
    case nrc::kSubFunctionNotSupportedInSession:
    case nrc::kServiceNotSupportedInSession:
      return absl::FailedPreconditionError(message);
    case nrc::kSecurityAccessDenied:
    case nrc::kAuthenticationRequired:
    case nrc::kInvalidKey:
      return absl::PermissionDeniedError(message);
    case nrc::kExceededNumberOfAttempts:
      return absl::ResourceExhaustedError(message);
    case nrc::kRequiredTimeDelayNotExpired:
    case nrc::kBusyRepeatRequest:
    case nrc::kResourceTemporarilyUnavailable:
    case nrc::kNoResponseFromSubnet:
      return absl::UnavailableError(message);
    case nrc::kRequestOutOfRange:
      return absl::OutOfRangeError(message);
    case nrc::kServiceNotSupported:
    case nrc::kSubFunctionNotSupported:
      return absl::UnimplementedError(message);
    case nrc::kIncorrectMessageLength:
      return absl::InvalidArgumentError(message);
    default:
      break;
  }
  if (code >= 0x81 && code <= 0x93) return absl::FailedPreconditionError(message);
  return absl::AbortedError(message);
}

}  // namespace pharos::sovd::transport
