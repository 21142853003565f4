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

}  // namespace pharos::plan
