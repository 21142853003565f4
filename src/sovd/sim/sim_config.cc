#include "sovd/sim/sim_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "model/yaml_reader.h"
#include "sovd/doip/doip_message.h"
#include "sovd/ecu/yaml_support.h"

namespace pharos::sovd::sim {
namespace {

using model::Findings;
using model::MapReader;
using model::Need;


}  // namespace

absl::StatusOr<SimConfig> ParseSimConfig(const std::string& yaml, const std::string& source) {
  absl::StatusOr<YAML::Node> parsed = ParseYaml(yaml, source);
  if (!parsed.ok()) return parsed.status();
  const YAML::Node& root = *parsed;
  Findings findings;
  SimConfig config;
  if (!model::ExpectMap(root, "", findings)) return FindingsError(source, findings);
  std::filesystem::path folder = std::filesystem::path(source).parent_path();
  std::vector<std::string> ecu_errors;
  MapReader r(root, "", findings);
  r.List("entities", Need::kRequired, [&](const YAML::Node& node, const std::string& path) {
    if (!model::ExpectMap(node, path, findings)) return;
    MapReader e(node, path, findings);
    EntityConfig entity;
    EntityOptions& o = entity.options;
    o.name = e.Name("name", Need::kRequired).value;
    if (auto a = e.Text("address"); a.present) o.address = a.value;
    if (auto p = NumberField(e, findings, "port", 0, 65535)) o.port = *p;
    if (auto l = NumberField(e, findings, "logical_address", 0, 0xFFFF)) o.logical_address = *l;
    if (auto v = e.Text("vin"); v.present) {
      if (v.value.size() != 17) {
        findings.Error(v.path, v.mark,
                       fmt::format("a VIN is 17 characters, '{}' has {}", v.value, v.value.size()));
      }
      o.vin = v.value;
    }
    if (auto m = NumberField(e, findings, "max_sockets", 0, 255)) o.max_sockets = *m;
    if (auto m = NumberField(e, findings, "general_inactivity_ms", 0, 3'600'000)) {
      o.general_inactivity = std::chrono::milliseconds(*m);
    }
    if (YAML::Node tls = e.Map("tls"); tls.IsDefined()) {
      MapReader t(tls, e.Child("tls"), findings);
      o.tls_port = doip::kTlsPort;
      if (auto p = NumberField(t, findings, "port", 0, 65535)) o.tls_port = *p;
      o.tls_cert = t.Text("cert", Need::kRequired).value;
      o.tls_key = t.Text("key", Need::kRequired).value;
      o.tls_ca = t.Text("ca").value;
      for (std::string* f : {&o.tls_cert, &o.tls_key, &o.tls_ca}) {
        if (!f->empty() && std::filesystem::path(*f).is_relative()) *f = (folder / *f).string();
      }
      o.require_tls = t.Bool("require").value_or(false);
      t.Finish(MapReader::Unknown::kRefuse);
    }
    std::set<uint16_t> addresses;
    ReadEcuFiles(e, findings, "ecus", folder, ecu_errors,
                 [&](ecu::EcuDescription ecu, const std::string& item_path, model::Mark mark) {
                   if (!addresses.insert(ecu.logical_address).second) {
                     findings.Error(
                         item_path, mark,
                         fmt::format("two ECUs of entity {} have logical address 0x{:04X}", o.name,
                                     ecu.logical_address));
                   }
                   entity.ecus.push_back(std::move(ecu));
                 });
    e.Finish(MapReader::Unknown::kRefuse);
    config.entities.push_back(std::move(entity));
  });
  r.Finish(MapReader::Unknown::kRefuse);
  if (absl::Status s = AllErrors(source, findings, ecu_errors); !s.ok()) return s;
  return config;
}

absl::StatusOr<SimConfig> LoadSimConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadYamlFile(path);
  if (!text.ok()) return text.status();
  return ParseSimConfig(*text, path);
}

}  // namespace pharos::sovd::sim
