// RequestNetworkPod's three text fields, read and checked before anything
// is stored: the YAML validator's rules for one pod (name, fields, bridge,
// subnet ranges), against the applied vehicle (its VM, no overlap with
// another network, a runtime namespace that may be attached). Pure (the
// namespace judge is passed in), so it is unit-tested and fuzzed alone;
// PodManager takes what it returns.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/ipv4.h"
#include "model/topology.h"
#include "model/vehicle.h"

namespace pharos::core {

struct PodRequestIntent {
  std::string name;
  bool removal = false;  // `remove: true`; the rest is unset then
  model::PodSpec pod;
  const model::TopologyNode* host = nullptr;  // the VM, inside the topology given
  Ipv4Prefix subnet;                          // normalised
};

// Why a runtime's namespace at `path` may not be attached ("" if it may).
using NetnsRefusal = std::function<std::string(const std::string& path)>;

// InvalidArgument (the text), NotFound (no such VM), FailedPrecondition
// (nothing applied yet); every message bounded and free of control
// characters, whatever was sent.
absl::StatusOr<PodRequestIntent> ReadPodRequest(const std::string& node_yaml,
                                                const std::string& pod_name,
                                                const std::string& network_yaml,
                                                const model::Topology& topo,
                                                const std::string& interface_prefix,
                                                const NetnsRefusal& netns_refusal);

}  // namespace pharos::core
