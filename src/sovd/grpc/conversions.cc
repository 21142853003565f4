#include "sovd/grpc/conversions.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/fmt_absl.h"
#include "common/text.h"
#include "fmt/format.h"
#include "sovd/core/vehicle_config.h"
#include "sovd/render/result_json.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::grpc_api {
namespace {

using core::CommandKind;
using nlohmann::json;

// A parameter as the caller sent it: JSON-encoded values are decoded
// ("255" → 255, "\"vin\"" → "vin", "[\"0xF190\", 61840]" → a list); text
// that is not JSON stays text ("0xFF").
struct Param {
  std::string key;
  json value;

  std::string Text() const {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_unsigned() || value.is_number_integer()) return value.dump();
    if (value.is_number_float()) return value.dump();
    if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
    return value.dump();
  }
};

absl::Status Bad(const Param& p, std::string_view want) {
  return absl::InvalidArgumentError(
      fmt::format("command_params.{}: '{}' is not {}", p.key, Shown(p.Text()), want));
}

absl::StatusOr<uint64_t> Number(const Param& p, uint64_t max, std::string_view want) {
  if (p.value.is_number_unsigned()) {
    uint64_t v = p.value.get<uint64_t>();
    if (v <= max) return v;
  } else if (p.value.is_string()) {
    std::optional<uint64_t> v = ecu::ParseNumber(p.value.get<std::string>());
    if (v && *v <= max) return *v;
  }
  return Bad(p, want);
}

absl::StatusOr<core::Ref> RefFrom(const Param& p, const json& value, std::string_view what) {
  core::Ref ref;
  if (value.is_number_unsigned() && value.get<uint64_t>() <= 0xFFFF) {
    ref.id = static_cast<uint16_t>(value.get<uint64_t>());
    return ref;
  }
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    if (std::optional<uint64_t> id = ecu::ParseNumber(text)) {
      if (*id > 0xFFFF) return Bad(p, fmt::format("a {} (0x0000..0xFFFF or a name)", what));
      ref.id = static_cast<uint16_t>(*id);
      return ref;
    }
    if (!text.empty() && text.size() <= 128) {
      ref.name = text;
      return ref;
    }
  }
  return Bad(p, fmt::format("a {} (0x0000..0xFFFF or a name)", what));
}

std::optional<uint8_t> SessionByName(const std::string& s) {
  if (s == "default") return uds::kDefaultSession;
  if (s == "programming") return uds::kProgrammingSession;
  if (s == "extended") return uds::kExtendedSession;
  if (s == "safety") return uds::kSafetySystemSession;
  return std::nullopt;
}

struct CommandParams {
  std::vector<std::string> allowed;  // besides ecuAddress and timeoutMs
};

const std::map<CommandKind, CommandParams>& ParamTable() {
  static const std::map<CommandKind, CommandParams> table = {
      {CommandKind::kReadDtc, {{"dtcMask"}}},
      {CommandKind::kClearDtc, {{"dtcGroup"}}},
      {CommandKind::kReadDataById, {{"dataId"}}},
      {CommandKind::kWriteDataById, {{"dataId", "value", "data"}}},
      {CommandKind::kReadFreezeFrame, {{"dtc", "recordNumber"}}},
      {CommandKind::kRoutineControl, {{"routineId", "action", "option"}}},
      {CommandKind::kEcuReset, {{"resetType"}}},
      {CommandKind::kDiagnosticSession, {{"session"}}},
      {CommandKind::kSecurityAccess, {{"level"}}},
  };
  return table;
}

absl::StatusOr<core::Arguments> ArgumentsFor(CommandKind kind,
                                             const std::map<std::string, Param>& p) {
  auto get = [&](const std::string& key) -> const Param* {
    auto it = p.find(key);
    return it == p.end() ? nullptr : &it->second;
  };
  auto missing = [&](const std::string& key, std::string_view what) {
    return absl::InvalidArgumentError(
        fmt::format("{} needs command_params.{} ({})", core::CommandName(kind), key, what));
  };
  switch (kind) {
    case CommandKind::kReadDtc: {
      core::ReadDtcArgs a;
      if (const Param* m = get("dtcMask")) {
        auto v = Number(*m, 0xFF, "a status mask byte (0x00..0xFF)");
        if (!v.ok()) return v.status();
        a.status_mask = static_cast<uint8_t>(*v);
      }
      return a;
    }
    case CommandKind::kClearDtc: {
      core::ClearDtcArgs a;
      if (const Param* g = get("dtcGroup")) {
        absl::StatusOr<uint32_t> dtc = uds::ParseDtc(g->Text());
        if (!dtc.ok()) return Bad(*g, "a DTC or group (P0101, 0xFFFFFF for all)");
        a.group = *dtc;
      }
      return a;
    }
    case CommandKind::kReadDataById: {
      core::ReadDataArgs a;
      const Param* d = get("dataId");
      if (!d) return missing("dataId", "a DID such as 0xF190, a DID name, or a JSON list of them");
      if (d->value.is_array()) {
        if (d->value.empty() || d->value.size() > 64) return Bad(*d, "a list of 1..64 DIDs");
        for (const json& item : d->value) {
          auto ref = RefFrom(*d, item, "DID");
          if (!ref.ok()) return ref.status();
          a.dids.push_back(*ref);
        }
      } else {
        auto ref = RefFrom(*d, d->value, "DID");
        if (!ref.ok()) return ref.status();
        a.dids.push_back(*ref);
      }
      return a;
    }
    case CommandKind::kWriteDataById: {
      core::WriteDataArgs a;
      const Param* d = get("dataId");
      if (!d) return missing("dataId", "the DID to write");
      auto ref = RefFrom(*d, d->value, "DID");
      if (!ref.ok()) return ref.status();
      a.did = *ref;
      const Param* value = get("value");
      const Param* data = get("data");
      if ((value == nullptr) == (data == nullptr)) {
        return absl::InvalidArgumentError(
            "WriteDataByID needs exactly one of command_params.value (the physical value) and "
            "command_params.data (raw hex bytes)");
      }
      a.raw = data != nullptr;
      a.value = (data ? data : value)->Text();
      if (a.raw) {
        if (auto bytes = uds::ParseHex(a.value); !bytes.ok() || bytes->empty()) {
          return Bad(*data, "hex bytes (\"0A1B\")");
        }
      }
      return a;
    }
    case CommandKind::kReadFreezeFrame: {
      core::FreezeFrameArgs a;
      const Param* d = get("dtc");
      if (!d) return missing("dtc", "the DTC whose freeze frame to read, e.g. P0101");
      absl::StatusOr<uint32_t> dtc = uds::ParseDtc(d->Text());
      if (!dtc.ok()) return Bad(*d, "a DTC (P0101, P0101-1F or 0x010100)");
      a.dtc = *dtc;
      if (const Param* r = get("recordNumber")) {
        auto v = Number(*r, 0xFF, "a record number (0x01..0xFE, 0xFF: all)");
        if (!v.ok()) return v.status();
        a.record = static_cast<uint8_t>(*v);
      }
      return a;
    }
    case CommandKind::kRoutineControl: {
      core::RoutineArgs a;
      const Param* r = get("routineId");
      if (!r) return missing("routineId", "a routine id such as 0xFF00 or its name");
      auto ref = RefFrom(*r, r->value, "routine");
      if (!ref.ok()) return ref.status();
      a.routine = *ref;
      if (const Param* action = get("action")) {
        static const std::map<std::string, uint8_t> kActions = {
            {"start", uds::kStartRoutine},
            {"stop", uds::kStopRoutine},
            {"results", uds::kRequestRoutineResults}};
        auto it = kActions.find(action->Text());
        if (it == kActions.end()) return Bad(*action, "start, stop or results");
        a.action = it->second;
      }
      if (const Param* option = get("option")) {
        absl::StatusOr<uds::Bytes> bytes = uds::ParseHex(option->Text());
        if (!bytes.ok()) return Bad(*option, "hex bytes");
        a.option = *bytes;
      }
      return a;
    }
    case CommandKind::kEcuReset: {
      core::ResetArgs a;
      if (const Param* t = get("resetType")) {
        static const std::map<std::string, uint8_t> kTypes = {
            {"hard", 0x01}, {"keyOffOn", 0x02}, {"soft", 0x03}};
        auto it = kTypes.find(t->Text());
        if (it != kTypes.end()) {
          a.type = it->second;
        } else {
          auto v = Number(*t, 0x7F, "hard, keyOffOn, soft or a reset type 0x01..0x7F");
          if (!v.ok()) return v.status();
          a.type = static_cast<uint8_t>(*v);
        }
      }
      return a;
    }
    case CommandKind::kDiagnosticSession: {
      core::SessionArgs a;
      const Param* s = get("session");
      if (!s) return missing("session", "default, programming, extended, safety or 0x01..0x7F");
      if (auto named = SessionByName(s->Text())) {
        a.session = *named;
      } else {
        auto v = Number(*s, 0x7F, "default, programming, extended, safety or 0x01..0x7F");
        if (!v.ok()) return v.status();
        if (*v == 0) return Bad(*s, "a session 0x01..0x7F");
        a.session = static_cast<uint8_t>(*v);
      }
      return a;
    }
    case CommandKind::kSecurityAccess: {
      core::SecurityArgs a;
      if (const Param* l = get("level")) {
        auto v = Number(*l, 0x41, "an odd security level 0x01..0x41");
        if (!v.ok()) return v.status();
        if (*v % 2 == 0) return Bad(*l, "an odd security level (the requestSeed sub-function)");
        a.level = static_cast<uint8_t>(*v);
      }
      return a;
    }
  }
  return absl::InternalError("unknown command");
}

}  // namespace

std::string ParametersOf(CommandKind kind) {
  std::string out = "ecuAddress, timeoutMs";
  for (const std::string& p : ParamTable().at(kind).allowed) out += ", " + p;
  return out;
}

absl::StatusOr<core::Command> CommandFromRequest(const ::sovd::vehicle::CommandRequest& request) {
  auto uuid = [](std::string_view field, const std::string& value) -> absl::Status {
    if (core::IsUuid(value)) return absl::OkStatus();
    return absl::InvalidArgumentError(
        fmt::format("{}: '{}' is not a UUID (lowercase hex with hyphens, e.g. "
                    "550e8400-e29b-41d4-a716-446655440000)",
                    field, Shown(value)));
  };
  if (absl::Status s = uuid("command_id", request.command_id()); !s.ok()) return s;
  if (absl::Status s = uuid("vehicle_id", request.vehicle_id()); !s.ok()) return s;
  std::optional<CommandKind> kind = core::CommandByName(request.command_name());
  if (!kind) {
    return absl::InvalidArgumentError(fmt::format("command_name: '{}' is not a command; known: {}",
                                                  Shown(request.command_name()),
                                                  core::KnownCommandNames()));
  }
  core::Command command;
  command.id = request.command_id();
  command.vehicle_id = request.vehicle_id();
  command.kind = *kind;
  std::map<std::string, Param> params;
  const std::vector<std::string>& allowed = ParamTable().at(*kind).allowed;
  for (const auto& [key, text] : request.command_params()) {
    if (key != "ecuAddress" && key != "timeoutMs" &&
        std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return absl::InvalidArgumentError(
          fmt::format("command_params.{}: {} takes no such parameter; it takes {}", Shown(key),
                      core::CommandName(*kind), ParametersOf(*kind)));
    }
    json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) value = text;  // not JSON: the text itself
    params[key] = Param{key, std::move(value)};
  }
  if (auto it = params.find("ecuAddress"); it != params.end()) {
    auto v = Number(it->second, 0xFFFF, "an ECU logical address (0x0001..0xFFFF)");
    if (!v.ok()) return v.status();
    command.ecu = static_cast<uint16_t>(*v);
  }
  if (auto it = params.find("timeoutMs"); it != params.end()) {
    auto v = Number(it->second, 3'600'000, "a timeout in milliseconds (1..3600000)");
    if (!v.ok()) return v.status();
    if (*v == 0) return Bad(it->second, "a timeout in milliseconds (1..3600000)");
    command.timeout = std::chrono::milliseconds(*v);
  }
  absl::StatusOr<core::Arguments> args = ArgumentsFor(*kind, params);
  if (!args.ok()) return args.status();
  command.args = std::move(*args);
  return command;
}

std::vector<std::string> Payloads(const core::EcuResult& result, size_t max_bytes) {
  json body = render::ResultJson(result);
  std::string whole = body.dump();
  std::string list_key = render::ResultListKey(result);
  if (whole.size() <= max_bytes || list_key.empty() || body[list_key].size() < 2) return {whole};
  // Greedy: as many list items per chunk as fit, every chunk a full object.
  json items = std::move(body[list_key]);
  body.erase(list_key);
  std::vector<json> groups;
  json current = json::array();
  size_t base = body.dump().size() + list_key.size() + 40;  // + "part"/"parts" and brackets
  size_t used = base;
  for (json& item : items) {
    size_t size = item.dump().size() + 1;
    if (!current.empty() && used + size > max_bytes) {
      groups.push_back(std::move(current));
      current = json::array();
      used = base;
    }
    used += size;
    current.push_back(std::move(item));
  }
  groups.push_back(std::move(current));
  std::vector<std::string> out;
  for (size_t i = 0; i < groups.size(); ++i) {
    json chunk = body;
    chunk[list_key] = std::move(groups[i]);
    chunk["part"] = i + 1;
    chunk["parts"] = groups.size();
    out.push_back(chunk.dump());
  }
  return out;
}

std::string SeedTimestamp(std::chrono::system_clock::time_point t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  time_t seconds = static_cast<time_t>(micros.count() / 1'000'000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     micros.count() % 1'000'000);
}

}  // namespace pharos::sovd::grpc_api
