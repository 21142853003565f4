#include "sovd/core/command.h"

#include "fmt/format.h"

namespace pharos::sovd::core {
namespace {

constexpr std::pair<CommandKind, std::string_view> kNames[] = {
    {CommandKind::kReadDtc, "ReadDTC"},
    {CommandKind::kClearDtc, "ClearDTC"},
    {CommandKind::kReadDataById, "ReadDataByID"},
    {CommandKind::kWriteDataById, "WriteDataByID"},
    {CommandKind::kReadFreezeFrame, "ReadFreezeFrame"},
    {CommandKind::kRoutineControl, "RoutineControl"},
    {CommandKind::kEcuReset, "ECUReset"},
    {CommandKind::kDiagnosticSession, "DiagnosticSession"},
    {CommandKind::kSecurityAccess, "SecurityAccess"},
};

}  // namespace

std::string_view CommandName(CommandKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "?";
}

std::optional<CommandKind> CommandByName(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string KnownCommandNames() {
  std::string out;
  for (const auto& [k, name] : kNames) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string Ref::Text() const {
  if (!name.empty()) return "'" + name + "'";
  return id ? fmt::format("0x{:04X}", *id) : "?";
}

}  // namespace pharos::sovd::core
