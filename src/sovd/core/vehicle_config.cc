#include "sovd/core/vehicle_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "model/yaml_reader.h"
#include "sovd/doip/byte_stream.h"
#include "sovd/ecu/yaml_support.h"

namespace pharos::sovd::core {
namespace {

using model::Findings;
using model::MapReader;
using model::Need;


void Millis(MapReader& r, Findings& findings, const std::string& key,
            std::chrono::milliseconds& out, uint64_t max = 3'600'000) {
  if (auto v = NumberField(r, findings, key, 0, max)) out = std::chrono::milliseconds(*v);
}

struct Defaults {
  uint16_t tester = 0x0E00;
  std::chrono::milliseconds connect_timeout{2000}, ack_timeout{2000};
};

void ReadEntity(const YAML::Node& node, const std::string& path, Findings& findings,
                const Defaults& defaults, uint16_t tester, const std::filesystem::path& folder,
                std::vector<std::string>& ecu_errors, VehicleSpec& vehicle) {
  if (!model::ExpectMap(node, path, findings)) return;
  MapReader r(node, path, findings);
  transport::ConnectionOptions c;
  c.name = r.Name("name", Need::kRequired).value;
  c.host = r.Text("host", Need::kRequired).value;
  if (auto p = NumberField(r, findings, "port", 1, 65535)) c.port = *p;
  c.tester_address = tester;
  if (YAML::Node tls = r.Map("tls"); tls.IsDefined()) {
    MapReader t(tls, r.Child("tls"), findings);
    if (auto p = NumberField(t, findings, "port", 1, 65535)) c.tls_port = *p;
    c.tls_only = t.Bool("only").value_or(false);
    std::string files[3] = {t.Text("ca").value, t.Text("cert").value, t.Text("key").value};
    for (std::string& f : files) {
      if (!f.empty() && std::filesystem::path(f).is_relative()) f = (folder / f).string();
    }
    t.Finish(MapReader::Unknown::kRefuse);
    auto context = doip::TlsClientContext(files[0], files[1], files[2]);
    if (!context.ok()) {
      findings.Error(r.Child("tls"), t.mark(), std::string(context.status().message()));
    } else {
      c.tls_context = *context;
    }
  }
  c.connect_timeout = defaults.connect_timeout;
  c.ack_timeout = defaults.ack_timeout;
  size_t index = vehicle.entities.size();
  ReadEcuFiles(r, findings, "ecus", folder, ecu_errors,
               [&](ecu::EcuDescription ecu, const std::string& item_path, model::Mark mark) {
                 if (vehicle.FindEcu(ecu.logical_address)) {
                   findings.Error(
                       item_path, mark,
                       fmt::format("vehicle {} has two ECUs with logical address 0x{:04X}",
                                   vehicle.id, ecu.logical_address));
                   return;
                 }
                 vehicle.ecus.push_back({std::move(ecu), index});
               });
  r.Finish(MapReader::Unknown::kRefuse);
  vehicle.entities.push_back(std::move(c));
}

}  // namespace

bool IsUuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (t[i] == '-')) return false;
    if (!dash && !((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f'))) return false;
  }
  return true;
}

const EcuEntry* VehicleSpec::FindEcu(uint16_t address) const {
  for (const EcuEntry& e : ecus) {
    if (e.description.logical_address == address) return &e;
  }
  return nullptr;
}

const VehicleSpec* SovdConfig::FindVehicle(const std::string& id) const {
  for (const VehicleSpec& v : vehicles) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

std::chrono::milliseconds SovdConfig::TimeoutFor(CommandKind kind) const {
  auto it = timeouts.find(kind);
  return it == timeouts.end() ? default_timeout : it->second;
}

absl::StatusOr<SovdConfig> ParseSovdConfig(const std::string& yaml, const std::string& source) {
  absl::StatusOr<YAML::Node> parsed = ParseYaml(yaml, source);
  if (!parsed.ok()) return parsed.status();
  const YAML::Node& root = *parsed;
  Findings findings;
  SovdConfig config;
  if (!model::ExpectMap(root, "", findings)) return FindingsError(source, findings);
  std::filesystem::path folder = std::filesystem::path(source).parent_path();
  std::vector<std::string> ecu_errors;
  MapReader r(root, "", findings);
  Defaults defaults;
  if (auto t = NumberField(r, findings, "tester_address", 0x0E00, 0x0FFF)) defaults.tester = *t;
  if (YAML::Node node = r.Map("timeouts"); node.IsDefined()) {
    MapReader t(node, "timeouts", findings);
    Millis(t, findings, "default_ms", config.default_timeout);
    Millis(t, findings, "tester_present_ms", config.tester_present_interval, 60'000);
    if (YAML::Node commands = t.Map("commands"); commands.IsDefined()) {
      for (auto it = commands.begin(); it != commands.end(); ++it) {
        std::string name = it->first.Scalar();
        std::string path = "timeouts.commands." + name;
        std::optional<CommandKind> kind = CommandByName(name);
        std::optional<uint64_t> ms =
            it->second.IsScalar() ? ecu::ParseNumber(it->second.Scalar()) : std::nullopt;
        if (!kind) {
          findings.Error(path, model::MarkOf(it->first),
                         fmt::format("no command {}: {}", name, KnownCommandNames()));
        } else if (!ms || *ms == 0 || *ms > 3'600'000) {
          findings.Error(path, model::MarkOf(it->second),
                         "a command timeout is milliseconds, 1..3600000");
        } else {
          config.timeouts[*kind] = std::chrono::milliseconds(*ms);
        }
      }
    }
    t.Finish(MapReader::Unknown::kRefuse);
  }
  if (YAML::Node node = r.Map("uds"); node.IsDefined()) {
    MapReader u(node, "uds", findings);
    Millis(u, findings, "p2_ms", config.uds.p2);
    Millis(u, findings, "p2_star_ms", config.uds.p2_star);
    if (auto v = NumberField(u, findings, "busy_retries", 0, 100)) config.uds.busy_retries = *v;
    Millis(u, findings, "busy_delay_ms", config.uds.busy_delay);
    if (auto v = NumberField(u, findings, "unavailable_retries", 0, 100)) {
      config.uds.unavailable_retries = *v;
    }
    Millis(u, findings, "unavailable_delay_ms", config.uds.unavailable_delay);
    u.Finish(MapReader::Unknown::kRefuse);
  }
  if (YAML::Node node = r.Map("doip"); node.IsDefined()) {
    MapReader d(node, "doip", findings);
    Millis(d, findings, "connect_timeout_ms", defaults.connect_timeout);
    Millis(d, findings, "ack_timeout_ms", defaults.ack_timeout);
    d.Finish(MapReader::Unknown::kRefuse);
  }
  std::set<std::string> ids;
  r.List("vehicles", Need::kRequired, [&](const YAML::Node& node, const std::string& path) {
    if (!model::ExpectMap(node, path, findings)) return;
    MapReader v(node, path, findings);
    VehicleSpec vehicle;
    model::TextField id = v.Text("id", Need::kRequired);
    if (id.present && !IsUuid(id.value)) {
      findings.Error(id.path, id.mark,
                     fmt::format("'{}' is not a UUID (lowercase, with hyphens, as "
                                 "550e8400-e29b-41d4-a716-446655440000)",
                                 id.value));
    } else if (id.present && !ids.insert(id.value).second) {
      findings.Error(id.path, id.mark, fmt::format("vehicle {} is declared twice", id.value));
    }
    vehicle.id = id.value;
    vehicle.name = v.Text("name").value;
    uint16_t tester = defaults.tester;
    if (auto t = NumberField(v, findings, "tester_address", 0x0E00, 0x0FFF)) tester = *t;
    bool has_obd = node["obd"].IsDefined();
    v.List("entities", has_obd ? Need::kOptional : Need::kRequired,
           [&](const YAML::Node& e, const std::string& p) {
             ReadEntity(e, p, findings, defaults, tester, folder, ecu_errors, vehicle);
           });
    if (YAML::Node obd = v.Map("obd"); obd.IsDefined()) {
      MapReader o(obd, v.Child("obd"), findings);
      model::TextField broker = o.Text("broker", Need::kRequired);
      if (broker.present && broker.value.rfind(':') == std::string::npos) {
        findings.Error(broker.path, broker.mark,
                       fmt::format("'{}' is not host:port (pharos-broker's kuksa.val.v2 address)",
                                   broker.value));
      }
      vehicle.obd_broker = broker.value;
      vehicle.obd_token_file = o.Text("token_file").value;
      ReadEcuFiles(o, findings, "ecus", folder, ecu_errors,
                   [&](ecu::EcuDescription ecu, const std::string& item_path, model::Mark mark) {
                     if (vehicle.FindEcu(ecu.logical_address)) {
                       findings.Error(item_path, mark,
                                      fmt::format("vehicle {} has two ECUs with logical address "
                                                  "0x{:04X}",
                                                  vehicle.id, ecu.logical_address));
                       return;
                     }
                     for (const ecu::DidSpec& did : ecu.dids) {
                       if (did.vss.empty()) {
                         findings.Error(item_path, mark,
                                        fmt::format("OBD ECU {}: DID 0x{:04X} ({}) names no vss "
                                                    "signal to read it from",
                                                    ecu.name, did.id, did.name));
                       }
                     }
                     vehicle.ecus.push_back({std::move(ecu), 0, true});
                   });
      o.Finish(MapReader::Unknown::kRefuse);
    }
    v.Finish(MapReader::Unknown::kRefuse);
    config.vehicles.push_back(std::move(vehicle));
  });
  r.Finish(MapReader::Unknown::kRefuse);
  if (absl::Status s = AllErrors(source, findings, ecu_errors); !s.ok()) return s;
  return config;
}

absl::StatusOr<SovdConfig> LoadSovdConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadYamlFile(path);
  if (!text.ok()) return text.status();
  return ParseSovdConfig(*text, path);
}

}  // namespace pharos::sovd::core
