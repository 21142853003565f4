#include "api/pullpiri/launch_request.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>

#include "common/strings.h"
#include "common/text.h"
#include "model/config_parser.h"
#include "model/validator.h"
#include "model/yaml_limits.h"
#include "model/yaml_reader.h"

namespace pharos::api::pullpiri {
namespace {

constexpr size_t kMappedStem = 54;  // + '-' + 8 hex digits = 63

uint32_t Fnv1a(std::string_view text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

bool Alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// What Pharos does not read of the artifact, as notes (MapReader's
// warnings: "unknown field ... ignored").
void NotesFromWarnings(const model::Findings& findings, std::vector<std::string>& notes) {
  for (const auto& f : findings.items()) {
    if (f.severity != model::Severity::kWarning) continue;
    notes.push_back(f.path.empty() ? f.description : StrCat(f.path, ": ", f.description));
  }
}

struct Artifact {
  std::string name;       // metadata.name
  std::string network;    // spec.networkName, else metadata.name
  std::string mode;       // spec.networkMode ("" → bridge)
  std::string interface;  // spec.interfaces[0].name
  std::string bridge;     // spec.interfaces[0].bridge
  size_t interfaces = 0;
};

absl::StatusOr<Artifact> ReadArtifact(const std::string& text, std::vector<std::string>& notes) {
  if (absl::Status bounded = model::CheckYamlBounds(text, model::kRequestFieldBounds);
      !bounded.ok()) {
    return absl::InvalidArgumentError(StrCat("network_yaml: ", bounded.message()));
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat("network_yaml: not valid YAML at line ", e.mark.line + 1, ": ", Shown(e.msg)));
  }
  model::Findings f;
  Artifact a;
  if (!model::ExpectMap(root, "", f)) {
    return absl::InvalidArgumentError(StrCat("network_yaml: ", f.FirstError()));
  }
  model::MapReader r(root, "", f);
  model::TextField kind = r.Text("kind", model::Need::kRequired);
  if (kind.present && kind.value != "Network") {
    return absl::InvalidArgumentError(
        StrCat("network_yaml: kind '", Shown(kind.value), "' is not a Pullpiri Network artifact"));
  }
  r.Text("apiVersion");
  YAML::Node meta = r.Map("metadata", model::Need::kRequired);
  if (meta.IsDefined()) {
    model::MapReader m(meta, "metadata", f);
    a.name = m.Text("name", model::Need::kRequired).value;
    // Pullpiri's own metadata fields: read by Pullpiri, not by Pharos.
    m.Allow({"label", "labels", "annotations", "namespace"});
    m.Finish();
  }
  YAML::Node spec = r.Raw("spec");
  if (spec.IsDefined() && !spec.IsNull() && model::ExpectMap(spec, "spec", f)) {
    model::MapReader s(spec, "spec", f);
    a.network = s.Text("networkName").value;
    a.mode = s.Text("networkMode").value;
    s.List("interfaces", model::Need::kOptional,
           [&](const YAML::Node& item, const std::string& path) {
             if (!model::ExpectMap(item, path, f)) return;
             model::MapReader i(item, path, f);
             model::TextField name = i.Text("name");
             model::TextField bridge = i.Text("bridge");
             i.Finish();
             if (a.interfaces++ == 0) {
               a.interface = name.value;
               a.bridge = bridge.value;
             }
           });
    s.Finish();
  }
  r.Finish();
  if (f.HasErrors()) return absl::InvalidArgumentError(StrCat("network_yaml: ", f.FirstError()));
  NotesFromWarnings(f, notes);
  if (a.network.empty()) a.network = a.name;
  if (a.interfaces > 1) {
    notes.push_back(StrCat("spec.interfaces: ", a.interfaces,
                           " given, the first is built (a pod has one interface)"));
  }
  return a;
}

}  // namespace

bool IsNetworkArtifact(std::string_view network_yaml) {
  if (!model::CheckYamlBounds(network_yaml, model::kRequestFieldBounds).ok()) return false;
  try {
    YAML::Node root = YAML::Load(std::string(network_yaml));
    return root.IsMap() && root["kind"] && root["kind"].IsScalar() &&
           root["kind"].Scalar() == "Network";
  } catch (const std::exception&) {
    return false;
  }
}

std::string PodNameForScenario(std::string_view scenario) {
  if (model::IsValidName(scenario)) return std::string(scenario);
  std::string stem;
  for (char c : scenario) {
    if (stem.size() >= kMappedStem) break;
    bool ok = Alnum(c) || c == '-' || c == '_' || c == '.';
    if (stem.empty() && !Alnum(c)) continue;  // a name starts with a letter or digit
    stem += ok ? c : '-';
  }
  if (stem.empty()) stem = "scenario";
  char hash[9];
  std::snprintf(hash, sizeof hash, "%08x", Fnv1a(scenario));
  return StrCat(stem, "-", hash);
}

absl::StatusOr<core::PodRequest> ReadLaunch(const std::string& node_yaml,
                                            const std::string& scenario,
                                            const std::string& network_yaml) {
  absl::StatusOr<core::NodeRef> node = core::ReadNodeRef(node_yaml);
  if (!node.ok()) return node.status();
  if (scenario.empty()) {
    return absl::InvalidArgumentError("pod_name (the scenario's name) is required");
  }
  core::PodRequest request;
  request.node = std::move(*node);
  absl::StatusOr<Artifact> artifact = ReadArtifact(network_yaml, request.notes);
  if (!artifact.ok()) return artifact.status();
  if (std::string why = core::UnsupportedNetworkModeReason(artifact->mode); !why.empty()) {
    return absl::InvalidArgumentError(StrCat("network_yaml: spec.", why));
  }
  request.name = PodNameForScenario(scenario);
  request.origin =
      StrCat("Pullpiri scenario '", Shown(scenario), "'",
             artifact->network.empty() ? "" : StrCat(", network '", Shown(artifact->network), "'"));
  if (request.name != scenario) {
    request.notes.insert(request.notes.begin(),
                         StrCat("scenario '", Shown(scenario), "' is pod '", request.name,
                                "' (a pod name is letters, digits, '-', '_' or '.', at most 63)"));
  }
  request.network = core::NetworkClaim{artifact->network, artifact->interface, artifact->bridge};
  return request;
}

}  // namespace pharos::api::pullpiri
