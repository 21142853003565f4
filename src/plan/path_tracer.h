// Follows a destination through the planned routing tables, namespace by
// namespace, the way the kernel's FIB lookups would: longest prefix wins,
// connected subnets win ties. Used to find routing loops before anything
// is applied, and to explain paths in plan mode.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"

namespace pharos::plan {

struct PathHop {
  std::string netns;
  std::string component;
  std::string next;  // "10.2.0.1 via ph-uplink", "connected ph-podbr0", ...
};

struct PathTrace {
  enum class Outcome { kDelivered, kNoRoute, kLoop, kNoHost };
  Outcome outcome = Outcome::kNoRoute;
  std::vector<PathHop> hops;
  std::string detail;  // a sentence a person can act on
};

PathTrace TracePath(const Plan& plan, const std::string& from_netns,
                    Ipv4Address destination);

}  // namespace pharos::plan
