// PodManager against a plan backend that fails on demand and real SQLite:
// a batch is one convergence, a bad pod fails alone, a removal of a pod
// still being set up answers both requests, and rows left pending by a
// crash are set up by the next PodManager.
#include "core/pod_manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <thread>

#include "dataplane/plan_backend.h"
#include "store/config_store.h"
#include "unit/test_support.h"

namespace pharos::core {
namespace {

using std::chrono::seconds;

constexpr char kVm[] = "name: vm1\n";
constexpr char kNet[] = "networking:\n  type: cni\n  subnet: \"10.2.1.0/24\"\n";

// Refuses every plan with a pod namespace named in `refused`.
class RefusingBackend : public dataplane::PlanBackend {
 public:
  std::set<std::string> refused;
  std::function<void()> on_apply;  // called first, e.g. to hold a convergence
  absl::StatusOr<dataplane::ApplyResult> Apply(const plan::Plan& desired) override {
    if (on_apply) on_apply();
    for (const auto& ns : desired.namespaces) {
      if (refused.count(ns.component)) {
        return absl::InternalError("injected: " + ns.component + " cannot be built");
      }
    }
    return PlanBackend::Apply(desired);
  }
};

class RecordingSink : public CompletionSink {
 public:
  absl::Status CompleteAll(const std::vector<CompletionRecord>& batch) override {
    std::lock_guard lock(mu_);
    for (const auto& r : batch) got_.push_back(r);
    cv_.notify_all();
    return absl::OkStatus();
  }
  std::vector<CompletionRecord> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, seconds(10), [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<CompletionRecord> got_;
};

class PodManagerTest : public ::testing::Test {
 protected:
  PodManagerTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("pharos-pod-manager-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::string file = (dir_ / "pharos.db").string();
    config_ = std::move(*store::ConfigStore::Open(std::move(*store::Database::Open(file)), clock_));
    pods_db_ = std::move(*store::Database::Open(file));
    table_ = std::make_unique<RuntimePodTable>(*pods_db_);
    controller_ = std::make_unique<ConfigController>(*config_, backend_, ControllerOptions{},
                                                     nullptr, table_.get());
    EXPECT_TRUE(controller_->Apply(pharos::testing::SeedVehicleYaml(), "test", false).status.ok());
    manager_ = NewManager();
  }
  ~PodManagerTest() override {
    manager_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<PodManager> NewManager() {
    return std::make_unique<PodManager>(
        *controller_, *table_, sink_, clock_, std::chrono::seconds(30),
        [](const std::string&, const std::string&, const std::string&) { return std::string(); });
  }
  std::string Ask(const std::string& pod, const std::string& network = kNet) {
    PodRequestAnswer a = manager_->Request(kVm, pod, network);
    EXPECT_TRUE(a.status.ok()) << pod << ": " << a.status;
    return a.request_id;
  }
  std::map<std::string, CompletionRecord> ByRequest(const std::vector<CompletionRecord>& all) {
    std::map<std::string, CompletionRecord> out;
    for (const auto& r : all) out[r.request_id] = r;
    return out;
  }

  std::filesystem::path dir_;
  SystemClock clock_;
  RefusingBackend backend_;
  RecordingSink sink_;
  std::unique_ptr<store::ConfigStore> config_;
  std::unique_ptr<store::Database> pods_db_;
  std::unique_ptr<RuntimePodTable> table_;
  std::unique_ptr<ConfigController> controller_;
  std::unique_ptr<PodManager> manager_;
};

TEST_F(PodManagerTest, RequestsWaitingTogetherAreOneConvergence) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(Ask("p" + std::to_string(i)));
  size_t before = backend_.apply_count();
  manager_->Start();  // the worker finds all ten pending at once
  auto done = ByRequest(sink_.WaitFor(10));
  ASSERT_EQ(done.size(), 10u);
  for (const auto& id : ids) EXPECT_EQ(done[id].result, Completion::kOk) << done[id].details;
  EXPECT_EQ(backend_.apply_count() - before, 1u);
  EXPECT_EQ(backend_.last_applied().namespaces.size(), 6u + 10u);
}

TEST_F(PodManagerTest, APodThatCannotBeBuiltFailsAloneInItsBatch) {
  backend_.refused = {"bad"};
  std::string good1 = Ask("good1"), bad = Ask("bad"), good2 = Ask("good2");
  manager_->Start();
  auto done = ByRequest(sink_.WaitFor(3));
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[good1].result, Completion::kOk);
  EXPECT_EQ(done[good2].result, Completion::kOk);
  EXPECT_EQ(done[bad].result, Completion::kError);
  EXPECT_NE(done[bad].details.find("injected: bad cannot be built"), std::string::npos)
      << done[bad].details;
  auto leases = manager_->Leases();
  ASSERT_TRUE(leases.ok());
  std::set<std::string> leased;
  for (const auto& l : *leases) leased.insert(l.pod);
  EXPECT_EQ(leased, (std::set<std::string>{"good1", "good2"})) << "the bad pod's lease stays";
}

TEST_F(PodManagerTest, RemovingAPodStillBeingSetUpAnswersBothRequests) {
  std::string added = Ask("p1");
  std::string removed = Ask("p1", "remove: true\n");
  ASSERT_NE(added, removed);
  manager_->Start();
  auto all = sink_.WaitFor(2);
  ASSERT_EQ(all.size(), 2u);
  // In order: the request overtaken first, then the removal.
  EXPECT_EQ(all[0].request_id, added);
  EXPECT_EQ(all[0].result, Completion::kError);
  EXPECT_NE(all[0].details.find("removed"), std::string::npos) << all[0].details;
  EXPECT_EQ(all[1].request_id, removed);
  EXPECT_EQ(all[1].result, Completion::kOk) << all[1].details;
  EXPECT_TRUE(manager_->Leases()->empty());
}

TEST_F(PodManagerTest, ARemovalArrivingWhileThePodConvergesIsNotUndone) {
  manager_->Start();
  std::mutex gate;
  std::condition_variable cv;
  bool converging = false, release = false;
  backend_.on_apply = [&] {
    std::unique_lock lock(gate);
    converging = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  std::string added = Ask("p1");
  {
    std::unique_lock lock(gate);
    ASSERT_TRUE(cv.wait_for(lock, seconds(10), [&] { return converging; }));
  }
  std::string removed = Ask("p1", "remove: true\n");  // while p1 converges
  {
    std::lock_guard lock(gate);
    release = true;
  }
  cv.notify_all();
  auto all = sink_.WaitFor(2);
  ASSERT_GE(all.size(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing more comes
  all = sink_.WaitFor(0);
  ASSERT_EQ(all.size(), 2u) << "a request answered twice";
  EXPECT_EQ(all[0].request_id, added);
  EXPECT_EQ(all[0].result, Completion::kError);
  EXPECT_EQ(all[1].request_id, removed);
  EXPECT_EQ(all[1].result, Completion::kOk) << all[1].details;
  EXPECT_TRUE(manager_->Leases()->empty()) << "the removal was undone by the setup's outcome";
}

TEST_F(PodManagerTest, RowsLeftPendingByACrashAreSetUpByTheNextStart) {
  std::vector<std::string> ids{Ask("p1"), Ask("p2"), Ask("p3")};
  manager_.reset();  // gone before its worker ran: the rows stay pending
  auto leases = NewManager()->Leases();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 3u);
  for (const auto& l : *leases) EXPECT_EQ(l.state, store::PodState::kPending);
  manager_ = NewManager();
  manager_->Start();
  auto done = ByRequest(sink_.WaitFor(3));
  ASSERT_EQ(done.size(), 3u);
  for (const auto& id : ids) EXPECT_EQ(done[id].result, Completion::kOk) << id;
  auto after = manager_->Leases();
  ASSERT_TRUE(after.ok());
  for (const auto& l : *after) EXPECT_EQ(l.state, store::PodState::kReady);
}

// Addresses come from the lease index (issue 14): never one of a node of
// the vehicle or of another lease, fresh ones before freed ones, a freed
// one to whoever asks for it, and a configuration change is seen at once.
TEST_F(PodManagerTest, AddressesAreFreshFirstAndFollowTheConfiguration) {
  manager_->Start();
  std::map<std::string, std::string> ip;
  auto leased = [&] {
    ip.clear();
    auto leases = manager_->Leases();  // kept: the loop must not outlive it
    for (const auto& l : *leases) ip[l.pod] = l.ip;
    return ip;
  };
  std::set<std::string> declared;
  for (const auto& n : controller_->CurrentTopology().nodes) {
    if (n.ip) declared.insert(n.ip->ToString());
  }
  declared.insert("10.2.1.1");  // the bridge's gateway
  Ask("p1");
  Ask("p2");
  sink_.WaitFor(2);
  leased();
  ASSERT_EQ(ip.size(), 2u);
  EXPECT_NE(ip["p1"], ip["p2"]);
  for (const auto& [pod, a] : ip) EXPECT_EQ(declared.count(a), 0u) << pod << " got " << a;
  std::string freed = ip["p1"];
  Ask("p1", "remove: true\n");
  sink_.WaitFor(3);
  Ask("p3");
  sink_.WaitFor(4);
  leased();
  EXPECT_NE(ip["p3"], freed) << "a freed address went out while fresh ones were left";
  EXPECT_NE(ip["p3"], ip["p2"]);
  // Asked for, the freed address is given; asked again, a pod keeps its own.
  Ask("p4", std::string(kNet) + "  ip: \"" + freed + "\"\n");
  sink_.WaitFor(5);
  std::string p2 = ip["p2"];
  Ask("p2", "networking:\n  type: cni\n  subnet: \"10.2.1.0/24\"\nnamespace: other\n");
  sink_.WaitFor(6);
  leased();
  EXPECT_EQ(ip["p4"], freed);
  EXPECT_EQ(ip["p2"], p2) << "a pod asked for again moved for no reason";
  // A new version declares planning-pod at 10.2.1.20: no longer to be had.
  ASSERT_TRUE(
      controller_->Apply(pharos::testing::SeedWithPlanningPod(true), "test", false).status.ok());
  PodRequestAnswer taken =
      manager_->Request(kVm, "p5", std::string(kNet) + "  ip: \"10.2.1.20\"\n");
  EXPECT_EQ(taken.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(taken.message.find("10.2.1.20 is in use by planning-pod"), std::string::npos)
      << taken.message;
}

}  // namespace
}  // namespace pharos::core
