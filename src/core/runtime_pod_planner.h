// Incremental planning of the pods requested at run time: a pod that comes
// or goes on a pod subnet the vehicle already has changes the applied plan
// and topology by that pod's objects alone (its namespace or runtime
// namespace, link, address, routes, component, bridge membership),
// checked against the vehicle's invariants, without validating and
// planning the whole vehicle again. So a pod costs the same on a vehicle of
// 10 pods and of 2,000. What it does not handle (a pod on a new subnet or
// bridge, a network set up or removed, the last pod of a subnet only
// runtime pods made) it says so, and the controller plans in full; a
// configuration version is always planned in full.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/runtime_pod_overlay.h"
#include "model/topology.h"
#include "plan/plan.h"

namespace pharos::core {

// Equal fingerprints, equal planned objects.
std::string RuntimePodFingerprint(const RuntimePodSpec& pod);

struct RuntimePodChange {
  std::vector<std::string> removed;           // by name
  std::vector<const RuntimePodSpec*> added;   // in request order
  bool empty() const { return removed.empty() && added.empty(); }
};

// What turns `applied` into `wanted` (a changed pod is removed and added).
RuntimePodChange DiffRuntimePods(const AppliedRuntimePods& applied,
                                 const std::vector<RuntimePodSpec>& wanted);

struct IncrementalPodOptions {
  std::string interface_prefix = "ph-";
  size_t max_pods = 8192;
  // The configuration's own topology (without runtime pods): its segments
  // stay whatever pods leave.
  const model::Topology* declarative = nullptr;
};

// Linux bridges take at most this many ports (BR_MAX_PORTS).
inline constexpr size_t kMaxBridgePorts = 1024;

// Applies `change` to `topology` and `plan` (the applied ones). true: done,
// and `touched` (optional) says what of the plan changed;
// false: not a change this planner makes (nothing was touched: plan in
// full); an error: a pod breaks an invariant of the vehicle (nothing was
// touched), FailedPrecondition naming the pod and why.
absl::StatusOr<bool> PlanRuntimePodChange(const model::VehicleSpec& vehicle,
                                          const RuntimePodChange& change,
                                          const IncrementalPodOptions& options,
                                          model::Topology& topology, plan::Plan& plan,
                                          plan::ChangedParts* touched = nullptr);

}  // namespace pharos::core
