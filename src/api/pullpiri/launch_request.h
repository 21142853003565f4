// Eclipse Pullpiri's RequestNetworkPod, read the way its action controller
// sends it on a "launch": node_yaml is the Node artifact, pod_name the
// scenario's name, networkYamls the Network artifact, each verbatim from
// etcd. Pullpiri's Network artifact names a network and leaves addressing
// to Pharos, so it becomes a pod request with a NetworkClaim that the core
// resolves against the vehicle's `pullpiri:` mapping (docs/pullpiri.md).
// Pure: unit-tested and fuzzed alone.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/pod_request.h"

namespace pharos::api::pullpiri {

// True when `network_yaml` is a Pullpiri artifact (`kind: Network`), in any
// of its shapes; false for Pharos's own pod block.
bool IsNetworkArtifact(std::string_view network_yaml);

// The pod a scenario is. Its own name when Pharos takes it as a pod name;
// otherwise the name with every other character made '-', cut, and 8 hex
// digits of a hash of the whole name appended, so that two scenarios never
// share a pod and the same scenario always gets the same one.
std::string PodNameForScenario(std::string_view scenario);

// The launch as a pod request: InvalidArgument for a document that is not
// a Network artifact Pharos can build (an unsupported networkMode names the
// supported ones). Unknown fields and what was mapped become the request's
// notes, which every completion repeats.
absl::StatusOr<core::PodRequest> ReadLaunch(const std::string& node_yaml,
                                            const std::string& scenario,
                                            const std::string& network_yaml);

}  // namespace pharos::api::pullpiri
