#include "sovd/rest/rest_routes.h"

#include "common/fmt_absl.h"
#include "common/text.h"
#include "fmt/format.h"
#include "sovd/render/result_json.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::rest {
namespace {

using nlohmann::json;

constexpr std::string_view kBase = "/sovd/v1/components";

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) out.emplace_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// %XX decoding of one path segment or query value.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigitValue(s[i + 1]) >= 0 &&
        HexDigitValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigitValue(s[i + 1]) << 4 | HexDigitValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Query(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? "" : Unescape(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

const core::EcuEntry* FindEcu(const core::VehicleSpec& vehicle, const std::string& ref) {
  for (const core::EcuEntry& e : vehicle.ecus) {
    if (e.description.name == ref) return &e;
  }
  if (auto address = ecu::ParseNumber(ref); address && *address <= 0xFFFF) {
    return vehicle.FindEcu(static_cast<uint16_t>(*address));
  }
  return nullptr;
}

core::Ref RefOf(const std::string& text) {
  core::Ref ref;
  if (auto id = ecu::ParseNumber(text); id && *id <= 0xFFFF) {
    ref.id = static_cast<uint16_t>(*id);
  } else {
    ref.name = text;
  }
  return ref;
}

std::string Href(const core::EcuEntry& e) {
  return fmt::format("{}/{}", kBase, e.description.name);
}

json Component(const core::EcuEntry& e) {
  return {{"id", e.description.name},
          {"name", e.description.name},
          {"logicalAddress", fmt::format("0x{:04X}", e.description.logical_address)},
          {"href", Href(e)}};
}

absl::Status MethodNotAllowed(const RestRequest& r) {
  return absl::UnimplementedError(
      fmt::format("{} is not allowed on {}", r.method, Shown(r.target, 200)));
}

core::Command CommandFor(const core::VehicleSpec& vehicle, const core::EcuEntry& ecu,
                         core::CommandKind kind, core::Arguments args) {
  core::Command c;
  c.vehicle_id = vehicle.id;
  c.kind = kind;
  c.ecu = ecu.description.logical_address;
  c.args = std::move(args);
  return c;
}

absl::StatusOr<json> Body(const RestRequest& r) {
  if (r.body.empty()) return json::object();
  json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  return body;
}

}  // namespace

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnimplemented:
      return 405;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

RestResponse ErrorResponse(const absl::Status& status) {
  return {HttpStatusOf(status.code()),
          {{"error_code", absl::StatusCodeToString(status.code())},
           {"message", std::string(status.message())}}};
}

absl::StatusOr<Route> RouteRequest(const core::VehicleSpec& vehicle, const RestRequest& r) {
  std::string_view target = r.target;
  std::string_view query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  if (target.substr(0, kBase.size()) != kBase) {
    return absl::NotFoundError(
        fmt::format("no resource {} (the SOVD view is under {})", Shown(target, 200), kBase));
  }
  std::vector<std::string> parts = Split(target.substr(kBase.size()));
  for (std::string& p : parts) p = Unescape(p);
  if (parts.empty()) {
    if (r.method != "GET") return MethodNotAllowed(r);
    json items = json::array();
    for (const core::EcuEntry& e : vehicle.ecus) items.push_back(Component(e));
    return Listing{{200, {{"items", std::move(items)}}}};
  }
  const core::EcuEntry* ecu = FindEcu(vehicle, parts[0]);
  if (!ecu) {
    return absl::NotFoundError(
        fmt::format("vehicle {} has no component {}", vehicle.id, Shown(parts[0])));
  }
  const ecu::EcuDescription& d = ecu->description;
  if (parts.size() == 1) {
    if (r.method != "GET") return MethodNotAllowed(r);
    json c = Component(*ecu);
    c["faults"] = Href(*ecu) + "/faults";
    c["data"] = Href(*ecu) + "/data";
    c["operations"] = Href(*ecu) + "/operations";
    return Listing{{200, std::move(c)}};
  }
  const std::string& resource = parts[1];
  if (resource == "faults" && parts.size() == 2) {
    if (r.method == "GET") {
      core::ReadDtcArgs a;
      if (std::string mask = Query(query, "mask"); !mask.empty()) {
        std::optional<uint64_t> m = ecu::ParseNumber(mask);
        if (!m || *m > 0xFF) return absl::InvalidArgumentError("mask is a status byte (0x09)");
        a.status_mask = static_cast<uint8_t>(*m);
      }
      return CommandRoute{CommandFor(vehicle, *ecu, core::CommandKind::kReadDtc, a),
                          Shape::kFaults};
    }
    if (r.method == "DELETE") {
      return CommandRoute{
          CommandFor(vehicle, *ecu, core::CommandKind::kClearDtc, core::ClearDtcArgs{}),
          Shape::kCleared};
    }
    return MethodNotAllowed(r);
  }
  if (resource == "data" && parts.size() == 2) {
    if (r.method != "GET") return MethodNotAllowed(r);
    json items = json::array();
    for (const ecu::DidSpec& did : d.dids) {
      items.push_back({{"id", did.name},
                       {"dataId", fmt::format("0x{:04X}", did.id)},
                       {"name", did.name},
                       {"category", did.write ? "configData" : "currentData"}});
    }
    return Listing{{200, {{"items", std::move(items)}}}};
  }
  if (resource == "data" && parts.size() == 3) {
    core::Ref did = RefOf(parts[2]);
    if (r.method == "GET") {
      return CommandRoute{
          CommandFor(vehicle, *ecu, core::CommandKind::kReadDataById, core::ReadDataArgs{{did}}),
          Shape::kData};
    }
    if (r.method == "PUT") {
      absl::StatusOr<json> body = Body(r);
      if (!body.ok()) return body.status();
      if (!body->contains("data")) {
        return absl::InvalidArgumentError("the body needs \"data\": the value to write");
      }
      const json& data = (*body)["data"];
      core::WriteDataArgs a{did, data.is_string() ? data.get<std::string>() : data.dump(), false};
      return CommandRoute{CommandFor(vehicle, *ecu, core::CommandKind::kWriteDataById, a),
                          Shape::kWritten};
    }
    return MethodNotAllowed(r);
  }
  if (resource == "operations" && parts.size() == 2) {
    if (r.method != "GET") return MethodNotAllowed(r);
    json items = json::array();
    for (const ecu::RoutineSpec& routine : d.routines) {
      items.push_back({{"id", routine.name},
                       {"routineId", fmt::format("0x{:04X}", routine.id)},
                       {"name", routine.name}});
    }
    return Listing{{200, {{"items", std::move(items)}}}};
  }
  if (resource == "operations" && parts.size() == 4 && parts[3] == "executions") {
    core::RoutineArgs a;
    a.routine = RefOf(parts[2]);
    if (r.method == "POST") {
      a.action = uds::kStartRoutine;
      absl::StatusOr<json> body = Body(r);
      if (!body.ok()) return body.status();
      if (auto params = body->find("parameters"); params != body->end()) {
        if (auto option = params->find("option"); option != params->end()) {
          absl::StatusOr<uds::Bytes> bytes =
              option->is_string() ? uds::ParseHex(option->get<std::string>())
                                  : absl::StatusOr<uds::Bytes>(absl::InvalidArgumentError(""));
          if (!bytes.ok()) return absl::InvalidArgumentError("parameters.option is hex bytes");
          a.option = *bytes;
        }
      }
    } else if (r.method == "GET") {
      a.action = uds::kRequestRoutineResults;
    } else if (r.method == "DELETE") {
      a.action = uds::kStopRoutine;
    } else {
      return MethodNotAllowed(r);
    }
    return CommandRoute{CommandFor(vehicle, *ecu, core::CommandKind::kRoutineControl, a),
                        Shape::kExecution};
  }
  return absl::NotFoundError(fmt::format("no resource {}", Shown(target, 200)));
}

RestResponse Render(Shape shape, const core::EcuResult& result) {
  switch (shape) {
    case Shape::kFaults: {
      json items = json::array();
      for (const core::DtcEntry& d : std::get<core::DtcReport>(result.report).dtcs) {
        json status = json::object();
        for (std::string_view flag : uds::DtcStatusFlags(d.status))
          status[std::string(flag)] = true;
        json fault = {{"code", fmt::format("0x{:06X}", d.dtc)},
                      {"display_code", uds::DtcCode(d.dtc)},
                      {"status", std::move(status)},
                      {"statusText", uds::DtcStatusText(d.status)}};
        if (!d.description.empty()) fault["fault_name"] = d.description;
        items.push_back(std::move(fault));
      }
      return {200, {{"items", std::move(items)}}};
    }
    case Shape::kCleared:
      return {204, nullptr};
    case Shape::kData: {
      const core::DataEntry& entry = std::get<core::DataReport>(result.report).values.at(0);
      json data = render::DataJson(entry);
      json body = {{"id", entry.name.empty() ? fmt::format("0x{:04X}", entry.did) : entry.name},
                   {"data", data.contains("value") ? data["value"] : data["raw"]}};
      if (!entry.unit.empty()) body["unit"] = entry.unit;
      body["raw"] = data["raw"];
      return {200, std::move(body)};
    }
    case Shape::kWritten:
      return {204, nullptr};
    case Shape::kExecution: {
      const auto& r = std::get<core::RoutineReport>(result.report);
      json body = {{"id", r.name.empty() ? fmt::format("0x{:04X}", r.id) : r.name},
                   {"statusRecord", uds::Hex(r.status_record)}};
      if (r.action == uds::kStartRoutine) {
        // 0x00 completed at once, anything else still running.
        bool running = !r.status_record.empty() && r.status_record[0] != 0x00;
        body["status"] = running ? "running" : "completed";
        return {running ? 202 : 200, std::move(body)};
      }
      body["status"] = r.action == uds::kStopRoutine ? "stopped" : "completed";
      return {200, std::move(body)};
    }
  }
  return {500, nullptr};
}

}  // namespace pharos::sovd::rest
