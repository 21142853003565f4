#include "sovd/ecu/yaml_support.h"

#include <fstream>
#include <sstream>

#include "fmt/format.h"

namespace pharos::sovd {

absl::Status FindingsError(const std::string& source, const model::Findings& findings) {
  std::string message;
  for (const model::Finding& f : findings.items()) {
    if (f.severity != model::Severity::kError) continue;
    if (!message.empty()) message += "\n";
    std::string where = f.mark.line ? fmt::format("{}:{}", source, f.mark.line) : source;
    // MapReader's own descriptions already start with the path.
    bool named = !f.path.empty() && f.description.rfind(f.path, 0) == 0;
    message += f.path.empty() || named ? fmt::format("{}: {}", where, f.description)
                                       : fmt::format("{}: {}: {}", where, f.path, f.description);
  }
  return absl::InvalidArgumentError(message.empty() ? source + ": invalid" : message);
}

absl::StatusOr<YAML::Node> ParseYaml(const std::string& yaml, const std::string& source) {
  try {
    return YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("{}:{}: not YAML: {}", source, e.mark.line + 1, e.msg));
  }
}

absl::StatusOr<std::string> ReadYamlFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<uint64_t> NumberField(model::MapReader& r, model::Findings& findings,
                                    const std::string& key, uint64_t min, uint64_t max,
                                    model::Need need) {
  model::TextField f = r.Text(key, need);
  if (!f.present) return std::nullopt;
  std::optional<uint64_t> v = ecu::ParseNumber(f.value);
  if (!v || *v < min || *v > max) {
    findings.Error(
        f.path, f.mark,
        fmt::format("'{}' is not a number in [{}, {}] (decimal or 0x-hex)", f.value, min, max));
    return std::nullopt;
  }
  return v;
}

void ReadEcuFiles(model::MapReader& r, model::Findings& findings, const std::string& key,
                  const std::filesystem::path& folder, std::vector<std::string>& ecu_errors,
                  const std::function<void(ecu::EcuDescription, const std::string& path,
                                           model::Mark mark)>& add) {
  r.List(key, model::Need::kRequired, [&](const YAML::Node& item, const std::string& path) {
    if (!item.IsScalar()) {
      findings.Error(path, model::MarkOf(item), "an ECU is the path of its description");
      return;
    }
    std::filesystem::path file = item.Scalar();
    if (file.is_relative()) file = folder / file;
    absl::StatusOr<ecu::EcuDescription> ecu = ecu::LoadEcuDescription(file.string());
    if (!ecu.ok()) {
      ecu_errors.push_back(std::string(ecu.status().message()));
      return;
    }
    add(std::move(*ecu), path, model::MarkOf(item));
  });
}

absl::Status AllErrors(const std::string& source, const model::Findings& findings,
                       const std::vector<std::string>& ecu_errors) {
  if (!findings.HasErrors() && ecu_errors.empty()) return absl::OkStatus();
  std::string message =
      findings.HasErrors() ? std::string(FindingsError(source, findings).message()) : "";
  for (const std::string& e : ecu_errors) message += (message.empty() ? "" : "\n") + e;
  return absl::InvalidArgumentError(message);
}

}  // namespace pharos::sovd
