// `plan` mode: records the plan it is asked to apply and touches nothing.
// Used for dry runs, unprivileged use, and as the backend of unit tests.
#pragma once

#include <mutex>
#include <vector>

#include "dataplane/backend.h"

namespace pharos::dataplane {

class PlanBackend : public DataplaneBackend {
 public:
  DataplaneMode mode() const override { return DataplaneMode::kPlan; }
  absl::StatusOr<ApplyResult> Apply(const plan::Plan& desired) override;
  absl::StatusOr<std::map<std::string, ComponentObservation>> Observe(
      const plan::Plan& desired) override;
  absl::Status Teardown() override;

  // What was applied so far (tests and `pharosctl` inspection).
  size_t apply_count() const;
  plan::Plan last_applied() const;

 private:
  mutable std::mutex mu_;
  std::vector<plan::Plan> applied_;
};

}  // namespace pharos::dataplane
