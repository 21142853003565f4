// The diagnostics use cases without a kernel: what they refuse, and why.
#include "core/diagnostics.h"

#include <gtest/gtest.h>

#include "unit/plan_core.h"
#include "unit/test_support.h"

namespace pharos::core {
namespace {

class DiagnosticsTest : public ::testing::Test {
 protected:
  pharos::testing::PlanCore core_;
};

TEST_F(DiagnosticsTest, WithoutAKernelTestsAndRoutesSaySoAndNameTheFlag) {
  ASSERT_TRUE(
      core_.controller->Apply(pharos::testing::SeedVehicleYaml(), "apply", false).status.ok());
  auto probe = core_.diagnostics->TestConnectivity({"perception-pod", "control-pod", "icmp", 0, 0});
  EXPECT_EQ(probe.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(probe.status().message().find("--dataplane=plan"), std::string::npos) << probe.status();
  EXPECT_EQ(core_.diagnostics->RouteInfo("perception-pod", "soc2").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(core_.diagnostics->Metrics("", 0).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pharos::core
