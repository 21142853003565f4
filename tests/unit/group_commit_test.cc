// Group commit (issue 14, item 7) on a real SQLite file: writes that wait
// together share one transaction, a failing write is rolled back alone,
// and concurrent registrations stay idempotent and distinct.
#include "store/group_commit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/service_registry.h"
#include "unit/plan_core.h"
#include "unit/test_support.h"

namespace pharos::store {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pharos-group-commit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = std::move(*Database::Open((dir_ / "t.db").string()));
    ASSERT_TRUE(db_->Exec("CREATE TABLE t(k INTEGER PRIMARY KEY);").ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  absl::Status Insert(int k) {
    absl::StatusOr<Statement> st = db_->Prepare("INSERT INTO t(k) VALUES(?);");
    if (!st.ok()) return st.status();
    return st->Bind(1, int64_t{k}).Run();
  }
  std::set<int64_t> Rows() {
    std::set<int64_t> out;
    auto st = db_->Prepare("SELECT k FROM t;");
    EXPECT_TRUE(st->ForEachRow([&](const Statement& r) { out.insert(r.ColumnInt(0)); }).ok());
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
  std::mutex connection_;
};

TEST_F(GroupCommitTest, WritesWaitingTogetherShareOneCommit) {
  GroupCommit group(*db_, connection_);
  constexpr int kWriters = 64;
  std::vector<std::thread> writers;
  std::vector<absl::Status> results(kWriters);
  {
    // The first writer leads and waits for the connection; the others queue.
    std::lock_guard busy(connection_);
    for (int i = 0; i < kWriters; ++i) {
      writers.emplace_back([&, i] { results[i] = group.Run([&, i] { return Insert(i); }); });
    }
    for (int i = 0; i < 500 && group.waiting() < kWriters - 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(group.waiting(), size_t{kWriters - 1});
  }
  for (auto& t : writers) t.join();
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(Rows().size(), size_t{kWriters});
  EXPECT_EQ(group.writes(), uint64_t{kWriters});
  EXPECT_EQ(group.groups(), 2u) << "the leader's own, then one for the 63 that queued";
}

TEST_F(GroupCommitTest, AFailingWriteIsRolledBackAloneAndToldItsError) {
  GroupCommit group(*db_, connection_);
  std::vector<std::thread> writers;
  absl::Status good1, bad, good2;
  {
    std::lock_guard busy(connection_);
    writers.emplace_back([&] { good1 = group.Run([&] { return Insert(1); }); });
    for (int i = 0; i < 500 && group.waiting() == 0 && group.groups() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    writers.emplace_back([&] {
      bad = group.Run([&] {
        absl::Status s = Insert(2);  // written, then the write fails after it
        return s.ok() ? absl::FailedPreconditionError("refused after its insert") : s;
      });
    });
    writers.emplace_back([&] { good2 = group.Run([&] { return Insert(3); }); });
    for (int i = 0; i < 500 && group.waiting() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  for (auto& t : writers) t.join();
  EXPECT_TRUE(good1.ok()) << good1;
  EXPECT_TRUE(good2.ok()) << good2;
  EXPECT_EQ(bad.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Rows(), (std::set<int64_t>{1, 3})) << "the failed write's row stayed";
  // A unique-key clash is the write's own error too.
  EXPECT_FALSE(group.Run([&] { return Insert(1); }).ok());
  EXPECT_EQ(Rows().size(), 2u);
}

TEST(RegistryGroupCommitTest, ConcurrentRegistrationsAreDistinctAndIdempotent) {
  pharos::testing::PlanCore core;
  ASSERT_TRUE(
      core.controller->Apply(pharos::testing::SeedVehicleYaml(), "apply", false).status.ok());
  constexpr int kThreads = 32;
  std::vector<std::thread> threads;
  std::vector<std::string> same(kThreads), distinct(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto a = core.registry->Register("shared", "10.2.1.2", 9000, "grpc", {});
      auto b = core.registry->Register("svc-" + std::to_string(i), "10.2.1.2", 9001, "grpc", {});
      same[i] = a.ok() ? *a : a.status().ToString();
      distinct[i] = b.ok() ? *b : b.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(same.begin(), same.end()).size(), 1u)
      << "one service registered twice at once got two ids";
  EXPECT_EQ(std::set<std::string>(distinct.begin(), distinct.end()).size(), size_t{kThreads});
  auto rows = core.registry->Records();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), size_t{kThreads + 1});
  for (const auto& r : *rows) EXPECT_EQ(r.location, "perception-pod") << r.name;
  const GroupCommit& group = core.registry->group_commit();
  EXPECT_EQ(group.writes(), uint64_t{2 * kThreads});
  EXPECT_LE(group.groups(), group.writes());
}

}  // namespace
}  // namespace pharos::store
