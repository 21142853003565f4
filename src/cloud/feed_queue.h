// Store-and-forward: every item goes into SQLite (WAL, synchronous=FULL)
// before it is sent and leaves only when the cloud acknowledged it, so a
// crash or power loss between the two sends it again (at least once; the
// item's id lets the receiver drop the repeat). A stream is one feed's
// priority class: its items go out in the order they were queued.
//
// Bounded by bytes and by age. Past the byte bound the lowest priority
// class loses its oldest items first; past the age bound an item is
// dropped whatever its class. Both are counted (docs/cloud.md).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/fields.h"
#include "common/clock.h"
#include "store/sqlite_db.h"

namespace pharos::cloud {

struct QueueLimits {
  int64_t max_bytes = 256LL * 1024 * 1024;
  std::chrono::seconds max_age = std::chrono::hours(24 * 7);
};

struct NewItem {
  Priority priority = Priority::kTelemetry;
  std::string body;  // the item's JSON (payload.h renders it)
};

struct QueuedItem {
  int64_t seq = 0;  // the row id: increases, never reused
  Priority priority = Priority::kTelemetry;
  int64_t queued_ms = 0;  // Unix milliseconds
  std::string body;
};

struct QueueStats {
  int64_t depth = 0;
  int64_t bytes = 0;
  int64_t oldest_ms = 0;  // 0 when empty
  std::array<int64_t, kPriorityCount> depth_by_priority{};
  int64_t dropped_full = 0;     // ever, by the byte bound
  int64_t dropped_expired = 0;  // ever, by the age bound
};

// The cloud connector's own database (cloud.db beside pharos.db): the
// queue, the feeds' configuration and state, the counters.
const std::vector<store::Migration>& CloudMigrations();

class FeedQueue {
 public:
  // `db` (written, migrated by Open) and `reader` (a second connection
  // to the same file: the sender sees only what is committed).
  static absl::StatusOr<std::unique_ptr<FeedQueue>> Open(store::Database& db,
                                                         store::Database& reader,
                                                         const Clock& clock, QueueLimits limits);

  // Queues `items` of `feed` in one transaction (together with `also`,
  // e.g. the journal cursor the items were read up to), then applies the
  // byte bound. Returns how many items the bound dropped.
  absl::StatusOr<int64_t> Enqueue(const std::string& feed, const std::vector<NewItem>& items,
                                  const std::function<absl::Status()>& also = nullptr);
  // The oldest items of `feed`'s `priority` stream after `after_seq`, at
  // most `limit` items and (past the first) `max_bytes` of bodies.
  absl::StatusOr<std::vector<QueuedItem>> Next(const std::string& feed, Priority priority,
                                               int64_t after_seq, int limit, int64_t max_bytes);
  // The cloud took them: they leave the queue (with `also`, e.g. the
  // counters of what was sent, in the same transaction).
  absl::Status Acknowledge(const std::vector<int64_t>& seqs,
                           const std::function<absl::Status()>& also = nullptr);
  // The same for whole batches: each the items of `feed`'s `priority`
  // stream from `first` to `last` (what Next handed out), one statement a
  // batch.
  struct Range {
    Priority priority;
    int64_t first, last;
  };
  absl::Status AcknowledgeRanges(const std::string& feed, const std::vector<Range>& ranges,
                                 const std::function<absl::Status()>& also = nullptr);
  // Drops what is older than the age bound; returns how many.
  absl::StatusOr<int64_t> Expire();
  absl::StatusOr<QueueStats> Stats(const std::string& feed);
  // Everything of `feed` (a feed that was removed).
  absl::Status Clear(const std::string& feed);
  // Runs `work` in a transaction on the writing connection, serialised
  // with the queue's own writes (the feeds' rows share the file).
  absl::Status Write(const std::function<absl::Status()>& work);

  store::Database& db() { return db_; }
  const QueueLimits& limits() const { return limits_; }

 private:
  FeedQueue(store::Database& db, store::Database& reader, const Clock& clock, QueueLimits limits)
      : db_(db), reader_(reader), clock_(clock), limits_(limits) {}
  absl::Status LoadTotals();
  absl::StatusOr<int64_t> DropForBytes();  // inside a transaction
  absl::Status Count(const char* counter, int64_t n);
  // Runs `work` in a transaction under mu_; the totals it changed are put
  // back if it fails (the rows were rolled back).
  absl::Status Transact(const std::function<absl::Status()>& work);
  void Took(const std::string& feed, int64_t priority, int64_t bytes);  // a row left

  store::Database& db_;
  store::Database& reader_;
  const Clock& clock_;
  const QueueLimits limits_;
  // What the queue holds, kept in memory (loaded once by Open) so Stats
  // never scans the table: per stream (feed, priority), and in all.
  struct Totals {
    int64_t items = 0, bytes = 0;
  };
  mutable std::mutex mu_;  // one writer at a time on this connection; the totals
  std::map<std::pair<std::string, int64_t>, Totals> streams_;
  int64_t total_bytes_ = 0;
};

// A counter of cloud.db (cloud_counters), 0 when never set.
absl::StatusOr<int64_t> ReadCounter(store::Database& db, std::string_view name);
absl::Status AddCounter(store::Database& db, std::string_view name, int64_t delta);

}  // namespace pharos::cloud
