#include <gtest/gtest.h>

#include <filesystem>

#include "store/config_store.h"
#include "store/migrations.h"
#include "store/security_store.h"

namespace pharos::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pharos-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ConfigStore> Open() {
    auto db = Database::Open((dir_ / "pharos.db").string());
    EXPECT_TRUE(db.ok()) << db.status();
    auto store = ConfigStore::Open(std::move(*db), clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(*store);
  }

  std::filesystem::path dir_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))};
};

TEST_F(StoreTest, AddActivateAndList) {
  auto store = Open();
  EXPECT_FALSE(store->Current()->has_value());
  auto v1 = store->AddAndActivate("a: 1\n", "h1", "apply");
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->id, 1);
  EXPECT_EQ(v1->created_at, "2027-01-15T08:00:00.000Z");
  auto v2 = store->AddAndActivate("a: 2\n", "h2", "update");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ((*store->Current())->id, 2);
  auto list = store->List();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].status, "inactive");
  EXPECT_EQ((*list)[1].status, "active");
  EXPECT_EQ((*store->FindByHash("h1"))->id, 1);
  EXPECT_EQ((*store->PreviousOf(2))->id, 1);
  EXPECT_FALSE(store->PreviousOf(1)->has_value());
}

TEST_F(StoreTest, DuplicateHashIsRejectedAtomically) {
  auto store = Open();
  ASSERT_TRUE(store->AddAndActivate("a: 1\n", "h1", "apply").ok());
  EXPECT_FALSE(store->AddAndActivate("a: 1\n", "h1", "apply").ok());
  EXPECT_EQ(store->List()->size(), 1u);
  EXPECT_EQ((*store->Current())->id, 1);
}

TEST_F(StoreTest, SurvivesReopen) {
  {
    auto store = Open();
    ASSERT_TRUE(store->AddAndActivate("a: 1\n", "h1", "apply").ok());
    ASSERT_TRUE(store->AddAndActivate("a: 2\n", "h2", "apply").ok());
    ASSERT_TRUE(store->Activate(1, "rollback").ok());
  }
  auto store = Open();
  auto current = store->Current();
  ASSERT_TRUE(current->has_value());
  EXPECT_EQ((*current)->id, 1);
  EXPECT_EQ((*current)->yaml, "a: 1\n");
  EXPECT_EQ(store->List()->size(), 2u);
}

TEST_F(StoreTest, UsesWalAndRecordsSchemaVersion) {
  auto store = Open();
  auto st = store->db().Prepare("PRAGMA journal_mode;");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->ColumnText(0), "wal");
  EXPECT_EQ(*store->db().SchemaVersion(), PharosMigrations().back().version);
}

TEST_F(StoreTest, RefusesADatabaseFromTheFuture) {
  {
    auto db = Database::Open((dir_ / "pharos.db").string());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version=999;").ok());
  }
  auto db = Database::Open((dir_ / "pharos.db").string());
  auto store = ConfigStore::Open(std::move(*db), clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, SecurityLogsKeepTheNewestRows) {
  std::unique_ptr<ConfigStore> store = Open();
  AuditStore audit(store->db(), clock_, 3);
  for (int i = 1; i <= 5; ++i) {
    absl::StatusOr<AuditRow> row = audit.Append({0, "", "mallory", "none", "Apply", "peer", "x"});
    ASSERT_TRUE(row.ok()) << row.status();
    EXPECT_EQ(row->id, i);
  }
  absl::StatusOr<std::vector<AuditRow>> kept = audit.List(0, 100);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 3u);
  EXPECT_EQ(kept->front().id, 3);
  EXPECT_EQ(kept->back().id, 5);
  // 0 keeps everything.
  SecurityEventStore events(store->db(), clock_, 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(events.Append({}).ok());
  EXPECT_EQ(events.List(0, 100)->size(), 5u);
  SecurityEventStore capped(store->db(), clock_, 2);
  ASSERT_TRUE(capped.Append({}).ok());
  EXPECT_EQ(capped.List(0, 100)->size(), 2u);
}

}  // namespace
}  // namespace pharos::store
