#include "cloud/feed_queue.h"

#include <gtest/gtest.h>

#include "cloud/scheduler.h"
#include "cloud/token_bucket.h"
#include "unit/cloud/cloud_test_support.h"

namespace pharos::cloud {
namespace {

using testing::CloudDb;

std::vector<NewItem> Items(Priority p, int n, size_t bytes = 10, char fill = 'x') {
  std::vector<NewItem> out;
  for (int i = 0; i < n; ++i) out.push_back({p, std::string(bytes, fill)});
  return out;
}

std::vector<int64_t> Seqs(const std::vector<QueuedItem>& items) {
  std::vector<int64_t> out;
  for (const QueuedItem& i : items) out.push_back(i.seq);
  return out;
}

TEST(FeedQueueTest, AStreamComesOutInTheOrderItWentIn) {
  CloudDb db;
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kStatus, 3)).ok());
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kTelemetry, 2)).ok());
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kStatus, 2)).ok());
  auto status = db.queue().Next("f", Priority::kStatus, 0, 100, 1 << 20);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(Seqs(*status), (std::vector<int64_t>{1, 2, 3, 6, 7}));
  auto after = db.queue().Next("f", Priority::kStatus, 3, 100, 1 << 20);
  EXPECT_EQ(Seqs(*after), (std::vector<int64_t>{6, 7}));
  auto other_feed = db.queue().Next("g", Priority::kStatus, 0, 100, 1 << 20);
  EXPECT_TRUE(other_feed->empty());
}

TEST(FeedQueueTest, NextStopsAtTheByteLimitButAlwaysGivesOne) {
  CloudDb db;
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kStatus, 5, 100)).ok());
  EXPECT_EQ(db.queue().Next("f", Priority::kStatus, 0, 100, 250)->size(), 2u);
  EXPECT_EQ(db.queue().Next("f", Priority::kStatus, 0, 100, 10)->size(), 1u);
  EXPECT_EQ(db.queue().Next("f", Priority::kStatus, 0, 3, 1 << 20)->size(), 3u);
}

TEST(FeedQueueTest, TheByteBoundDropsTheLowestPriorityOldestFirstAndCountsIt) {
  CloudDb db;
  db.Reopen({.max_bytes = 1000});
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kSecurity, 3, 100, 's')).ok());   // 1-3
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kTelemetry, 4, 100, 't')).ok());  // 4-7
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kStatus, 3, 100, 'u')).ok());     // 8-10
  // 1,000 bytes: full, nothing dropped yet.
  EXPECT_EQ(db.queue().Stats("f")->depth, 10);
  auto dropped = db.queue().Enqueue("f", Items(Priority::kSecurity, 2, 100, 's'));  // 11-12
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 2);
  EXPECT_EQ(Seqs(*db.queue().Next("f", Priority::kTelemetry, 0, 100, 1 << 20)),
            (std::vector<int64_t>{6, 7}));
  EXPECT_EQ(db.queue().Next("f", Priority::kSecurity, 0, 100, 1 << 20)->size(), 5u);
  // Telemetry gone entirely before status loses anything.
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kSecurity, 3, 100, 's')).ok());
  EXPECT_TRUE(db.queue().Next("f", Priority::kTelemetry, 0, 100, 1 << 20)->empty());
  EXPECT_EQ(Seqs(*db.queue().Next("f", Priority::kStatus, 0, 100, 1 << 20)),
            (std::vector<int64_t>{9, 10}));
  auto stats = db.queue().Stats("f");
  EXPECT_EQ(stats->dropped_full, 5);
  EXPECT_EQ(stats->bytes, 1000);
  EXPECT_EQ(stats->depth_by_priority[static_cast<int>(Priority::kSecurity)], 8);
}

TEST(FeedQueueTest, ItemsOlderThanTheAgeBoundAreDroppedAndCounted) {
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::hours(500000)));
  CloudDb db;
  db.Reopen({.max_age = std::chrono::seconds(60)}, &clock);
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kSecurity, 2)).ok());
  clock.Advance(std::chrono::seconds(40));
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kTelemetry, 1)).ok());
  clock.Advance(std::chrono::seconds(30));
  auto expired = db.queue().Expire();
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 2);  // whatever their priority
  auto stats = db.queue().Stats("f");
  EXPECT_EQ(stats->depth, 1);
  EXPECT_EQ(stats->dropped_expired, 2);
  EXPECT_EQ(stats->oldest_ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                  (clock.Now() - std::chrono::seconds(30)).time_since_epoch())
                                  .count());
}

TEST(FeedQueueTest, ACrashBetweenSendAndReceiptSendsItAgainAndNothingIsLost) {
  CloudDb db;
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kStatus, 4)).ok());
  Scheduler before(db.queue(), "f", {});
  auto sent = before.Next(SendMode{});
  ASSERT_TRUE(sent.ok() && sent->has_value());
  ASSERT_EQ((*sent)->items.size(), 4u);
  // pharosd dies here: sent, never acknowledged.
  db.Close();
  db.Reopen();
  Scheduler after(db.queue(), "f", {});
  auto again = after.Next(SendMode{});
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ(Seqs((*again)->items), Seqs((*sent)->items));
  ASSERT_TRUE(after.Delivered(**again).ok());
  db.Close();
  db.Reopen();
  EXPECT_EQ(db.queue().Stats("f")->depth, 0);
  EXPECT_EQ(db.queue().Stats("f")->bytes, 0);
}

TEST(FeedQueueTest, AFailedTransactionQueuesNothing) {
  CloudDb db;
  auto r = db.queue().Enqueue("f", Items(Priority::kStatus, 3),
                              [] { return absl::InternalError("the cursor write failed"); });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(db.queue().Stats("f")->depth, 0);
  // And the byte total did not count them.
  db.Reopen({.max_bytes = 30});
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kStatus, 3)).ok());
  EXPECT_EQ(db.queue().Stats("f")->dropped_full, 0);
}

TEST(SchedulerTest, HigherPrioritiesGoFirstEachStreamInOrder) {
  CloudDb db;
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kTelemetry, 2)).ok());  // 1,2
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kStatus, 1)).ok());     // 3
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kSecurity, 2)).ok());   // 4,5
  Scheduler s(db.queue(), "f", {.max_items = 1});
  std::vector<std::pair<Priority, int64_t>> order;
  while (true) {
    auto b = s.Next(SendMode{});
    ASSERT_TRUE(b.ok());
    if (!*b) break;
    order.emplace_back((*b)->priority, (*b)->first_seq());
  }
  EXPECT_EQ(order, (std::vector<std::pair<Priority, int64_t>>{{Priority::kSecurity, 4},
                                                              {Priority::kSecurity, 5},
                                                              {Priority::kStatus, 3},
                                                              {Priority::kTelemetry, 1},
                                                              {Priority::kTelemetry, 2}}));
  EXPECT_EQ(s.in_flight(), 5);
}

TEST(SchedulerTest, AModeCarriesOnlyItsClasses) {
  CloudDb db;
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kTelemetry, 2)).ok());
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kDiagnostics, 1)).ok());
  SendMode satellite{"satellite", {false, false, true, true}, 0};
  Scheduler s(db.queue(), "f", {});
  auto b = s.Next(satellite);
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->priority, Priority::kDiagnostics);
  EXPECT_FALSE(s.Next(satellite)->has_value());  // telemetry waits for a better uplink
  EXPECT_TRUE(s.Next(SendMode{})->has_value());
}

TEST(SchedulerTest, AFailedBatchRewindsItsStreamAndDeliveredOnesLeave) {
  CloudDb db;
  ASSERT_TRUE(db.queue().Enqueue("f", Items(Priority::kStatus, 4)).ok());
  Scheduler s(db.queue(), "f", {.max_items = 2});
  auto first = s.Next(SendMode{});
  auto second = s.Next(SendMode{});
  ASSERT_TRUE(first.ok() && first->has_value() && second.ok() && second->has_value());
  EXPECT_FALSE(s.Next(SendMode{})->has_value());  // all in flight
  s.Failed(**first);
  ASSERT_TRUE(s.Delivered(**second).ok());
  auto again = s.Next(SendMode{});
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ(Seqs((*again)->items), (std::vector<int64_t>{1, 2}));
  EXPECT_FALSE(s.Next(SendMode{})->has_value());  // 3 and 4 were delivered
  s.Restart();
  EXPECT_EQ(Seqs((*s.Next(SendMode{}))->items), (std::vector<int64_t>{1, 2}));
}

TEST(TokenBucketTest, TheRateIsKeptAndABigSendWaitsForAFullBucket) {
  ManualClock clock;
  TokenBucket bucket(clock, 1000, 1000);  // starts empty
  EXPECT_GT(bucket.Take(500).count(), 0);
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(bucket.Take(500).count(), 0);
  auto wait = bucket.Take(400);
  EXPECT_NEAR(std::chrono::duration<double>(wait).count(), 0.4, 0.01);
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(bucket.Take(3000).count(), 0);  // bigger than the burst: goes when full
  EXPECT_GT(bucket.Take(1).count(), 0);     // and leaves the bucket in debt
  TokenBucket unlimited(clock, 0, 1);
  EXPECT_EQ(unlimited.Take(1 << 30).count(), 0);
}

}  // namespace
}  // namespace pharos::cloud
