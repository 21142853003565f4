// The callback outbox and its dispatcher with a scripted client: order
// kept through failures, nothing deleted before acknowledgement, the
// capacity policy, and the Pullpiri flavour's translation.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "callbacks/dispatcher.h"
#include "callbacks/notifier.h"
#include "common/clock.h"
#include "pharos/api/v1/piccolo_callback_service.pb.h"
#include "store/migrations.h"

namespace pharos::callbacks {
namespace {

class ScriptedClient : public CallbackClient {
 public:
  int failures_left = 0;
  std::mutex mu;
  std::vector<int64_t> sent;  // every attempt, in order

  grpc::Status Send(const store::OutboxEntry& e, bool* skipped) override {
    *skipped = false;
    std::lock_guard lock(mu);
    sent.push_back(e.id);
    if (failures_left > 0) {
      --failures_left;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "receiver down");
    }
    return grpc::Status::OK;
  }
};

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::Database::Open(":memory:");
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Migrate(store::PharosMigrations()).ok());
  }
  std::unique_ptr<store::Database> db_;
  ManualClock clock_;
};

TEST_F(OutboxTest, DeliversInOrderAndRetriesWithoutOvertaking) {
  Notifier notifier(*db_, clock_, {1000});
  for (const char* c : {"a", "b", "c", "d"}) ASSERT_TRUE(notifier.Record(c, "drift-repaired", "x").ok());
  auto client = std::make_unique<ScriptedClient>();
  ScriptedClient* scripted = client.get();
  scripted->failures_left = 3;
  DispatcherOptions options;
  options.initial_backoff = std::chrono::milliseconds(1);
  options.max_backoff = std::chrono::milliseconds(4);
  Dispatcher dispatcher(notifier.outbox(), std::move(client), options);
  dispatcher.Start();
  for (int i = 0; i < 200 && notifier.outbox().PendingCount().value_or(1) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  dispatcher.Stop();
  EXPECT_EQ(notifier.outbox().PendingCount().value_or(-1), 0);
  std::lock_guard lock(scripted->mu);
  EXPECT_EQ(scripted->sent, (std::vector<int64_t>{1, 1, 1, 1, 2, 3, 4}));
  // The events themselves are recorded too.
  EXPECT_EQ(notifier.events().List(0, 10).value().size(), 4u);
}

TEST_F(OutboxTest, NothingIsDeletedWhileTheReceiverIsDown) {
  Notifier notifier(*db_, clock_, {1000});
  ASSERT_TRUE(notifier.Record("a", "teardown", "x").ok());
  auto client = std::make_unique<ScriptedClient>();
  client->failures_left = 1000000;
  DispatcherOptions options;
  options.initial_backoff = std::chrono::milliseconds(1);
  options.max_backoff = std::chrono::milliseconds(2);
  Dispatcher dispatcher(notifier.outbox(), std::move(client), options);
  dispatcher.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  dispatcher.Stop();
  auto pending = notifier.outbox().Pending(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_GT(pending->front().attempts, 1);
  EXPECT_EQ(pending->front().last_error, "receiver down");
  api::v1::NetworkStatusChangeNotification n;
  ASSERT_TRUE(n.ParseFromString(pending->front().payload));
  EXPECT_EQ(n.component_id(), "a");
  EXPECT_EQ(n.previous_status(), "up");
  EXPECT_EQ(n.current_status(), "down");
}

TEST_F(OutboxTest, AFullOutboxDropsTheOldestAndCountsIt) {
  Notifier notifier(*db_, clock_, {3});
  for (const char* c : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(notifier.Record(c, "teardown", "").ok());
  auto pending = notifier.outbox().Pending(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ(pending->front().component, "c");
  EXPECT_EQ(notifier.outbox().DroppedCount().value_or(-1), 2);
}

}  // namespace
}  // namespace pharos::callbacks
