#include "core/runtime_pods.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <optional>

#include "model/config_parser.h"

namespace pharos::core {
namespace {

// A stored pod block (a one-item list, as under `pods:`), parsed.
std::optional<model::PodSpec> ParseBlock(const store::RuntimePod& row) {
  std::string block;
  try {
    YAML::Node list = YAML::Load(row.spec_yaml);
    if (!list.IsSequence() || list.size() != 1) return std::nullopt;
    YAML::Emitter out;
    out << list[0];
    block = out.c_str();
  } catch (const std::exception&) {
    return std::nullopt;
  }
  model::ParsedPod parsed = model::ParsePodNetworkYaml(block, row.name);
  if (parsed.findings.HasErrors()) {
    spdlog::error("runtime pod {}: stored block no longer parses: {}", row.name,
                  parsed.findings.ErrorSummary());
    return std::nullopt;
  }
  return parsed.pod;
}

}  // namespace

std::vector<RuntimePodSpec> RuntimePodTable::OverlayPods() {
  std::lock_guard lock(mu_);
  absl::StatusOr<std::vector<store::RuntimePod>> rows = rows_.List();
  if (!rows.ok()) return {};
  std::vector<RuntimePodSpec> out;
  std::map<std::string, ParsedBlock> still_there;
  for (const auto& r : *rows) {
    if (r.state == "removing" || held_.count(r.name)) continue;
    auto cached = parsed_.find(r.name);
    if (cached == parsed_.end() || cached->second.yaml != r.spec_yaml) {
      std::optional<model::PodSpec> pod = ParseBlock(r);
      if (!pod) continue;
      cached = parsed_.insert_or_assign(r.name, ParsedBlock{r.spec_yaml, std::move(*pod)}).first;
    }
    out.push_back({r.soc, r.vm, cached->second.pod});
    still_there.insert(*cached);
  }
  parsed_ = std::move(still_there);
  return out;
}

std::vector<RuntimeNetworkSpec> RuntimePodTable::OverlayNetworks() {
  std::lock_guard lock(mu_);
  absl::StatusOr<std::vector<store::RuntimeNetwork>> rows = networks_.List();
  if (!rows.ok()) return {};
  std::vector<RuntimeNetworkSpec> out;
  for (const auto& r : *rows) {
    std::optional<Ipv4Prefix> subnet = Ipv4Prefix::Parse(r.subnet);
    if (!subnet) continue;
    model::PodNetworkSpec net;
    net.name = r.name;
    net.subnet.value = r.subnet;
    net.subnet.prefix = subnet;
    net.subnet.present = true;
    net.bridge.value = r.bridge;
    net.bridge.present = !r.bridge.empty();
    out.push_back({r.soc, r.vm, std::move(net)});
  }
  return out;
}

}  // namespace pharos::core
