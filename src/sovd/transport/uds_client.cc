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
    absl::StatusOr<uds::Response> response = co_await ExchangeOnce(ecu, request, call);
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

awaitable<absl::StatusOr<uds::Response>> UdsClient::ExchangeOnce(const EcuRef& ecu,
                                                                 const uds::Bytes& request,
                                                                 CallContext& call) {
  Turn turn(connection_, ecu.address);
  if (absl::Status s = co_await connection_.Acquire(ecu.address, call); !s.ok()) co_return s;
  turn.Hold();
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
