#include "core/runtime_pod_rows.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "common/strings.h"
#include "model/config_parser.h"

namespace pharos::core {
namespace {

std::optional<std::string> Given(const model::TextField& f) {
  return f.present ? std::optional<std::string>(f.value) : std::nullopt;
}

void Set(model::TextField& f, std::string path, const std::optional<std::string>& value) {
  f.path = std::move(path);
  f.present = value.has_value();
  if (value) f.value = *value;
}

// A row written before pods were typed holds its pod block as YAML (a
// one-item list, as under `pods:`). Read only to rewrite such rows.
std::optional<model::PodSpec> LegacyPodSpecOf(const store::RuntimePod& row) {
  std::string block;
  try {
    YAML::Node list = YAML::Load(row.legacy_spec_yaml);
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

store::StoredPodSpec StoredSpecOf(const model::PodSpec& pod) {
  store::StoredPodSpec s;
  s.k8s_namespace = Given(pod.k8s_namespace);
  s.networking_type = pod.networking_type.present ? pod.networking_type.value : "cni";
  s.interface = Given(pod.interface);
  s.bridge = Given(pod.bridge);
  s.netns = Given(pod.netns);
  for (const auto& svc : pod.services) {
    s.services.push_back(
        {svc.name.value, svc.port.number.value_or(0), Given(svc.protocol), Given(svc.kind)});
  }
  return s;
}

std::optional<model::PodSpec> PodSpecOf(const store::RuntimePod& row) {
  if (!row.legacy_spec_yaml.empty()) return LegacyPodSpecOf(row);
  std::optional<Ipv4Prefix> subnet = Ipv4Prefix::Parse(row.subnet);
  std::optional<Ipv4Address> ip = Ipv4Address::Parse(row.ip);
  if (!subnet || !ip) {
    spdlog::error("runtime pod {}: stored lease {} on {} is not an address", row.name, row.ip,
                  row.subnet);
    return std::nullopt;
  }
  const store::StoredPodSpec& s = row.spec;
  model::PodSpec pod;
  Set(pod.name, "name", row.name);
  Set(pod.k8s_namespace, "namespace", s.k8s_namespace);
  Set(pod.networking_type, "networking.type", s.networking_type);
  Set(pod.subnet, "networking.subnet", subnet->ToString());
  pod.subnet.prefix = subnet;
  Set(pod.ip, "networking.ip", ip->ToString());
  pod.ip.address = ip;
  Set(pod.gateway, "networking.gateway", std::nullopt);
  Set(pod.bridge, "networking.bridge", s.bridge);
  Set(pod.interface, "networking.interface", s.interface);
  Set(pod.netns, "networking.netns", s.netns);
  for (size_t i = 0; i < s.services.size(); ++i) {
    const store::StoredService& stored = s.services[i];
    model::ServicePortSpec& svc = pod.services.emplace_back();
    svc.path = StrCat("services[", i, "]");
    Set(svc.name, StrCat(svc.path, ".name"), stored.name);
    Set(svc.port, StrCat(svc.path, ".port"), std::to_string(stored.port));
    svc.port.number = stored.port;
    Set(svc.protocol, StrCat(svc.path, ".protocol"), stored.protocol);
    Set(svc.kind, StrCat(svc.path, ".kind"), stored.kind);
  }
  return pod;
}

}  // namespace pharos::core
