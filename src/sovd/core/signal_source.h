// Where an OBD-via-broker ECU's data comes from: vehicle signals (VSS
// `Vehicle.OBD.*`) read from pharos-broker. The core sees only this port;
// the kuksa.val.v2 client behind it is src/sovd/broker.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sovd/common/asio.h"
#include "sovd/ecu/ecu_description.h"
#include "sovd/transport/call_context.h"

namespace pharos::sovd::core {

class SignalSource {
 public:
  virtual ~SignalSource() = default;
  // The current values of `paths`, in order (nullopt: no value yet). Runs
  // and completes on the caller's executor (the core's I/O thread).
  virtual awaitable<absl::StatusOr<std::vector<std::optional<ecu::PhysicalValue>>>> Read(
      const std::vector<std::string>& paths, transport::CallContext& call) = 0;
  virtual std::string Describe() const = 0;  // "pharos-broker at 10.1.0.2:55555"
};

}  // namespace pharos::sovd::core
