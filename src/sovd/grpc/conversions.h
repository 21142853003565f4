// sovd.vehicle's CommandRequest → core::Command (the seed's request rules:
// UUIDs, a known command_name, command_params checked per command with
// JSON-encoded values decoded), and core results → the JSON payloads of
// CommandResponse chunks, split below the chunk limit.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sovd/core/command.h"
#include "sovd/core/result.h"
#include "sovd_vehicle_service.pb.h"

namespace pharos::sovd::grpc_api {

// INVALID_ARGUMENT naming the field or parameter and what it should be.
absl::StatusOr<core::Command> CommandFromRequest(const ::sovd::vehicle::CommandRequest& request);

// The parameters each command takes, for messages and docs.
std::string ParametersOf(core::CommandKind kind);

// One ECU's answer as JSON payloads: one normally; more when it is larger
// than `max_bytes`, its list (dtcs, data, records) split across chunks that
// each carry "part" and "parts".
std::vector<std::string> Payloads(const core::EcuResult& result, size_t max_bytes);

// "2025-10-31T14:30:00.123456": the seed's timestamp (UTC, microseconds,
// as Python's datetime.utcnow().isoformat() writes it).
std::string SeedTimestamp(std::chrono::system_clock::time_point t);

}  // namespace pharos::sovd::grpc_api
