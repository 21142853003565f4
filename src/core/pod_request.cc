#include "core/pod_request.h"

#include <yaml-cpp/yaml.h>

#include "common/strings.h"
#include "common/text.h"
#include "model/config_parser.h"
#include "model/validator.h"
#include "model/yaml_limits.h"
#include "model/yaml_reader.h"
#include "plan/naming.h"

namespace pharos::core {
namespace {

absl::Status CheckPodName(const std::string& pod_name) {
  if (pod_name.empty()) return absl::InvalidArgumentError("pod_name is required");
  if (!model::IsValidName(pod_name)) {
    return absl::InvalidArgumentError(
        StrCat("pod_name '", Shown(pod_name), "' (", pod_name.size(),
               " bytes) is not valid: use letters, digits, '-', '_' or '.', starting with a "
               "letter or digit, at most 63"));
  }
  return absl::OkStatus();
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
    return absl::InvalidArgumentError(StrCat("network_yaml: ", findings.FirstError()));
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

const model::TopologyNode* VmNamed(const model::Topology& topo, const std::string& name) {
  if (name.empty()) return nullptr;
  const model::TopologyNode* n = topo.FindNode(name);
  return n && n->kind == model::NodeKind::kVm ? n : nullptr;
}

const model::TopologyNode* VmAt(const model::Topology& topo, std::optional<Ipv4Address> ip) {
  if (!ip) return nullptr;
  for (const auto& n : topo.nodes) {
    if (n.kind == model::NodeKind::kVm && n.ip == ip) return &n;
  }
  return nullptr;
}

// The spec's form names the VM (its address when the name is unknown);
// Pullpiri's Node artifact names a host, so its address decides, then its
// name, then its hostname.
const model::TopologyNode* FindHost(const model::Topology& topo, const NodeRef& node) {
  if (node.address_first) {
    if (const model::TopologyNode* at = VmAt(topo, node.ip)) return at;
    if (const model::TopologyNode* named = VmNamed(topo, node.name)) return named;
    return VmNamed(topo, node.hostname);
  }
  if (const model::TopologyNode* named = VmNamed(topo, node.name)) return named;
  return VmAt(topo, node.ip);
}

// A pod bridge's name before the prefix: the YAML's, else the planner's
// "podbrN" (plan::Planner names unnamed bridges so).
std::string BridgeBase(const model::Segment& seg) {
  return seg.bridge.empty() ? StrCat("podbr", seg.index_in_owner) : seg.bridge;
}

// The pod bridge of `host` named `bridge`: as the YAML names it, or as
// the kernel does (with the prefix; "podbrN" for unnamed ones).
const model::Segment* FindPodBridge(const model::Topology& topo, const model::TopologyNode& host,
                                    const std::string& bridge, const std::string& prefix) {
  for (const auto& seg : topo.segments) {
    if (seg.kind != model::SegmentKind::kPodNet || seg.owner != host.name) continue;
    std::string base = BridgeBase(seg);
    if (bridge == base || bridge == plan::InterfaceName(prefix, base)) return &seg;
  }
  return nullptr;
}

std::string PodBridgesOf(const model::Topology& topo, const model::TopologyNode& host) {
  std::string out;
  for (const auto& seg : topo.segments) {
    if (seg.kind != model::SegmentKind::kPodNet || seg.owner != host.name) continue;
    StrAppend(&out, out.empty() ? "" : ", ", BridgeBase(seg), " (", seg.prefix.ToString(), ")");
  }
  return out.empty() ? "none" : out;
}

model::PrefixField PrefixOf(const Ipv4Prefix& p, std::string path) {
  model::PrefixField f;
  f.value = p.ToString();
  f.prefix = p;
  f.path = std::move(path);
  f.present = true;
  return f;
}

model::TextField TextOf(std::string value, std::string path) {
  model::TextField f;
  f.value = std::move(value);
  f.path = std::move(path);
  f.present = true;
  return f;
}

// A named network made a pod block: the bridge SetupNetwork built for it,
// else the subnet the mapping gives, else the bridge the artifact names,
// else the VM's first pod subnet.
absl::Status ResolveClaim(PodRequest& request, const model::TopologyNode& host,
                          const model::Topology& topo, const model::PullpiriSpec& mapping,
                          const std::string& prefix) {
  const NetworkClaim& claim = *request.network;
  const model::PullpiriNetworkSpec* mapped = mapping.Find(claim.network);
  std::string net = claim.network.empty() ? "the network" : StrCat("network '", Shown(claim.network), "'");
  if (mapped && mapped->vm.present && mapped->vm.value != host.name) {
    return absl::InvalidArgumentError(
        StrCat(net, " is mapped to ", mapped->vm.value, " (", mapped->vm.path,
               " of the configuration), but node_yaml names ", host.name));
  }
  // A network set up by name (SetupNetwork) is where its pods go.
  const model::Segment* named = nullptr;
  for (const auto& seg : topo.segments) {
    if (seg.kind == model::SegmentKind::kPodNet && !claim.network.empty() &&
        seg.network == claim.network) {
      named = &seg;
    }
  }
  if (named && named->owner != host.name) {
    return absl::InvalidArgumentError(StrCat(net, " is set up on ", named->owner,
                                             " (SetupNetwork), but node_yaml names ", host.name,
                                             ": a pod network is a bridge inside one VM"));
  }
  const model::Segment* bridge = named;
  if (!claim.bridge.empty()) {
    bridge = FindPodBridge(topo, host, claim.bridge, prefix);
    if (!bridge) {
      return absl::InvalidArgumentError(StrCat("network_yaml: bridge '", Shown(claim.bridge),
                                               "' is not a pod bridge of ", host.name,
                                               "; its pod bridges: ", PodBridgesOf(topo, host)));
    }
    if (named && bridge != named) {
      return absl::InvalidArgumentError(
          StrCat("network_yaml: bridge '", Shown(claim.bridge), "' is not the bridge of ", net,
                 " (", named->prefix.ToString(), ", set up by SetupNetwork)"));
    }
  }
  model::PodSpec& pod = request.pod;
  pod = model::PodSpec{};
  pod.path = "network_yaml";
  pod.name = TextOf(request.name, "pod_name");
  pod.networking_type = TextOf("cni", "network_yaml");
  if (named) {
    pod.subnet = PrefixOf(named->prefix.Normalized(), "network_yaml");
  } else if (mapped && mapped->subnet.prefix) {
    Ipv4Prefix subnet = mapped->subnet.prefix->Normalized();
    if (bridge && bridge->prefix.Normalized() != subnet) {
      return absl::InvalidArgumentError(StrCat(
          "network_yaml: bridge '", Shown(claim.bridge), "' is ", bridge->prefix.ToString(),
          ", but ", net, " is mapped to ", subnet.ToString(), " (", mapped->subnet.path, ")"));
    }
    pod.subnet = PrefixOf(subnet, mapped->subnet.path);
  } else if (bridge) {
    pod.subnet = PrefixOf(bridge->prefix.Normalized(), "network_yaml");
  } else if (const model::Segment* first = topo.FirstPodSegmentOf(host.name)) {
    pod.subnet = PrefixOf(first->prefix.Normalized(), "network_yaml");
  }
  if (!pod.subnet.prefix) {
    return absl::FailedPreconditionError(
        StrCat(host.name, " has no pod subnet to give ", net,
               ": map it to one in the configuration's pullpiri.networks (docs/pullpiri.md)"));
  }
  if (bridge && !bridge->bridge.empty()) pod.bridge = TextOf(bridge->bridge, "network_yaml");
  if (!claim.interface.empty()) pod.interface = TextOf(claim.interface, "network_yaml");
  if (mapped) {
    if (mapped->k8s_namespace.present) pod.k8s_namespace = mapped->k8s_namespace;
    pod.services = mapped->services;
  }
  return absl::OkStatus();
}

}  // namespace

std::string UnsupportedNetworkModeReason(std::string_view mode) {
  if (mode.empty() || mode == "bridge") return "";
  if (mode == "host") {
    return "networkMode 'host' needs no network from Pharos: the scenario shares its node's own "
           "namespace; supported: bridge";
  }
  if (mode == "macvlan" || mode == "ipvlan") {
    return StrCat("networkMode '", mode,
                  "' is not supported: it would put the pod on its VM's uplink, outside the VM's "
                  "pod bridge, routes and security policy; supported: bridge");
  }
  if (mode == "overlay") {
    return "networkMode 'overlay' is not supported: pods on different VMs reach each other "
           "through the vehicle's routed backbone, not a tunnel; supported: bridge";
  }
  return StrCat("networkMode '", Shown(mode), "' is unknown; supported: bridge");
}

absl::StatusOr<NodeRef> ReadNodeRef(const std::string& node_yaml) {
  model::ParsedNode node = model::ParseNodeYaml(node_yaml);
  if (node.findings.HasErrors()) {
    return absl::InvalidArgumentError(StrCat("node_yaml: ", node.findings.FirstError()));
  }
  return NodeRef{node.node.name, node.node.ip, node.node.hostname, node.node.pullpiri_artifact};
}

absl::StatusOr<PodRequest> ReadPodRequestText(const std::string& node_yaml,
                                              const std::string& pod_name,
                                              const std::string& network_yaml) {
  PodRequest request;
  absl::StatusOr<NodeRef> node = ReadNodeRef(node_yaml);
  if (!node.ok()) return node.status();
  request.node = std::move(*node);
  if (absl::Status bad = CheckPodName(pod_name); !bad.ok()) return bad;
  request.name = pod_name;
  absl::StatusOr<bool> removal = IsRemoval(network_yaml);
  if (!removal.ok()) return removal.status();
  if (*removal) {
    request.removal = true;
    return request;
  }
  model::ParsedPod parsed = model::ParsePodNetworkYaml(network_yaml, pod_name);
  if (parsed.findings.HasErrors()) {
    return absl::InvalidArgumentError(StrCat("network_yaml: ", parsed.findings.FirstError()));
  }
  request.pod = std::move(parsed.pod);
  if (!request.pod.subnet.prefix) {
    return absl::InvalidArgumentError("network_yaml: networking.subnet is required");
  }
  return request;
}

absl::StatusOr<PodRequestIntent> CheckPodRequest(PodRequest request, const model::Topology& topo,
                                                 const model::PullpiriSpec& mapping,
                                                 const std::string& interface_prefix,
                                                 const NetnsRefusal& netns_refusal) {
  const std::string& pod_name = request.name;
  if (absl::Status bad = CheckPodName(pod_name); !bad.ok()) return bad;
  if (topo.nodes.empty()) {
    return absl::FailedPreconditionError(
        "no vehicle configuration is applied yet: pods need a VM to run on");
  }
  PodRequestIntent intent;
  intent.name = pod_name;
  intent.origin = std::move(request.origin);
  intent.notes = std::move(request.notes);
  if (request.removal) {
    intent.removal = true;
    return intent;
  }
  intent.host = FindHost(topo, request.node);
  if (!intent.host) {
    return absl::NotFoundError(StrCat(
        "node_yaml names no VM of the applied configuration (name '", Shown(request.node.name), "'",
        request.node.ip ? StrCat(", address ", request.node.ip->ToString()) : "", ")"));
  }
  if (request.network) {
    if (absl::Status s = ResolveClaim(request, *intent.host, topo, mapping, interface_prefix);
        !s.ok()) {
      return s;
    }
    intent.network = request.network->network;
  }
  intent.pod = std::move(request.pod);
  const model::PodSpec& pod = intent.pod;
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

absl::StatusOr<PodRequestIntent> ReadPodRequest(const std::string& node_yaml,
                                                const std::string& pod_name,
                                                const std::string& network_yaml,
                                                const model::Topology& topo,
                                                const std::string& interface_prefix,
                                                const NetnsRefusal& netns_refusal) {
  absl::StatusOr<PodRequest> request = ReadPodRequestText(node_yaml, pod_name, network_yaml);
  if (!request.ok()) return request.status();
  return CheckPodRequest(std::move(*request), topo, model::PullpiriSpec{}, interface_prefix,
                         netns_refusal);
}

}  // namespace pharos::core
