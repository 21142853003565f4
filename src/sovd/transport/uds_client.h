// UDS (ISO 14229-1) exchanges over a DoIP connection: takes the ECU's turn,
// sends, waits P2 for the answer, waits out NRC 0x78 (response pending,
// P2* each time), retries NRC 0x21 (busy) and 0x94 (temporarily not
// available) as configured, and drops answers to other requests. A
// negative answer comes back as a Response for the caller to judge;
// NegativeStatus says how Pharos maps each NRC to a status.
//
// Identical reads (0x19, 0x22) waiting for the same ECU's turn share one
// exchange: a read that arrives while an identical one is still queued
// rides along and gets the same answer. Only queued ones are joined, never
// one already sent, so every rider's answer reflects the ECU after it
// asked. The exchange runs for as long as one rider still waits.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sovd/transport/doip_connection.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::transport {

struct UdsOptions {
  std::chrono::milliseconds p2{2000};       // tester side: P2server_max plus the network (P6)
  std::chrono::milliseconds p2_star{6000};  // after each NRC 0x78 (P2*server_max plus margin)
  int busy_retries = 3;                     // NRC 0x21
  std::chrono::milliseconds busy_delay{200};
  int unavailable_retries = 3;  // NRC 0x94
  std::chrono::milliseconds unavailable_delay{500};
};

// What the caller of a UDS exchange names in messages: "ECU engine (0x0010)".
struct EcuRef {
  std::string name;
  uint16_t address = 0;
  std::string Text() const;
};

class UdsClient {
 public:
  UdsClient(DoipConnection& connection, UdsOptions options)
      : connection_(connection), options_(options) {}

  // The ECU's final answer (positive or negative) to `request`.
  awaitable<absl::StatusOr<uds::Response>> Exchange(const EcuRef& ecu, const uds::Bytes& request,
                                                    CallContext& call);
  // A request with the suppress-positive-response bit: done once acknowledged.
  awaitable<absl::Status> SendSuppressed(const EcuRef& ecu, const uds::Bytes& request,
                                         CallContext& call);

  DoipConnection& connection() { return connection_; }

 private:
  struct Flight;
  awaitable<absl::StatusOr<uds::Response>> ExchangeOnce(const EcuRef& ecu,
                                                        const uds::Bytes& request,
                                                        CallContext& call);
  // A coalescible read: joins or starts a flight.
  awaitable<absl::StatusOr<uds::Response>> Shared(const EcuRef& ecu, const uds::Bytes& request,
                                                  CallContext& call);
  awaitable<void> Fly(EcuRef ecu, uds::Bytes request, std::shared_ptr<Flight> flight);
  // Send and receive, the ECU's turn held.
  awaitable<absl::StatusOr<uds::Response>> Transact(const EcuRef& ecu, const uds::Bytes& request,
                                                    CallContext& call);

  DoipConnection& connection_;
  const UdsOptions options_;
  std::map<std::pair<uint16_t, uds::Bytes>, std::shared_ptr<Flight>> queued_;  // not yet sent
};

// A negative response as a status (docs/sovd.md "errors"): conditions
// (0x22, 0x24, 0x7E, 0x7F, vehicle conditions 0x81–0x93) FAILED_PRECONDITION,
// security (0x33, 0x35, 0x34) PERMISSION_DENIED, 0x36 RESOURCE_EXHAUSTED,
// 0x37 and 0x21/0x94 after retries UNAVAILABLE, 0x31 OUT_OF_RANGE,
// 0x11/0x12 UNIMPLEMENTED, 0x13 INVALID_ARGUMENT, the rest ABORTED; the
// message names the ECU, the service and the NRC by its ISO name.
absl::Status NegativeStatus(const EcuRef& ecu, const uds::Response& response);

}  // namespace pharos::sovd::transport
