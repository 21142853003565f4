// The service registry without root: registration rules, where a service
// runs, and who hears of a change.
#include <gtest/gtest.h>

#include "callbacks/notifier.h"
#include "core/service_registry.h"
#include "unit/plan_core.h"
#include "unit/test_support.h"

namespace pharos::core {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        core_.controller->Apply(pharos::testing::SeedVehicleYaml(), "apply", false).status.ok());
  }
  pharos::testing::PlanCore core_;
};

TEST_F(RegistryTest, TheSameServiceAgainKeepsItsIdAndKnowsWhereItRuns) {
  auto id = core_.registry->Register("perception-service", "10.2.1.2", 8080, "grpc", {});
  ASSERT_TRUE(id.ok()) << id.status();
  auto again = core_.registry->Register("perception-service", "10.2.1.2", 8080, "grpc", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*id, *again);
  auto row = core_.registry->Get(*id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->location, "perception-pod");
  auto views = core_.registry->List({"grpc", "perception", "", {}});
  ASSERT_TRUE(views.ok());
  ASSERT_EQ(views->size(), 1u);
  EXPECT_EQ((*views)[0].k8s_namespace, "perception");
  EXPECT_TRUE(core_.registry->List({"someip", "", "", {}})->empty());
}

TEST_F(RegistryTest, BadInputIsRefusedWithWhatIsWrong) {
  auto bad_protocol = core_.registry->Register("svc", "10.2.1.2", 8080, "carrier-pigeon", {});
  EXPECT_EQ(bad_protocol.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_protocol.status().message().find("protocol"), std::string::npos);
  EXPECT_EQ(core_.registry->Register("svc", "10.2.1.300", 8080, "grpc", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core_.registry->Register("svc", "-bad-.host", 8080, "grpc", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core_.registry->Register("svc", "10.2.1.2", 70000, "grpc", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core_.registry->Register("", "10.2.1.2", 80, "grpc", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core_.registry->Deregister("svc-unknown").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(core_.registry->UpdateEndpoint("svc-unknown", "10.2.1.3", 80).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(core_.registry->Records()->empty());
}

TEST_F(RegistryTest, ChangesReachTheObserversAndStatusChangesThePiccoloOutbox) {
  int changes = 0;
  auto subscription = core_.registry->changes().Subscribe([&] { ++changes; });
  auto id = core_.registry->Register("brake", "10.2.1.3", 8081, "rest", {{"version", "2"}});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(changes, 1);
  ASSERT_TRUE(core_.registry->SetStatus(*id, kServiceHealthy, "answered").ok());
  ASSERT_TRUE(core_.registry->SetStatus(*id, kServiceHealthy, "answered").ok());  // no change
  auto queued = core_.notifier->outbox().Pending(100);
  ASSERT_TRUE(queued.ok());
  int status_changes = 0;
  for (const auto& e : *queued) status_changes += e.kind == callbacks::kServiceStatusChange;
  EXPECT_EQ(status_changes, 1);
  EXPECT_EQ(changes, 1);  // a health transition is no change of who is registered
  ASSERT_TRUE(core_.registry->Deregister(*id).ok());
  EXPECT_EQ(changes, 2);
  subscription.Reset();
  int before = changes;
  ASSERT_TRUE(core_.registry->Register("brake", "10.2.1.3", 8081, "rest", {}).ok());
  EXPECT_EQ(changes, before);
}

}  // namespace
}  // namespace pharos::core
