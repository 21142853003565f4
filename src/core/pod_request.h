// A pod request, typed: which VM, which pod, and either a pod block or a
// network named by an orchestrator (Pullpiri's Network artifact, whose
// addressing the applied vehicle decides). Checked here before anything is
// stored: the YAML validator's rules for one pod (name, fields, bridge,
// subnet ranges), against the applied vehicle (its VM, no overlap with
// another network, a runtime namespace that may be attached). Pure (the
// namespace judge is passed in), so it is unit-tested and fuzzed alone;
// PodManager takes what it returns.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ipv4.h"
#include "model/topology.h"
#include "model/vehicle.h"

namespace pharos::core {

// The VM a request names: by name, by address, or both (Pullpiri's Node
// artifact gives its host's name, hostname and address).
struct NodeRef {
  std::string name;
  std::optional<Ipv4Address> ip;
  std::string hostname;
  bool address_first = false;  // Pullpiri's: the address decides, then the names
};

// A network asked for by name, not by subnet: the vehicle's `pullpiri:`
// mapping (or the VM's first pod subnet) says where it is.
struct NetworkClaim {
  std::string network;    // its name ("" when the artifact gives none)
  std::string interface;  // the pod's interface ("" → eth0)
  std::string bridge;     // a pod bridge of the VM it must join ("" → any)
};

struct PodRequest {
  NodeRef node;
  std::string name;  // the pod's
  bool removal = false;
  model::PodSpec pod;                   // the pod block, unless `removal` or `network`
  std::optional<NetworkClaim> network;  // instead of a pod block
  std::string origin;                   // who asked, in words ("" for a plain request)
  std::vector<std::string> notes;       // for the completion's details
};

struct PodRequestIntent {
  std::string name;
  bool removal = false;  // the rest is unset then
  model::PodSpec pod;
  const model::TopologyNode* host = nullptr;  // the VM, inside the topology given
  Ipv4Prefix subnet;                          // normalised
  std::string origin;
  std::vector<std::string> notes;
  std::string network;  // the named network it joins ("" for a pod block)
};

// "" when Pharos builds networks of `mode` (Pullpiri's vocabulary: bridge,
// host, macvlan, ipvlan, overlay; "" means bridge), else why not, naming
// what is supported.
std::string UnsupportedNetworkModeReason(std::string_view mode);

// Why a runtime's namespace at `path` may not be attached ("" if it may).
using NetnsRefusal = std::function<std::string(const std::string& path)>;

// RequestNetworkPod's three text fields (node YAML, pod name, pod block or
// `remove: true`) read into a request; InvalidArgument says which field.
absl::StatusOr<PodRequest> ReadPodRequestText(const std::string& node_yaml,
                                              const std::string& pod_name,
                                              const std::string& network_yaml);
// node_yaml alone (the spec's form or Pullpiri's Node artifact).
absl::StatusOr<NodeRef> ReadNodeRef(const std::string& node_yaml);

// `request` against the applied vehicle `topo` and its Pullpiri mapping:
// InvalidArgument (the request), NotFound (no such VM), FailedPrecondition
// (nothing applied yet, no subnet to give a named network); every message
// bounded and free of control characters, whatever was sent.
absl::StatusOr<PodRequestIntent> CheckPodRequest(PodRequest request, const model::Topology& topo,
                                                 const model::PullpiriSpec& mapping,
                                                 const std::string& interface_prefix,
                                                 const NetnsRefusal& netns_refusal);

// Both: the texts read, then checked (no Pullpiri mapping).
absl::StatusOr<PodRequestIntent> ReadPodRequest(const std::string& node_yaml,
                                                const std::string& pod_name,
                                                const std::string& network_yaml,
                                                const model::Topology& topo,
                                                const std::string& interface_prefix,
                                                const NetnsRefusal& netns_refusal);

}  // namespace pharos::core
