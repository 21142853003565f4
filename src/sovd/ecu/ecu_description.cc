#include "sovd/ecu/ecu_description.h"

#include <yaml-cpp/yaml.h>

#include <bit>
#include <cmath>
#include <set>

#include "common/fmt_absl.h"
#include "common/text.h"
#include "fmt/format.h"
#include "model/yaml_reader.h"
#include "sovd/ecu/key_algorithm.h"
#include "sovd/ecu/yaml_support.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::ecu {
namespace {

using model::Findings;
using model::MapReader;
using model::Need;

struct TypeInfo {
  DataType type;
  std::string_view name;
  size_t length;  // 0: given by `length:`
};
constexpr TypeInfo kTypes[] = {
    {DataType::kUint8, "uint8", 1},     {DataType::kUint16, "uint16", 2},
    {DataType::kUint32, "uint32", 4},   {DataType::kInt8, "int8", 1},
    {DataType::kInt16, "int16", 2},     {DataType::kInt32, "int32", 4},
    {DataType::kFloat32, "float32", 4}, {DataType::kAscii, "ascii", 0},
    {DataType::kBytes, "bytes", 0},
};

const TypeInfo* TypeByName(std::string_view name) {
  for (const TypeInfo& t : kTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}
const TypeInfo& InfoOf(DataType type) {
  for (const TypeInfo& t : kTypes) {
    if (t.type == type) return t;
  }
  return kTypes[0];
}

bool IsSigned(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32;
}

// A number field that may be written in hex ("0xF190"), within [0, max].
std::optional<uint64_t> Number(MapReader& r, Findings& findings, const std::string& key,
                               uint64_t max, Need need = Need::kOptional) {
  return NumberField(r, findings, key, 0, max, need);
}

std::optional<double> Real(MapReader& r, Findings& findings, const std::string& key) {
  model::TextField f = r.Text(key);
  if (!f.present) return std::nullopt;
  try {
    size_t used = 0;
    double v = std::stod(f.value, &used);
    if (used == f.value.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  findings.Error(f.path, f.mark, fmt::format("'{}' is not a number", f.value));
  return std::nullopt;
}

std::optional<uint8_t> SessionNumber(std::string_view text) {
  if (text == "default") return uds::kDefaultSession;
  if (text == "programming") return uds::kProgrammingSession;
  if (text == "extended") return uds::kExtendedSession;
  if (text == "safety") return uds::kSafetySystemSession;
  std::optional<uint64_t> n = ParseNumber(text);
  if (n && *n >= 1 && *n <= 0x7F) return static_cast<uint8_t>(*n);
  return std::nullopt;
}

std::optional<uint8_t> Session(MapReader& r, Findings& findings, const std::string& key) {
  model::TextField f = r.Text(key);
  if (!f.present) return std::nullopt;
  std::optional<uint8_t> s = SessionNumber(f.value);
  if (!s) {
    findings.Error(f.path, f.mark,
                   fmt::format("'{}' is not a session: default, programming, extended, safety or "
                               "a number 0x01..0x7F",
                               f.value));
  }
  return s;
}

AccessRule ReadAccess(MapReader& r, Findings& findings) {
  AccessRule rule;
  if (auto s = Session(r, findings, "session")) rule.session = *s;
  if (auto l = Number(r, findings, "security_level", 0x41)) rule.security_level = *l;
  return rule;
}

Bytes HexField(MapReader& r, Findings& findings, const std::string& key) {
  model::TextField f = r.Text(key);
  if (!f.present) return {};
  absl::StatusOr<Bytes> bytes = uds::ParseHex(f.value);
  if (!bytes.ok()) {
    findings.Error(f.path, f.mark, std::string(bytes.status().message()));
    return {};
  }
  return *bytes;
}

void ReadDid(const YAML::Node& node, const std::string& path, Findings& findings,
             EcuDescription& ecu) {
  if (!model::ExpectMap(node, path, findings)) return;
  MapReader r(node, path, findings);
  DidSpec did;
  if (auto id = Number(r, findings, "id", 0xFFFF, Need::kRequired)) did.id = *id;
  did.name = r.Name("name", Need::kRequired).value;
  model::TextField type = r.Text("type", Need::kRequired);
  const TypeInfo* info = type.present ? TypeByName(type.value) : nullptr;
  if (type.present && !info) {
    findings.Error(type.path, type.mark,
                   fmt::format("'{}' is not a DID type: uint8, uint16, uint32, int8, int16, "
                               "int32, float32, ascii or bytes",
                               type.value));
  }
  if (info) did.type = info->type;
  std::optional<uint64_t> length = Number(r, findings, "length", 4096);
  if (info && info->length != 0) {
    did.length = info->length;
    if (length && *length != info->length) {
      findings.Error(r.Child("length"), r.mark(),
                     fmt::format("a {} is {} bytes; drop length or make it {}", info->name,
                                 info->length, info->length));
    }
  } else if (info) {
    if (!length || *length == 0) {
      findings.Error(r.Child("length"), r.mark(),
                     fmt::format("a {} DID needs its length in bytes (1..4096)", info->name));
    } else {
      did.length = *length;
    }
  }
  if (auto s = Real(r, findings, "scale"); s) did.scale = *s;
  if (auto o = Real(r, findings, "offset"); o) did.offset = *o;
  did.unit = r.Text("unit").value;
  did.vss = r.Text("vss").value;
  if (YAML::Node write = r.Map("write"); write.IsDefined()) {
    MapReader w(write, r.Child("write"), findings);
    did.write = ReadAccess(w, findings);
    w.Finish(MapReader::Unknown::kRefuse);
  } else if (auto flag = r.Bool("writable"); flag && *flag) {
    did.write = AccessRule{};
  }
  model::TextField value = r.Text("value");
  if (value.present && info) {
    absl::StatusOr<PhysicalValue> physical = ValueFromText(did, value.value);
    absl::StatusOr<Bytes> raw =
        physical.ok() ? EncodeDid(did, *physical) : absl::StatusOr<Bytes>(physical.status());
    if (!raw.ok()) {
      findings.Error(value.path, value.mark, std::string(raw.status().message()));
    } else {
      did.initial = *raw;
    }
  } else if (info) {
    did.initial.assign(did.length, 0);
  }
  r.Finish(MapReader::Unknown::kRefuse);
  if (ecu.FindDid(did.id)) {
    findings.Error(path, r.mark(), fmt::format("DID 0x{:04X} is declared twice", did.id));
  }
  ecu.dids.push_back(std::move(did));
}

void ReadDtc(const YAML::Node& node, const std::string& path, Findings& findings,
             EcuDescription& ecu) {
  if (!model::ExpectMap(node, path, findings)) return;
  MapReader r(node, path, findings);
  DtcSpec dtc;
  model::TextField code = r.Text("code", Need::kRequired);
  if (code.present) {
    absl::StatusOr<uint32_t> parsed = uds::ParseDtc(code.value);
    if (!parsed.ok()) {
      findings.Error(code.path, code.mark, std::string(parsed.status().message()));
    } else {
      dtc.dtc = *parsed;
    }
  }
  dtc.description = r.Text("description").value;
  if (auto s = Number(r, findings, "status", 0xFF)) dtc.status = *s;
  r.List("snapshot", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    std::optional<uint64_t> id = item.IsScalar() ? ParseNumber(item.Scalar()) : std::nullopt;
    if (!id || *id > 0xFFFF) {
      findings.Error(item_path, model::MarkOf(item), "a snapshot entry is a DID number (0x0100)");
      return;
    }
    dtc.snapshot_dids.push_back(static_cast<uint16_t>(*id));
  });
  r.Finish(MapReader::Unknown::kRefuse);
  ecu.dtcs.push_back(std::move(dtc));
}

void ReadRoutine(const YAML::Node& node, const std::string& path, Findings& findings,
                 EcuDescription& ecu) {
  if (!model::ExpectMap(node, path, findings)) return;
  MapReader r(node, path, findings);
  RoutineSpec routine;
  if (auto id = Number(r, findings, "id", 0xFFFF, Need::kRequired)) routine.id = *id;
  routine.name = r.Name("name", Need::kRequired).value;
  if (auto d = Number(r, findings, "duration_ms", 3'600'000)) routine.duration_ms = *d;
  routine.result = HexField(r, findings, "result");
  routine.access = ReadAccess(r, findings);
  r.Finish(MapReader::Unknown::kRefuse);
  ecu.routines.push_back(std::move(routine));
}

void ReadSecurity(const YAML::Node& node, const std::string& path, Findings& findings,
                  EcuDescription& ecu) {
  if (!model::ExpectMap(node, path, findings)) return;
  MapReader r(node, path, findings);
  SecurityLevel level;
  if (auto l = Number(r, findings, "level", 0x41, Need::kRequired)) {
    level.level = *l;
    if (level.level % 2 == 0) {
      findings.Error(r.Child("level"), r.mark(),
                     fmt::format("security level 0x{:02X} is even: levels are the odd "
                                 "requestSeed sub-functions (0x01, 0x03, …)",
                                 level.level));
    }
  }
  if (model::TextField a = r.Text("algorithm"); a.present) level.algorithm = a.value;
  level.parameter = HexField(r, findings, "parameter");
  level.program = r.Text("program").value;
  if (!KnownKeyAlgorithm(level.algorithm)) {
    findings.Error(r.Child("algorithm"), r.mark(),
                   fmt::format("no key algorithm '{}': xor, add or external", level.algorithm));
  } else if (level.algorithm == "external" && level.program.empty()) {
    findings.Error(r.Child("program"), r.mark(), "the external algorithm needs program: PATH");
  }
  if (auto n = Number(r, findings, "seed_length", 64)) level.seed_length = *n;
  r.Finish(MapReader::Unknown::kRefuse);
  ecu.security.push_back(std::move(level));
}

void ReadSimulation(MapReader& r, Findings& findings, Simulation& sim) {
  if (auto v = Number(r, findings, "response_delay_ms", 600'000)) sim.response_delay_ms = *v;
  if (auto v = Number(r, findings, "response_pending_ms", 600'000)) sim.response_pending_ms = *v;
  if (auto v = Number(r, findings, "s3_timeout_ms", 600'000)) sim.s3_timeout_ms = *v;
  if (auto v = Number(r, findings, "security_delay_ms", 600'000)) sim.security_delay_ms = *v;
  if (auto v = Number(r, findings, "max_attempts", 255)) sim.max_attempts = *v;
  if (YAML::Node nrc = r.Map("nrc"); nrc.IsDefined()) {
    for (auto it = nrc.begin(); it != nrc.end(); ++it) {
      std::string key = it->first.Scalar();
      std::optional<uint64_t> sid = ParseNumber(key);
      std::optional<uint64_t> code =
          it->second.IsScalar() ? ParseNumber(it->second.Scalar()) : std::nullopt;
      if (!sid || *sid > 0xFF || !code || *code > 0xFF) {
        findings.Error(r.Child("nrc") + "." + key, model::MarkOf(it->second),
                       "nrc maps a service id to the NRC it answers (0x22: 0x22)");
        continue;
      }
      sim.nrc[static_cast<uint8_t>(*sid)] = static_cast<uint8_t>(*code);
    }
  }
}

}  // namespace

std::string_view DataTypeName(DataType type) { return InfoOf(type).name; }
bool IsNumeric(DataType type) { return type != DataType::kAscii && type != DataType::kBytes; }

const DidSpec* EcuDescription::FindDid(uint16_t id) const {
  for (const DidSpec& d : dids) {
    if (d.id == id) return &d;
  }
  return nullptr;
}
const DidSpec* EcuDescription::FindDid(std::string_view wanted) const {
  for (const DidSpec& d : dids) {
    if (d.name == wanted) return &d;
  }
  return nullptr;
}
const DtcSpec* EcuDescription::FindDtc(uint32_t dtc) const {
  for (const DtcSpec& d : dtcs) {
    if (d.dtc == dtc) return &d;
  }
  return nullptr;
}
const RoutineSpec* EcuDescription::FindRoutine(uint16_t id) const {
  for (const RoutineSpec& r : routines) {
    if (r.id == id) return &r;
  }
  return nullptr;
}
const RoutineSpec* EcuDescription::FindRoutine(std::string_view wanted) const {
  for (const RoutineSpec& r : routines) {
    if (r.name == wanted) return &r;
  }
  return nullptr;
}
const SecurityLevel* EcuDescription::FindSecurity(uint8_t level) const {
  for (const SecurityLevel& s : security) {
    if (s.level == level) return &s;
  }
  return nullptr;
}

std::optional<uint64_t> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  uint64_t v = 0;
  for (char c : text) {
    int d = base == 16 ? HexDigitValue(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
    if (d < 0) return std::nullopt;
    v = v * base + static_cast<uint64_t>(d);
  }
  return v;
}

absl::StatusOr<EcuDescription> ParseEcuDescription(const std::string& yaml,
                                                   const std::string& source) {
  absl::StatusOr<YAML::Node> parsed = ParseYaml(yaml, source);
  if (!parsed.ok()) return parsed.status();
  const YAML::Node& root = *parsed;
  Findings findings;
  EcuDescription ecu;
  ecu.source = source;
  if (!model::ExpectMap(root, "", findings)) return FindingsError(source, findings);
  MapReader r(root, "", findings);
  ecu.name = r.Name("name", Need::kRequired).value;
  if (auto a = Number(r, findings, "logical_address", 0xFFFF, Need::kRequired)) {
    ecu.logical_address = *a;
  }
  r.List("dids", Need::kOptional,
         [&](const YAML::Node& n, const std::string& p) { ReadDid(n, p, findings, ecu); });
  r.List("dtcs", Need::kOptional,
         [&](const YAML::Node& n, const std::string& p) { ReadDtc(n, p, findings, ecu); });
  r.List("routines", Need::kOptional,
         [&](const YAML::Node& n, const std::string& p) { ReadRoutine(n, p, findings, ecu); });
  r.List("security", Need::kOptional,
         [&](const YAML::Node& n, const std::string& p) { ReadSecurity(n, p, findings, ecu); });
  if (root["sessions"].IsDefined()) {
    ecu.sessions.clear();
    r.List("sessions", Need::kOptional, [&](const YAML::Node& n, const std::string& p) {
      std::optional<uint8_t> s = n.IsScalar() ? SessionNumber(n.Scalar()) : std::nullopt;
      if (!s) {
        findings.Error(p, model::MarkOf(n),
                       "a session is default, programming, extended, "
                       "safety or a number 0x01..0x7F");
        return;
      }
      ecu.sessions.push_back(*s);
    });
  }
  if (YAML::Node sim = r.Map("simulation"); sim.IsDefined()) {
    MapReader s(sim, r.Child("simulation"), findings);
    ReadSimulation(s, findings, ecu.simulation);
    s.Finish(MapReader::Unknown::kRefuse);
  }
  r.Finish(MapReader::Unknown::kRefuse);
  for (const DtcSpec& dtc : ecu.dtcs) {
    for (uint16_t did : dtc.snapshot_dids) {
      if (!ecu.FindDid(did)) {
        findings.Error("dtcs", {},
                       fmt::format("DTC {} snapshots DID 0x{:04X}, which is not "
                                   "declared under dids",
                                   uds::DtcCode(dtc.dtc), did));
      }
    }
  }
  if (findings.HasErrors()) return FindingsError(source, findings);
  return ecu;
}

absl::StatusOr<EcuDescription> LoadEcuDescription(const std::string& path) {
  absl::StatusOr<std::string> text = ReadYamlFile(path);
  if (!text.ok()) {
    return absl::NotFoundError(fmt::format("cannot read ECU description {}", path));
  }
  return ParseEcuDescription(*text, path);
}

absl::StatusOr<PhysicalValue> DecodeDid(const DidSpec& did, const Bytes& raw) {
  if (raw.size() != did.length) {
    return absl::InvalidArgumentError(fmt::format("DID 0x{:04X} ({}) is {} bytes, the ECU sent {}",
                                                  did.id, did.name, did.length, raw.size()));
  }
  switch (did.type) {
    case DataType::kAscii: {
      std::string text(raw.begin(), raw.end());
      while (!text.empty() && (text.back() == '\0' || text.back() == ' ')) text.pop_back();
      return PhysicalValue(std::move(text));
    }
    case DataType::kBytes:
      return PhysicalValue(raw);
    default:
      break;
  }
  uint32_t bits = 0;
  for (uint8_t b : raw) bits = bits << 8 | b;
  double number = 0;
  if (did.type == DataType::kFloat32) {
    number = std::bit_cast<float>(bits);
  } else if (IsSigned(did.type)) {
    int shift = 32 - 8 * static_cast<int>(raw.size());
    number = static_cast<int32_t>(bits << shift) >> shift;
  } else {
    number = bits;
  }
  return PhysicalValue(number * did.scale + did.offset);
}

absl::StatusOr<Bytes> EncodeDid(const DidSpec& did, const PhysicalValue& value) {
  auto wrong = [&](std::string_view want) {
    return absl::InvalidArgumentError(fmt::format("DID 0x{:04X} ({}) is {}: give {}", did.id,
                                                  did.name, DataTypeName(did.type), want));
  };
  switch (did.type) {
    case DataType::kAscii: {
      const std::string* text = std::get_if<std::string>(&value);
      if (!text) return wrong("text");
      if (text->size() > did.length) {
        return absl::InvalidArgumentError(
            fmt::format("DID 0x{:04X} ({}) holds {} characters, got {}", did.id, did.name,
                        did.length, text->size()));
      }
      Bytes out(text->begin(), text->end());
      out.resize(did.length, ' ');
      return out;
    }
    case DataType::kBytes: {
      const Bytes* bytes = std::get_if<Bytes>(&value);
      if (!bytes) return wrong("hex bytes");
      if (bytes->size() != did.length) {
        return absl::InvalidArgumentError(fmt::format("DID 0x{:04X} ({}) is {} bytes, got {}",
                                                      did.id, did.name, did.length, bytes->size()));
      }
      return *bytes;
    }
    default:
      break;
  }
  const double* physical = std::get_if<double>(&value);
  if (!physical) return wrong("a number");
  double raw = (*physical - did.offset) / (did.scale == 0 ? 1 : did.scale);
  uint32_t bits = 0;
  if (did.type == DataType::kFloat32) {
    bits = std::bit_cast<uint32_t>(static_cast<float>(raw));
  } else {
    double rounded = std::round(raw);
    int width = 8 * static_cast<int>(did.length);
    double lo = IsSigned(did.type) ? -std::ldexp(1.0, width - 1) : 0;
    double hi = IsSigned(did.type) ? std::ldexp(1.0, width - 1) - 1 : std::ldexp(1.0, width) - 1;
    if (rounded < lo || rounded > hi) {
      return absl::OutOfRangeError(
          fmt::format("{} is out of the range of DID 0x{:04X} ({}): {} .. {}{}", *physical, did.id,
                      did.name, lo * did.scale + did.offset, hi * did.scale + did.offset,
                      did.unit.empty() ? "" : " " + did.unit));
    }
    bits = static_cast<uint32_t>(static_cast<int64_t>(rounded));
  }
  Bytes out(did.length);
  for (size_t i = 0; i < did.length; ++i) {
    out[did.length - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  }
  return out;
}

absl::StatusOr<PhysicalValue> ValueFromText(const DidSpec& did, const std::string& text) {
  if (did.type == DataType::kAscii) return PhysicalValue(text);
  if (did.type == DataType::kBytes) {
    absl::StatusOr<Bytes> bytes = uds::ParseHex(text);
    if (!bytes.ok()) return bytes.status();
    return PhysicalValue(*bytes);
  }
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return PhysicalValue(v);
  } catch (const std::exception&) {
  }
  return absl::InvalidArgumentError(fmt::format("DID 0x{:04X} ({}) is a {}: '{}' is not a number",
                                                did.id, did.name, DataTypeName(did.type), text));
}

}  // namespace pharos::sovd::ecu
