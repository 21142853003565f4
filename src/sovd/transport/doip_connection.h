// A tester's connection to one DoIP entity (ISO 13400-2): TCP (connect
// timeout), routing activation, then diagnostic messages to any ECU behind
// the entity, each acknowledged (0x8002) or refused (0x8003) before the
// ECU's answer comes. One connection is shared by every command to that
// entity; answers are told apart by the ECU's source address, and one
// request per ECU is in flight at a time (UDS allows no more). Alive
// checks from the entity are answered. A lost connection fails what waits
// on it with UNAVAILABLE and is re-established by the next request.
// I/O thread only.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sovd/common/asio.h"
#include "sovd/doip/byte_stream.h"
#include "sovd/doip/doip_message.h"
#include "sovd/transport/call_context.h"

namespace pharos::sovd::transport {

using Bytes = std::vector<uint8_t>;

struct ConnectionOptions {
  std::string name;  // the entity's name, for messages
  std::string host = "127.0.0.1";
  uint16_t port = doip::kPort;
  uint16_t tester_address = 0x0E00;
  uint8_t activation_type = 0x00;
  // TLS (ISO 13400-2:2019): the port, and whether to go there at once;
  // otherwise only when the plain port answers "requires TLS" (0x07).
  uint16_t tls_port = doip::kTlsPort;
  bool tls_only = false;
  std::shared_ptr<asio::ssl::context> tls_context;     // null: no TLS
  std::chrono::milliseconds connect_timeout{2000};     // also bounds the TLS handshake
  std::chrono::milliseconds activation_timeout{2000};  // A_DoIP_Ctrl
  std::chrono::milliseconds ack_timeout{2000};         // A_DoIP_Diagnostic_Message
  uint32_t max_payload = 4 * 1024 * 1024;
};

class DoipConnection {
 public:
  DoipConnection(asio::any_io_executor executor, ConnectionOptions options);
  ~DoipConnection();
  DoipConnection(const DoipConnection&) = delete;

  const ConnectionOptions& options() const { return options_; }
  bool connected() const { return state_ == State::kActive; }

  // Takes the ECU's turn (FIFO): one request in flight per ECU. CANCELLED
  // or DEADLINE_EXCEEDED when the call ends while queued.
  awaitable<absl::Status> Acquire(uint16_t ecu, CallContext& call);
  void Release(uint16_t ecu);

  // Sends a UDS request to `ecu` and waits for the entity's acknowledgement.
  // The caller holds the ECU's turn.
  awaitable<absl::Status> Send(uint16_t ecu, const Bytes& request, CallContext& call);
  // The ECU's next diagnostic message, waiting until `until` at most.
  awaitable<absl::StatusOr<Bytes>> Receive(uint16_t ecu, SteadyTime until, CallContext& call);

  void Close();

 private:
  enum class State { kIdle, kConnecting, kActive };
  // One TCP connection; the read and write loops hold it, so a lost one
  // can be replaced while its loops wind down.
  struct Link {
    Link(asio::any_io_executor executor, std::unique_ptr<doip::ByteStream> stream)
        : stream(std::move(stream)), out_event(executor) {}
    std::unique_ptr<doip::ByteStream> stream;
    std::deque<Bytes> out;
    Event out_event;
    bool closed = false;
  };
  struct EcuChannel {
    explicit EcuChannel(asio::any_io_executor executor) : ack(executor), inbox_event(executor) {}
    bool busy = false;
    std::deque<std::shared_ptr<Event>> queue;  // waiting for their turn
    Event ack;
    std::optional<doip::DiagnosticAck> ack_value;
    std::deque<Bytes> inbox;
    Event inbox_event;
  };

  awaitable<absl::Status> EnsureActive(CallContext& call);
  awaitable<absl::Status> Connect(CallContext& call);
  awaitable<absl::Status> ConnectOnce(bool tls, CallContext& call);
  awaitable<void> ReadLoop(std::shared_ptr<Link> link);
  awaitable<void> WriteLoop(std::shared_ptr<Link> link);
  void Dispatch(doip::Message message);
  void Fail(absl::Status status);
  void Write(const doip::Message& message);
  EcuChannel& Channel(uint16_t ecu);
  std::string Where() const;
  absl::Status Ended(WaitResult result, CallContext& call, std::string_view what) const;

  asio::any_io_executor executor_;
  const ConnectionOptions options_;
  State state_ = State::kIdle;
  std::shared_ptr<Link> link_;
  std::vector<std::shared_ptr<Event>> connect_waiters_;
  absl::Status last_error_;  // of the last attempt or loss
  std::optional<doip::RoutingActivationResponse> activation_;
  bool requires_tls_ = false;  // the last activation was refused with 0x07
  bool tls_ = false;           // the current (or last) connection is TLS
  Event activation_event_;
  std::map<uint16_t, std::unique_ptr<EcuChannel>> ecus_;
};

}  // namespace pharos::sovd::transport
