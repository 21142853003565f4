// Model -> Plan. The planner is pure: no I/O, no clock, no randomness, so
// the same YAML always plans the same network (and diffs are meaningful).
#pragma once

#include "model/config_parser.h"
#include "model/topology.h"
#include "plan/plan.h"

namespace pharos::plan {

struct PlannerOptions {
  std::string interface_prefix = "ph-";
};

// Plans `vehicle` (already validated without errors). Plan-level problems
// (interface name collisions, routing loops, routes with no effect) are
// added to `findings`.
Plan BuildPlan(const model::VehicleSpec& vehicle, const model::Topology& topology,
               const PlannerOptions& options, model::Findings& findings);

// The objects BuildPlan makes for pod `pod` of `topology` and nothing else:
// its namespace, link, address, derived and configured routes and rules,
// and its component (the bridge component's member list is the caller's).
// For adding a pod to an applied plan without planning the vehicle again;
// the pod must be on a segment that exists without it. A pod is a leaf
// that does not forward, so it cannot make a routing loop: no loop check.
Plan PlanPodObjects(const model::VehicleSpec& vehicle, const model::Topology& topology,
                    const model::TopologyNode& pod, const PlannerOptions& options);
// The bridge component's name BuildPlan gives segment `segment`.
std::string BridgeComponentOf(const model::Segment& segment, const std::string& interface_prefix);

}  // namespace pharos::plan
