// Each command as UDS on one ECU: the requests it sends, how it reads the
// answers (by the ECU's description), what a negative answer becomes.
#pragma once

#include <map>

#include "absl/status/statusor.h"
#include "sovd/core/command.h"
#include "sovd/core/result.h"
#include "sovd/core/signal_source.h"
#include "sovd/core/vehicle_config.h"
#include "sovd/transport/uds_client.h"

namespace pharos::sovd::core {

struct Operation {
  transport::UdsClient* client;  // null for an OBD-via-broker ECU
  SignalSource* signals;         // its broker; null for a DoIP ECU
  const EcuEntry& ecu;
  transport::CallContext& call;
  std::map<uint16_t, uint8_t>& sessions;  // non-default sessions kept alive, by ECU
};

awaitable<absl::StatusOr<Report>> RunOperation(Operation& op, const Command& command);

}  // namespace pharos::sovd::core
