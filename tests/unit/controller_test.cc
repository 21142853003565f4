#include "core/config_controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "dataplane/plan_backend.h"
#include "unit/test_support.h"

namespace pharos::core {
namespace {

using pharos::testing::Replace;
using pharos::testing::SeedVehicleYaml;

// A backend that fails on demand, to check nothing is stored on failure.
class FlakyBackend : public dataplane::PlanBackend {
 public:
  bool fail_next = false;
  absl::StatusOr<dataplane::ApplyResult> Apply(const plan::Plan& desired) override {
    if (fail_next) {
      fail_next = false;
      return absl::InternalError("injected failure");
    }
    return PlanBackend::Apply(desired);
  }
};

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::Database::Open(":memory:");
    ASSERT_TRUE(db.ok());
    auto s = store::ConfigStore::Open(std::move(*db), clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    controller_ = std::make_unique<ConfigController>(*store_, backend_, ControllerOptions{});
  }

  ManualClock clock_;
  FlakyBackend backend_;
  std::unique_ptr<store::ConfigStore> store_;
  std::unique_ptr<ConfigController> controller_;
};

std::string WithExtraPod() { return pharos::testing::SeedWithPlanningPod(true); }

TEST_F(ControllerTest, ApplyCreatesVersionsAndDedupes) {
  ChangeOutcome a = controller_->Apply(SeedVehicleYaml(), "apply", false);
  ASSERT_TRUE(a.status.ok()) << a.message;
  EXPECT_EQ(a.version_id, 1);
  EXPECT_TRUE(a.created);
  EXPECT_EQ(backend_.apply_count(), 1u);

  // Same content (even reformatted, with a comment) -> no new version.
  ChangeOutcome again = controller_->Apply("# same\n" + SeedVehicleYaml(), "apply", false);
  ASSERT_TRUE(again.status.ok());
  EXPECT_EQ(again.version_id, 1);
  EXPECT_FALSE(again.created);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(store_->List()->size(), 1u);

  ChangeOutcome b = controller_->Apply(WithExtraPod(), "apply", false);
  ASSERT_TRUE(b.status.ok()) << b.message;
  EXPECT_EQ(b.version_id, 2);
  EXPECT_EQ(b.affected_components,
            (std::vector<std::string>{"planning-pod", "vm1/ph-podbr0"}));
}

TEST_F(ControllerTest, InvalidConfigChangesNothing) {
  ASSERT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
  ChangeOutcome bad = controller_->Apply(Replace(SeedVehicleYaml(), "\"10.2.0.10\"", "\"10.9.0.10\""),
                                         "apply", false);
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message.find("outside its subnet"), std::string::npos) << bad.message;
  EXPECT_TRUE(bad.findings.HasErrors());
  EXPECT_EQ((*store_->Current())->id, 1);
  EXPECT_EQ(backend_.apply_count(), 1u);
}

TEST_F(ControllerTest, DryRunChangesNothing) {
  ChangeOutcome d = controller_->Apply(SeedVehicleYaml(), "apply", true);
  ASSERT_TRUE(d.status.ok());
  EXPECT_FALSE(store_->Current()->has_value());
  EXPECT_EQ(backend_.apply_count(), 0u);
  EXPECT_FALSE(d.affected_components.empty());
}

TEST_F(ControllerTest, ACallerThatWentAwayChangesNothing) {
  ASSERT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
  int asked = 0;
  auto gone = [&] {
    ++asked;
    return true;
  };
  ChangeOutcome a = controller_->Apply(WithExtraPod(), "apply", false, gone);
  EXPECT_EQ(a.status.code(), absl::StatusCode::kDeadlineExceeded) << a.message;
  ChangeOutcome u = controller_->Update(WithExtraPod(), true, gone);
  EXPECT_EQ(u.status.code(), absl::StatusCode::kDeadlineExceeded) << u.message;
  EXPECT_EQ(asked, 2);
  EXPECT_EQ((*store_->Current())->id, 1);
  EXPECT_EQ(backend_.apply_count(), 1u);
  // A refusal is answered before the question is even asked.
  ChangeOutcome bad = controller_->Apply("vehicle: [", "apply", false, gone);
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(asked, 2);
}

TEST_F(ControllerTest, BackendFailureStoresNothing) {
  backend_.fail_next = true;
  ChangeOutcome a = controller_->Apply(SeedVehicleYaml(), "apply", false);
  EXPECT_EQ(a.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(store_->Current()->has_value());
}

TEST_F(ControllerTest, RollbackToPreviousAndToTarget) {
  ASSERT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
  ASSERT_TRUE(controller_->Apply(WithExtraPod(), "apply", false).status.ok());
  ChangeOutcome r = controller_->Rollback("");
  ASSERT_TRUE(r.status.ok()) << r.message;
  EXPECT_EQ(r.version_id, 1);
  EXPECT_TRUE(std::count(r.affected_components.begin(), r.affected_components.end(),
                         "planning-pod"));
  EXPECT_EQ(backend_.last_applied().namespaces.size(), 6u);
  r = controller_->Rollback("");
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  r = controller_->Rollback("2");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.version_id, 2);
  EXPECT_EQ(controller_->Rollback("7").status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(controller_->Rollback("abc").status.code(), absl::StatusCode::kNotFound);
}

TEST_F(ControllerTest, IncrementalUpdateMergesAndRemovesByName) {
  ASSERT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
  ChangeOutcome u = controller_->Update(R"(vehicle:
  socs:
    - name: soc1
      vms:
        - name: vm1
          pods:
            - name: control-pod
              remove: true
            - name: planning-pod
              namespace: planning
              networking:
                type: cni
                subnet: "10.2.1.0/24"
)", true);
  ASSERT_TRUE(u.status.ok()) << u.message << pharos::testing::Dump(u.findings);
  EXPECT_EQ(u.version_id, 2);
  EXPECT_TRUE(std::count(u.affected_components.begin(), u.affected_components.end(), "control-pod"));
  EXPECT_TRUE(std::count(u.affected_components.begin(), u.affected_components.end(), "planning-pod"));
  EXPECT_FALSE(std::count(u.affected_components.begin(), u.affected_components.end(), "soc2"));
  auto status = controller_->Status("pod");
  ASSERT_TRUE(status.ok());
  std::vector<std::string> pods;
  for (const auto& c : *status) pods.push_back(c.name);
  EXPECT_EQ(pods, (std::vector<std::string>{"perception-pod", "planning-pod"}));
}

TEST_F(ControllerTest, ReplacingUpdateReplaces) {
  ASSERT_TRUE(controller_->Apply(WithExtraPod(), "apply", false).status.ok());
  ChangeOutcome u = controller_->Update(SeedVehicleYaml(), false);
  ASSERT_TRUE(u.status.ok());
  EXPECT_EQ(u.affected_components,
            (std::vector<std::string>{"planning-pod", "vm1/ph-podbr0"}));
}

TEST_F(ControllerTest, StatusFiltersByTypeNameAndGlob) {
  ASSERT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
  auto all = controller_->Status("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 9u);  // vehicle, 2 socs, vm, 2 pods, 3 bridges
  for (const auto& c : *all) EXPECT_EQ(c.status, "planned");
  auto socs = controller_->Status("soc");
  EXPECT_EQ(socs->size(), 2u);
  auto one = controller_->Status("control-pod");
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].ip_address, "10.2.1.3");
  EXPECT_EQ((*one)[0].connected_to, (std::vector<std::string>{"vm1/ph-podbr0"}));
  EXPECT_EQ(controller_->Status("*-pod")->size(), 2u);
  EXPECT_EQ(controller_->Status("bridge")->size(), 3u);
}

TEST_F(ControllerTest, RecoverAppliesTheStoredVersion) {
  ASSERT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
  dataplane::PlanBackend fresh;
  ConfigController restarted(*store_, fresh, ControllerOptions{});
  ASSERT_TRUE(restarted.Recover().ok());
  EXPECT_EQ(fresh.apply_count(), 1u);
  EXPECT_EQ(fresh.last_applied().namespaces.size(), 6u);
  EXPECT_EQ(restarted.Status("pod")->size(), 2u);
}

}  // namespace
}  // namespace pharos::core

namespace pharos::core {
namespace {

TEST_F(ControllerTest, PlannedPodAddressesAreStickyAcrossChangesAndReplays) {
  ASSERT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
  // A new pod without a static ip, declared before control-pod.
  std::string with_new = pharos::testing::SeedWithPlanningPod(false);
  ChangeOutcome b = controller_->Apply(with_new, "apply", false);
  ASSERT_TRUE(b.status.ok()) << b.message;
  EXPECT_EQ((*controller_->Status("control-pod"))[0].ip_address, "10.2.1.3");
  EXPECT_EQ((*controller_->Status("planning-pod"))[0].ip_address, "10.2.1.4");
  EXPECT_EQ(b.affected_components,
            (std::vector<std::string>{"planning-pod", "vm1/ph-podbr0"}));
  // A restart replays the stored version with the same addresses.
  dataplane::PlanBackend fresh;
  ConfigController restarted(*store_, fresh, ControllerOptions{});
  ASSERT_TRUE(restarted.Recover().ok());
  EXPECT_EQ((*restarted.Status("planning-pod"))[0].ip_address, "10.2.1.4");
  EXPECT_EQ((*restarted.Status("control-pod"))[0].ip_address, "10.2.1.3");
}

}  // namespace
}  // namespace pharos::core

namespace pharos::core {
namespace {

// The observers run after the controller's lock is released: one that takes
// its time (an nft transaction per VM) must not stop the read paths, and
// the call that converged returns only once its observers are done.
TEST_F(ControllerTest, ASlowObserverDoesNotBlockTheStatusButDelaysTheCallThatConverged) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  std::vector<uint64_t> generations;
  auto subscription = controller_->converged().Subscribe([&](const Converged& now) {
    std::unique_lock lock(mu);
    generations.push_back(now.generation);
    EXPECT_NE(now.topology->FindNode("perception-pod"), nullptr);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  std::atomic<bool> applied{false};
  std::thread apply([&] {
    EXPECT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
    applied = true;
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered; }));
  }
  // The observer is still busy: the status answers meanwhile, from the new version.
  auto status = std::async(std::launch::async, [&] { return controller_->Status("pod"); });
  ASSERT_EQ(status.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "GetNetworkStatus waited for the observer";
  absl::StatusOr<std::vector<ComponentStatus>> pods = status.get();
  ASSERT_TRUE(pods.ok());
  EXPECT_FALSE(pods->empty());
  EXPECT_FALSE(applied) << "Apply returned before its observers were told";
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  apply.join();
  EXPECT_TRUE(applied);
  ASSERT_EQ(generations.size(), 1u);
  EXPECT_GT(generations[0], 0u);
}

TEST_F(ControllerTest, ObserversSeeEveryConvergenceInOrderAndStopWithTheirSubscription) {
  std::vector<uint64_t> seen;
  auto subscription = controller_->converged().Subscribe(
      [&](const Converged& now) { seen.push_back(now.generation); });
  ASSERT_TRUE(controller_->Apply(SeedVehicleYaml(), "apply", false).status.ok());
  ASSERT_TRUE(controller_->Apply(WithExtraPod(), "apply", false).status.ok());
  ASSERT_TRUE(controller_->Rollback("").status.ok());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_LT(seen[0], seen[1]);
  EXPECT_LT(seen[1], seen[2]);
  subscription.Reset();
  ASSERT_TRUE(controller_->Teardown().status.ok());
  EXPECT_EQ(seen.size(), 3u);
}

}  // namespace
}  // namespace pharos::core
