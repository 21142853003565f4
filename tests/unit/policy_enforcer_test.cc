// The enforcement loop against a fake firewall: a point that cannot be
// enforced raises the alarm once per outage and shows in the view; a table
// that vanished or a namespace rebuilt under the same name is applied again.
#include "security/policy_enforcer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/config_analysis.h"
#include "store/config_store.h"
#include "test_support.h"

namespace pharos::security {
namespace {

constexpr char kDoc[] = R"(vehicle:
  name: car
  socs:
    - name: soc1
      ip: "10.1.0.2"
      subnet: "10.1.0.0/24"
      vms:
        - name: vm1
          ip: "10.2.0.10"
          subnet: "10.2.0.0/24"
          pods:
            - name: cam
              namespace: perception
              networking: {type: static, subnet: "10.2.1.0/24", ip: "10.2.1.5"}
security_policy:
  default_action: deny
  rules:
    - name: cam_out
      from: {pod: cam}
      action: allow
)";

class FakeFirewall : public Firewall {
 public:
  absl::Status Run(const std::string& netns, const std::string& text) override {
    runs.push_back(netns + (text.find("delete table") != std::string::npos ? " replace" : " sets"));
    if (fail) return absl::InternalError(netns + ": nftables: Could not process rule");
    tables.insert(netns);
    return absl::OkStatus();
  }
  uint64_t NamespaceIdentity(const std::string&) override { return identity; }
  absl::StatusOr<bool> TableExists(const std::string& netns) override {
    return tables.count(netns) > 0;
  }

  bool fail = false;
  uint64_t identity = 1;
  std::set<std::string> tables;
  std::vector<std::string> runs;
};

class PolicyEnforcerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pharos-enforcer-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = store::Database::Open((dir_ / "pharos.db").string());
    ASSERT_TRUE(db.ok());
    auto opened = store::ConfigStore::Open(std::move(*db), clock_);
    ASSERT_TRUE(opened.ok());
    store_ = std::move(*opened);
    analysis_ = core::AnalyzeConfig(kDoc, {});
    ASSERT_TRUE(analysis_.valid()) << pharos::testing::Dump(analysis_.findings);
    EnforcerOptions options;
    options.verify_interval = std::chrono::seconds(0);
    EnforcerHooks hooks;
    hooks.alarm = [this](const std::string& netns, const std::string& why) {
      alarms_.push_back(netns + ": " + why);
    };
    enforcer_ = std::make_unique<PolicyEnforcer>(store_->db(), clock_, &firewall_, nullptr,
                                                 options, std::move(hooks));
  }
  void TearDown() override {
    enforcer_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Converge() { enforcer_->OnConverged(analysis_.topology, analysis_.document.policy); }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<store::ConfigStore> store_;
  core::Analysis analysis_;
  FakeFirewall firewall_;
  std::unique_ptr<PolicyEnforcer> enforcer_;
  std::vector<std::string> alarms_;
};

TEST_F(PolicyEnforcerTest, APointThatCannotBeEnforcedRaisesTheAlarmOncePerOutage) {
  firewall_.fail = true;
  Converge();
  ASSERT_EQ(alarms_.size(), 1u);
  EXPECT_EQ(alarms_[0], "ph-vm1: nftables: Could not process rule");
  EXPECT_EQ(enforcer_->Current().not_enforced.count("ph-vm1"), 1u);
  EXPECT_FALSE(enforcer_->Sync().ok());  // still failing: no second alarm
  EXPECT_EQ(alarms_.size(), 1u);
  // The periodic check retries it without waiting for a change.
  firewall_.fail = false;
  EXPECT_EQ(*enforcer_->VerifyTables(), 0);
  EXPECT_TRUE(enforcer_->Current().not_enforced.empty());

  firewall_.fail = false;
  EXPECT_TRUE(enforcer_->Sync().ok());
  EXPECT_TRUE(enforcer_->Current().not_enforced.empty());
  EXPECT_TRUE(firewall_.tables.count("ph-vm1"));

  firewall_.fail = true;
  firewall_.identity = 2;  // rebuilt: must be applied again, and that fails
  EXPECT_FALSE(enforcer_->Sync().ok());
  EXPECT_EQ(alarms_.size(), 2u) << "a new outage is a new alarm";
}

TEST_F(PolicyEnforcerTest, VanishedTablesAndRebuiltNamespacesAreAppliedAgain) {
  Converge();
  ASSERT_TRUE(firewall_.tables.count("ph-vm1"));
  EXPECT_EQ(*enforcer_->VerifyTables(), 0);
  size_t runs = firewall_.runs.size();
  EXPECT_TRUE(enforcer_->Sync().ok());
  EXPECT_EQ(firewall_.runs.size(), runs) << "nothing changed, nothing applied";

  firewall_.tables.clear();  // nft flush ruleset
  EXPECT_EQ(*enforcer_->VerifyTables(), 1);
  EXPECT_TRUE(firewall_.tables.count("ph-vm1"));
  EXPECT_EQ(firewall_.runs.back(), "ph-vm1 replace");

  firewall_.identity = 2;  // the namespace was deleted and created again
  runs = firewall_.runs.size();
  EXPECT_TRUE(enforcer_->Sync().ok());
  ASSERT_EQ(firewall_.runs.size(), runs + 1);
  EXPECT_EQ(firewall_.runs.back(), "ph-vm1 replace");
  EXPECT_TRUE(alarms_.empty());
}

}  // namespace
}  // namespace pharos::security
