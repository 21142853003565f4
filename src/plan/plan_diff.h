// What changes between two plans, object by object, and which components
// that touches. This is what UpdateNetworkConfiguration reports as
// affected_components and what the reconciler will apply.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace pharos::plan {

struct PlanChange {
  enum class Kind { kAdd, kRemove, kModify };
  Kind kind;
  std::string key;        // KeyOf(object)
  std::string component;  // owning component (new one for modifications)
};

struct PlanDiff {
  std::vector<PlanChange> changes;  // sorted by key
  // Components whose objects change, sorted. A component that appears or
  // disappears (its ComponentInfo) is included too.
  std::set<std::string> affected_components;
  bool empty() const { return changes.empty() && affected_components.empty(); }
};

PlanDiff DiffPlans(const Plan& before, const Plan& after);

std::string_view ChangeKindSymbol(PlanChange::Kind k);  // "+", "-", "~"

}  // namespace pharos::plan
