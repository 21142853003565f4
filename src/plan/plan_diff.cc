#include "plan/plan_diff.h"

#include <algorithm>
#include <map>

namespace pharos::plan {
namespace {

template <typename T>
void DiffVector(const std::vector<T>& before, const std::vector<T>& after,
                PlanDiff& diff) {
  std::map<std::string, const T*> old_by_key, new_by_key;
  for (const T& o : before) old_by_key[KeyOf(o)] = &o;
  for (const T& o : after) new_by_key[KeyOf(o)] = &o;
  for (const auto& [key, o] : old_by_key) {
    auto it = new_by_key.find(key);
    if (it == new_by_key.end()) {
      diff.changes.push_back({PlanChange::Kind::kRemove, key, o->component});
      diff.affected_components.insert(o->component);
    } else if (!(*it->second == *o)) {
      diff.changes.push_back({PlanChange::Kind::kModify, key, it->second->component});
      diff.affected_components.insert(it->second->component);
      diff.affected_components.insert(o->component);
    }
  }
  for (const auto& [key, o] : new_by_key) {
    if (!old_by_key.count(key)) {
      diff.changes.push_back({PlanChange::Kind::kAdd, key, o->component});
      diff.affected_components.insert(o->component);
    }
  }
}

}  // namespace

PlanDiff DiffPlans(const Plan& before, const Plan& after) {
  PlanDiff diff;
  DiffVector(before.namespaces, after.namespaces, diff);
  DiffVector(before.bridges, after.bridges, diff);
  DiffVector(before.veths, after.veths, diff);
  DiffVector(before.addresses, after.addresses, diff);
  DiffVector(before.routes, after.routes, diff);
  DiffVector(before.rules, after.rules, diff);
  DiffVector(before.nats, after.nats, diff);
  // Components whose status view changes (e.g. a new neighbour on a bridge).
  std::map<std::string, const ComponentInfo*> old_c, new_c;
  for (const auto& c : before.components) old_c[c.name] = &c;
  for (const auto& c : after.components) new_c[c.name] = &c;
  for (const auto& [name, c] : old_c) {
    auto it = new_c.find(name);
    if (it == new_c.end() || !(*it->second == *c)) diff.affected_components.insert(name);
  }
  for (const auto& [name, c] : new_c) {
    if (!old_c.count(name)) diff.affected_components.insert(name);
  }
  std::sort(diff.changes.begin(), diff.changes.end(),
            [](const PlanChange& a, const PlanChange& b) { return a.key < b.key; });
  return diff;
}

std::string_view ChangeKindSymbol(PlanChange::Kind k) {
  switch (k) {
    case PlanChange::Kind::kAdd:
      return "+";
    case PlanChange::Kind::kRemove:
      return "-";
    case PlanChange::Kind::kModify:
      return "~";
  }
  return "?";
}

}  // namespace pharos::plan
