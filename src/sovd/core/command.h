// A diagnostic command as the core runs it, whatever front end it came
// from (gRPC's ExecuteCommand, the SOVD REST view): which vehicle, which
// ECU (none: every ECU it concerns), which operation with typed arguments.
// No protobuf, no JSON: the front ends' conversions build these.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace pharos::sovd::core {

using Bytes = std::vector<uint8_t>;

enum class CommandKind {
  kReadDtc,
  kClearDtc,
  kReadDataById,
  kWriteDataById,
  kReadFreezeFrame,
  kRoutineControl,
  kEcuReset,
  kDiagnosticSession,
  kSecurityAccess,
};

std::string_view CommandName(CommandKind kind);  // "ReadDTC", the seed's spelling
std::optional<CommandKind> CommandByName(std::string_view name);
std::string KnownCommandNames();  // "ReadDTC, ClearDTC, …"

// A DID or routine by number or by the name its ECU description gives it.
struct Ref {
  std::optional<uint16_t> id;
  std::string name;
  std::string Text() const;
};

struct ReadDtcArgs {
  uint8_t status_mask = 0xFF;
};
struct ClearDtcArgs {
  uint32_t group = 0xFFFFFF;  // all DTCs
};
struct ReadDataArgs {
  std::vector<Ref> dids;
};
struct WriteDataArgs {
  Ref did;
  std::string value;  // physical: a number, text; or hex bytes when raw
  bool raw = false;
};
struct FreezeFrameArgs {
  uint32_t dtc = 0;
  uint8_t record = 0xFF;  // all records
};
struct RoutineArgs {
  Ref routine;
  uint8_t action = 0x01;  // 0x01 start, 0x02 stop, 0x03 request results
  Bytes option;
};
struct ResetArgs {
  uint8_t type = 0x01;  // 0x01 hard, 0x02 key off/on, 0x03 soft
};
struct SessionArgs {
  uint8_t session = 0x01;
};
struct SecurityArgs {
  uint8_t level = 0x01;
};

using Arguments = std::variant<ReadDtcArgs, ClearDtcArgs, ReadDataArgs, WriteDataArgs,
                               FreezeFrameArgs, RoutineArgs, ResetArgs, SessionArgs, SecurityArgs>;

struct Command {
  std::string id;  // the caller's command_id, echoed
  std::string vehicle_id;
  CommandKind kind = CommandKind::kReadDtc;
  std::optional<uint16_t> ecu;  // nullopt: every ECU the command concerns
  Arguments args;
  std::optional<std::chrono::milliseconds> timeout;  // the caller's, capped by the configured one
  std::string caller;                                // who asked (audit log)
};

}  // namespace pharos::sovd::core
