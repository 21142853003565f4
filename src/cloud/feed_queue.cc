#include "cloud/feed_queue.h"

#include "fmt/format.h"

namespace pharos::cloud {
namespace {

int64_t UnixMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

constexpr char kDroppedFull[] = "dropped_full";
constexpr char kDroppedExpired[] = "dropped_expired";

}  // namespace

const std::vector<store::Migration>& CloudMigrations() {
  static const std::vector<store::Migration> migrations = {
      {1, "cloud connector: queue, feeds, state, counters", R"sql(
-- Items waiting for the cloud's receipt, oldest first per stream (feed,
-- priority). AUTOINCREMENT: a sequence number is never reused, so it can
-- be the item's idempotency id.
CREATE TABLE cloud_queue (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  feed      TEXT NOT NULL,
  priority  INTEGER NOT NULL,
  queued_ms INTEGER NOT NULL,
  body      BLOB NOT NULL
);
CREATE INDEX cloud_queue_stream ON cloud_queue(feed, priority, seq);
CREATE INDEX cloud_queue_age ON cloud_queue(queued_ms);
-- Each feed's configuration (JSON) and what it last did.
CREATE TABLE cloud_feeds (
  name       TEXT PRIMARY KEY,
  config     TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_feeding_time TEXT NOT NULL DEFAULT '',
  last_success INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE cloud_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cloud_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
)sql"},
  };
  return migrations;
}

absl::StatusOr<int64_t> ReadCounter(store::Database& db, std::string_view name) {
  auto st = db.Prepare("SELECT value FROM cloud_counters WHERE name = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, name);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  return *row ? st->ColumnInt(0) : 0;
}

absl::Status AddCounter(store::Database& db, std::string_view name, int64_t delta) {
  auto st = db.Prepare(
      "INSERT INTO cloud_counters(name, value) VALUES(?, ?) "
      "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
  if (!st.ok()) return st.status();
  return st->Bind(1, name).Bind(2, delta).Run();
}

absl::StatusOr<std::unique_ptr<FeedQueue>> FeedQueue::Open(store::Database& db,
                                                           store::Database& reader,
                                                           const Clock& clock, QueueLimits limits) {
  if (absl::Status s = db.Migrate(CloudMigrations()); !s.ok()) return s;
  std::unique_ptr<FeedQueue> q(new FeedQueue(db, reader, clock, limits));
  if (absl::Status s = q->LoadTotals(); !s.ok()) return s;
  return q;
}

absl::Status FeedQueue::LoadTotals() {
  auto st = db_.Prepare("SELECT COALESCE(SUM(length(body)), 0) FROM cloud_queue");
  if (!st.ok()) return st.status();
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  total_bytes_ = st->ColumnInt(0);
  return absl::OkStatus();
}

absl::Status FeedQueue::Count(const char* counter, int64_t n) {
  return n == 0 ? absl::OkStatus() : AddCounter(db_, counter, n);
}

absl::StatusOr<int64_t> FeedQueue::Enqueue(const std::string& feed,
                                           const std::vector<NewItem>& items,
                                           const std::function<absl::Status()>& also) {
  std::lock_guard lock(mu_);
  store::Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  int64_t now = UnixMs(clock_.Now());
  int64_t added = 0;
  for (const NewItem& item : items) {
    auto st =
        db_.Prepare("INSERT INTO cloud_queue(feed, priority, queued_ms, body) VALUES(?, ?, ?, ?)");
    if (!st.ok()) return st.status();
    st->Bind(1, feed).Bind(2, static_cast<int64_t>(item.priority)).Bind(3, now);
    st->BindBlob(4, item.body);
    if (absl::Status s = st->Run(); !s.ok()) return s;
    added += static_cast<int64_t>(item.body.size());
  }
  if (also) {
    if (absl::Status s = also(); !s.ok()) return s;
  }
  int64_t before = total_bytes_;
  total_bytes_ += added;
  absl::StatusOr<int64_t> dropped = DropForBytes();
  absl::Status committed = dropped.ok() ? tx.Commit() : dropped.status();
  if (!committed.ok()) {
    total_bytes_ = before;  // rolled back, drops included
    return committed;
  }
  return *dropped;
}

absl::StatusOr<int64_t> FeedQueue::DropForBytes() {
  int64_t dropped = 0;
  while (total_bytes_ > limits_.max_bytes) {
    // The lowest class first, its oldest first; a chunk at a time.
    auto pick =
        db_.Prepare("SELECT seq, length(body) FROM cloud_queue ORDER BY priority, seq LIMIT 256");
    if (!pick.ok()) return pick.status();
    std::vector<std::pair<int64_t, int64_t>> victims;
    int64_t over = total_bytes_ - limits_.max_bytes;
    int64_t freed = 0;
    absl::Status s = pick->ForEachRow([&](const store::Statement& row) {
      if (freed >= over) return;
      victims.emplace_back(row.ColumnInt(0), row.ColumnInt(1));
      freed += row.ColumnInt(1);
    });
    if (!s.ok()) return s;
    if (victims.empty()) break;
    for (const auto& [seq, bytes] : victims) {
      auto del = db_.Prepare("DELETE FROM cloud_queue WHERE seq = ?");
      if (!del.ok()) return del.status();
      if (absl::Status d = del->Bind(1, seq).Run(); !d.ok()) return d;
      total_bytes_ -= bytes;
      ++dropped;
    }
  }
  if (absl::Status s = Count(kDroppedFull, dropped); !s.ok()) return s;
  return dropped;
}

absl::StatusOr<std::vector<QueuedItem>> FeedQueue::Next(const std::string& feed, Priority priority,
                                                        int64_t after_seq, int limit,
                                                        int64_t max_bytes) {
  auto st = reader_.Prepare(
      "SELECT seq, queued_ms, body FROM cloud_queue WHERE feed = ? AND priority = ? AND seq > ? "
      "ORDER BY seq LIMIT ?");
  if (!st.ok()) return st.status();
  st->Bind(1, feed).Bind(2, static_cast<int64_t>(priority)).Bind(3, after_seq).Bind(4, limit);
  std::vector<QueuedItem> out;
  int64_t bytes = 0;
  while (true) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string body = st->ColumnBlob(2);
    if (!out.empty() && bytes + static_cast<int64_t>(body.size()) > max_bytes) break;
    bytes += static_cast<int64_t>(body.size());
    out.push_back({st->ColumnInt(0), priority, st->ColumnInt(1), std::move(body)});
  }
  return out;
}

absl::Status FeedQueue::Acknowledge(const std::vector<int64_t>& seqs,
                                    const std::function<absl::Status()>& also) {
  std::lock_guard lock(mu_);
  store::Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  int64_t freed = 0;
  for (int64_t seq : seqs) {
    auto st = db_.Prepare("DELETE FROM cloud_queue WHERE seq = ? RETURNING length(body)");
    if (!st.ok()) return st.status();
    st->Bind(1, seq);
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (*row) freed += st->ColumnInt(0);  // not there: dropped, or a repeat receipt
  }
  if (also) {
    if (absl::Status s = also(); !s.ok()) return s;
  }
  if (absl::Status s = tx.Commit(); !s.ok()) return s;
  total_bytes_ -= freed;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FeedQueue::Expire() {
  std::lock_guard lock(mu_);
  int64_t cutoff = UnixMs(clock_.Now()) -
                   std::chrono::duration_cast<std::chrono::milliseconds>(limits_.max_age).count();
  store::Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  auto st = db_.Prepare("DELETE FROM cloud_queue WHERE queued_ms < ? RETURNING length(body)");
  if (!st.ok()) return st.status();
  st->Bind(1, cutoff);
  int64_t n = 0, freed = 0;
  absl::Status s = st->ForEachRow([&](const store::Statement& row) {
    ++n;
    freed += row.ColumnInt(0);
  });
  if (!s.ok()) return s;
  if (absl::Status c = Count(kDroppedExpired, n); !c.ok()) return c;
  if (absl::Status c = tx.Commit(); !c.ok()) return c;
  total_bytes_ -= freed;
  return n;
}

absl::StatusOr<QueueStats> FeedQueue::Stats(const std::string& feed) {
  QueueStats stats;
  auto st = reader_.Prepare(
      "SELECT priority, COUNT(*), COALESCE(SUM(length(body)), 0), MIN(queued_ms) FROM cloud_queue "
      "WHERE feed = ? GROUP BY priority");
  if (!st.ok()) return st.status();
  st->Bind(1, feed);
  absl::Status s = st->ForEachRow([&](const store::Statement& row) {
    int64_t p = row.ColumnInt(0);
    if (p >= 0 && p < kPriorityCount) stats.depth_by_priority[p] = row.ColumnInt(1);
    stats.depth += row.ColumnInt(1);
    stats.bytes += row.ColumnInt(2);
    int64_t oldest = row.ColumnInt(3);
    if (stats.oldest_ms == 0 || oldest < stats.oldest_ms) stats.oldest_ms = oldest;
  });
  if (!s.ok()) return s;
  auto full = ReadCounter(reader_, kDroppedFull);
  auto expired = ReadCounter(reader_, kDroppedExpired);
  if (!full.ok()) return full.status();
  if (!expired.ok()) return expired.status();
  stats.dropped_full = *full;
  stats.dropped_expired = *expired;
  return stats;
}

absl::Status FeedQueue::Clear(const std::string& feed) {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare("DELETE FROM cloud_queue WHERE feed = ?");
  if (!st.ok()) return st.status();
  if (absl::Status s = st->Bind(1, feed).Run(); !s.ok()) return s;
  return LoadTotals();
}

absl::Status FeedQueue::Write(const std::function<absl::Status()>& work) {
  std::lock_guard lock(mu_);
  store::Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  if (absl::Status s = work(); !s.ok()) return s;
  return tx.Commit();
}

}  // namespace pharos::cloud
