#include "sovd/render/result_json.h"

#include <cmath>

#include "fmt/format.h"
#include "sovd/doip/doip_message.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::render {
namespace {

using nlohmann::json;

std::string Hex8(uint8_t v) { return fmt::format("0x{:02X}", v); }
std::string Hex16(uint16_t v) { return fmt::format("0x{:04X}", v); }

std::string_view SessionName(uint8_t s) {
  switch (s) {
    case uds::kDefaultSession:
      return "default";
    case uds::kProgrammingSession:
      return "programming";
    case uds::kExtendedSession:
      return "extended";
    case uds::kSafetySystemSession:
      return "safety";
  }
  return "";
}

std::string_view ActionName(uint8_t a) {
  switch (a) {
    case uds::kStartRoutine:
      return "start";
    case uds::kStopRoutine:
      return "stop";
    case uds::kRequestRoutineResults:
      return "results";
  }
  return "";
}

std::string_view ResetName(uint8_t t) {
  switch (t) {
    case 0x01:
      return "hard";
    case 0x02:
      return "keyOffOn";
    case 0x03:
      return "soft";
  }
  return "";
}

struct Body {
  json& out;
  void operator()(const core::DtcReport& r) {
    out["statusMask"] = Hex8(r.status_mask);
    out["dtcs"] = json::array();
    for (const core::DtcEntry& d : r.dtcs) out["dtcs"].push_back(DtcJson(d));
  }
  void operator()(const core::ClearReport& r) {
    out["cleared"] = r.group == uds::kAllDtcGroups ? "all" : uds::DtcCode(r.group);
  }
  void operator()(const core::DataReport& r) {
    out["data"] = json::array();
    for (const core::DataEntry& d : r.values) out["data"].push_back(DataJson(d));
  }
  void operator()(const core::WriteReport& r) {
    out["dataId"] = Hex16(r.did);
    if (!r.name.empty()) out["name"] = r.name;
    out["written"] = true;
  }
  void operator()(const core::FreezeFrameReport& r) {
    out["dtc"] = DtcJson(r.dtc);
    out["records"] = json::array();
    for (const core::FreezeFrameRecord& record : r.records) {
      json data = json::array();
      for (const core::DataEntry& d : record.values) data.push_back(DataJson(d));
      out["records"].push_back({{"record", record.number}, {"data", std::move(data)}});
    }
  }
  void operator()(const core::RoutineReport& r) {
    out["routineId"] = Hex16(r.id);
    if (!r.name.empty()) out["name"] = r.name;
    out["action"] = ActionName(r.action);
    out["statusRecord"] = uds::Hex(r.status_record);
  }
  void operator()(const core::ResetReport& r) {
    std::string_view name = ResetName(r.type);
    out["resetType"] = name.empty() ? Hex8(r.type) : std::string(name);
    out["reset"] = true;
  }
  void operator()(const core::SessionReport& r) {
    std::string_view name = SessionName(r.session);
    out["session"] = name.empty() ? Hex8(r.session) : std::string(name);
    out["p2Ms"] = r.p2_ms;
    out["p2StarMs"] = r.p2_star_ms;
    out["testerPresent"] = r.kept_alive;
  }
  void operator()(const core::SecurityReport& r) {
    out["level"] = r.level;
    out["unlocked"] = true;
    out["alreadyUnlocked"] = r.already_unlocked;
  }
};

}  // namespace

json DtcJson(const core::DtcEntry& d) {
  json out = {{"code", uds::DtcCode(d.dtc)},
              {"status", uds::DtcStatusText(d.status)},
              {"dtc", fmt::format("0x{:06X}", d.dtc)},
              {"statusByte", Hex8(d.status)}};
  if (uint8_t failure = d.dtc & 0xFF) out["failureType"] = Hex8(failure);
  json flags = json::array();
  for (std::string_view f : uds::DtcStatusFlags(d.status)) flags.push_back(f);
  out["flags"] = std::move(flags);
  if (!d.description.empty()) out["description"] = d.description;
  return out;
}

json DataJson(const core::DataEntry& d) {
  json out = {{"dataId", Hex16(d.did)}};
  if (!d.name.empty()) out["name"] = d.name;
  if (d.value) {
    if (auto* number = std::get_if<double>(&*d.value)) {
      // Integral values (most DIDs) print as integers: 90, not 90.0.
      bool integral =
          std::abs(*number) < 9e15 && *number == static_cast<double>(static_cast<int64_t>(*number));
      if (integral) {
        out["value"] = static_cast<int64_t>(*number);
      } else {
        out["value"] = *number;
      }
    } else if (auto* text = std::get_if<std::string>(&*d.value)) {
      out["value"] = *text;
    } else {
      out["value"] = uds::Hex(std::get<uds::Bytes>(*d.value));
    }
  }
  if (!d.unit.empty()) out["unit"] = d.unit;
  out["raw"] = uds::Hex(d.raw);
  return out;
}

json ResultJson(const core::EcuResult& result) {
  json out = {{"ecu", result.ecu_name}, {"ecuAddress", Hex16(result.address)}};
  std::visit(Body{out}, result.report);
  return out;
}

std::string ResultListKey(const core::EcuResult& result) {
  if (std::holds_alternative<core::DtcReport>(result.report)) return "dtcs";
  if (std::holds_alternative<core::DataReport>(result.report)) return "data";
  if (std::holds_alternative<core::FreezeFrameReport>(result.report)) return "records";
  return "";
}

}  // namespace pharos::sovd::render
