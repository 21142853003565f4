#include "dataplane/plan_backend.h"

#include "plan/plan_diff.h"

namespace pharos::dataplane {

absl::StatusOr<ApplyResult> PlanBackend::Apply(const plan::Plan& desired) {
  std::lock_guard lock(mu_);
  ApplyResult result;
  plan::PlanDiff diff = plan::DiffPlans(applied_.empty() ? plan::Plan{} : applied_.back(), desired);
  result.changed_components = diff.affected_components;
  applied_.push_back(desired);
  return result;
}

absl::StatusOr<std::map<std::string, ComponentObservation>> PlanBackend::Observe(
    const plan::Plan& desired) {
  std::map<std::string, ComponentObservation> out;
  for (const auto& c : desired.components) {
    out[c.name] = {"planned", "plan mode: computed, not applied to the kernel"};
  }
  return out;
}

absl::Status PlanBackend::Teardown() {
  std::lock_guard lock(mu_);
  applied_.push_back(plan::Plan{});
  return absl::OkStatus();
}

size_t PlanBackend::apply_count() const {
  std::lock_guard lock(mu_);
  return applied_.size();
}

plan::Plan PlanBackend::last_applied() const {
  std::lock_guard lock(mu_);
  return applied_.empty() ? plan::Plan{} : applied_.back();
}

}  // namespace pharos::dataplane
