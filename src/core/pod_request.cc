#include "core/pod_request.h"

#include <yaml-cpp/yaml.h>

#include "common/strings.h"
#include "common/text.h"
#include "model/config_parser.h"
#include "model/validator.h"
#include "model/yaml_limits.h"
#include "model/yaml_reader.h"

namespace pharos::core {
namespace {

std::string FirstError(const model::Findings& findings) {
  for (const auto& f : findings.items()) {
    if (f.severity == model::Severity::kError) {
      return f.path.empty() ? f.description : StrCat(f.path, ": ", f.description);
    }
  }
  return "invalid";
}

// `remove: true` at the top of the pod block (or of `pod:`) is a delete
// intent; `remove: false` or none, a pod to set up. Anything else is
// refused: `remove: 1` must not quietly become a new pod.
absl::StatusOr<bool> IsRemoval(const std::string& network_yaml) {
  if (!model::CheckYamlBounds(network_yaml, model::kRequestFieldBounds).ok()) {
    return false;  // the parser refuses it, with the reason
  }
  try {
    YAML::Node n = YAML::Load(network_yaml);
    if (n.IsMap() && n["pod"] && n["pod"].IsMap()) n = n["pod"];
    if (!n.IsMap() || !n["remove"]) return false;
    const YAML::Node remove = n["remove"];
    // A plain `true` or `false`: "true" in quotes is a string.
    if (remove.IsScalar() && remove.Tag() == "?" &&
        (remove.Scalar() == "true" || remove.Scalar() == "false")) {
      return remove.Scalar() == "true";
    }
    return absl::InvalidArgumentError(
        StrCat("network_yaml: remove must be true or false, not ",
               remove.IsScalar() ? StrCat("'", Shown(remove.Scalar(), 32), "'")
                                 : std::string(model::NodeTypeName(remove))));
  } catch (const std::exception&) {
    return false;  // not YAML: the parser says where
  }
}

// The rules the YAML validator applies to a pod of the vehicle, applied
// to a requested one before it is accepted (the answer is the refusal,
// not a later ERROR completion).
absl::Status CheckRequestedPod(
    const model::PodSpec& pod, const model::Topology& topo, const model::TopologyNode& host,
    const std::string& prefix,
    const std::function<std::string(const std::string&)>& netns_refusal) {
  model::Findings findings;
  model::CheckPodFields(pod, findings);
  model::CheckBridgeName(pod.bridge, prefix, findings);
  if (findings.HasErrors()) {
    return absl::InvalidArgumentError(StrCat("network_yaml: ", FirstError(findings)));
  }
  Ipv4Prefix subnet = pod.subnet.prefix->Normalized();
  if (std::string why = model::UnusableSubnetReason(subnet); !why.empty()) {
    return absl::InvalidArgumentError(
        StrCat("network_yaml: networking.subnet ", subnet.ToString(), " ", why));
  }
  for (const auto& seg : topo.segments) {
    if (!seg.prefix.Overlaps(subnet)) continue;
    if (seg.kind == model::SegmentKind::kPodNet && seg.owner == host.name &&
        seg.prefix.Normalized() == subnet) {
      continue;  // an existing pod bridge of this VM: the pod joins it
    }
    return absl::InvalidArgumentError(StrCat(
        "network_yaml: networking.subnet ", subnet.ToString(), " overlaps ",
        model::SegmentKindName(seg.kind), " ", seg.prefix.ToString(), " (", seg.owner,
        "); a pod subnet is its own bridge inside ", host.name, " or one of its pod subnets"));
  }
  if (pod.netns.present) {
    if (std::string why = netns_refusal(pod.netns.value); !why.empty()) {
      return absl::InvalidArgumentError(
          StrCat("network_yaml: networking.netns ", Shown(pod.netns.value), " ", why));
    }
  }
  return absl::OkStatus();
}

const model::TopologyNode* FindHost(const model::Topology& topo, const model::NodeSpec& node) {
  for (const auto& n : topo.nodes) {
    if (n.kind != model::NodeKind::kVm) continue;
    if (!node.name.empty() && n.name == node.name) return &n;
    if (node.name.empty() && node.ip && n.ip == node.ip) return &n;
  }
  // Pullpiri names the node by hostname but gives its address too.
  if (node.ip) {
    for (const auto& n : topo.nodes) {
      if (n.kind == model::NodeKind::kVm && n.ip == node.ip) return &n;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<PodRequestIntent> ReadPodRequest(const std::string& node_yaml,
                                                const std::string& pod_name,
                                                const std::string& network_yaml,
                                                const model::Topology& topo,
                                                const std::string& interface_prefix,
                                                const NetnsRefusal& netns_refusal) {
  model::ParsedNode node = model::ParseNodeYaml(node_yaml);
  if (node.findings.HasErrors()) {
    return absl::InvalidArgumentError(StrCat("node_yaml: ", FirstError(node.findings)));
  }
  if (pod_name.empty()) return absl::InvalidArgumentError("pod_name is required");
  if (!model::IsValidName(pod_name)) {
    return absl::InvalidArgumentError(
        StrCat("pod_name '", Shown(pod_name), "' (", pod_name.size(),
               " bytes) is not valid: use letters, digits, '-', '_' or '.', starting with a "
               "letter or digit, at most 63"));
  }
  if (topo.nodes.empty()) {
    return absl::FailedPreconditionError(
        "no vehicle configuration is applied yet: pods need a VM to run on");
  }
  PodRequestIntent intent;
  intent.name = pod_name;
  absl::StatusOr<bool> removal = IsRemoval(network_yaml);
  if (!removal.ok()) return removal.status();
  if (*removal) {
    intent.removal = true;
    return intent;
  }
  model::ParsedPod parsed = model::ParsePodNetworkYaml(network_yaml, pod_name);
  if (parsed.findings.HasErrors()) {
    return absl::InvalidArgumentError(StrCat("network_yaml: ", FirstError(parsed.findings)));
  }
  intent.pod = std::move(parsed.pod);
  const model::PodSpec& pod = intent.pod;
  if (!pod.subnet.prefix) {
    return absl::InvalidArgumentError("network_yaml: networking.subnet is required");
  }
  intent.host = FindHost(topo, node.node);
  if (!intent.host) {
    return absl::NotFoundError(
        StrCat("node_yaml names no VM of the applied configuration (name '", Shown(node.node.name),
               "'", node.node.ip ? StrCat(", address ", node.node.ip->ToString()) : "", ")"));
  }
  if (pod.name.value != pod_name) {
    return absl::InvalidArgumentError(StrCat("network_yaml: name '", Shown(pod.name.value),
                                             "' differs from pod_name '", pod_name,
                                             "'; leave it out or give the same name"));
  }
  if (absl::Status bad =
          CheckRequestedPod(pod, topo, *intent.host, interface_prefix, netns_refusal);
      !bad.ok()) {
    return bad;
  }
  intent.subnet = pod.subnet.prefix->Normalized();
  return intent;
}

}  // namespace pharos::core
