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
  streams_.clear();
  total_bytes_ = 0;
  auto st = db_.Prepare(
      "SELECT feed, priority, COUNT(*), COALESCE(SUM(length(body)), 0) FROM cloud_queue "
      "GROUP BY feed, priority");
  if (!st.ok()) return st.status();
  return st->ForEachRow([&](const store::Statement& row) {
    Totals& t = streams_[{row.ColumnText(0), row.ColumnInt(1)}];
    t.items = row.ColumnInt(2);
    t.bytes = row.ColumnInt(3);
    total_bytes_ += t.bytes;
  });
}

void FeedQueue::Took(const std::string& feed, int64_t priority, int64_t bytes) {
  Totals& t = streams_[{feed, priority}];
  t.items -= 1;
  t.bytes -= bytes;
  total_bytes_ -= bytes;
}

absl::Status FeedQueue::Count(const char* counter, int64_t n) {
  return n == 0 ? absl::OkStatus() : AddCounter(db_, counter, n);
}

absl::Status FeedQueue::Transact(const std::function<absl::Status()>& work) {
  std::lock_guard lock(mu_);
  auto streams = streams_;
  int64_t total = total_bytes_;
  store::Transaction tx(db_);
  absl::Status s = tx.status();
  if (s.ok()) s = work();
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) {
    streams_ = std::move(streams);  // rolled back: so are the totals
    total_bytes_ = total;
  }
  return s;
}

absl::StatusOr<int64_t> FeedQueue::Enqueue(const std::string& feed,
                                           const std::vector<NewItem>& items,
                                           const std::function<absl::Status()>& also) {
  int64_t dropped = 0;
  int64_t now = UnixMs(clock_.Now());
  absl::Status s = Transact([&]() -> absl::Status {
    for (const NewItem& item : items) {
      auto st = db_.Prepare(
          "INSERT INTO cloud_queue(feed, priority, queued_ms, body) VALUES(?, ?, ?, ?)");
      if (!st.ok()) return st.status();
      auto priority = static_cast<int64_t>(item.priority);
      st->Bind(1, feed).Bind(2, priority).Bind(3, now);
      st->BindBlob(4, item.body);
      if (absl::Status r = st->Run(); !r.ok()) return r;
      Totals& t = streams_[{feed, priority}];
      t.items += 1;
      t.bytes += static_cast<int64_t>(item.body.size());
      total_bytes_ += static_cast<int64_t>(item.body.size());
    }
    if (also) {
      if (absl::Status r = also(); !r.ok()) return r;
    }
    absl::StatusOr<int64_t> d = DropForBytes();
    if (!d.ok()) return d.status();
    dropped = *d;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return dropped;
}

absl::StatusOr<int64_t> FeedQueue::DropForBytes() {
  int64_t dropped = 0;
  while (total_bytes_ > limits_.max_bytes) {
    // The lowest class first, its oldest first; a chunk at a time.
    auto pick = db_.Prepare(
        "SELECT seq, feed, priority, length(body) FROM cloud_queue ORDER BY priority, seq "
        "LIMIT 256");
    if (!pick.ok()) return pick.status();
    struct Victim {
      int64_t seq;
      std::string feed;
      int64_t priority, bytes;
    };
    std::vector<Victim> victims;
    int64_t over = total_bytes_ - limits_.max_bytes;
    int64_t freed = 0;
    absl::Status s = pick->ForEachRow([&](const store::Statement& row) {
      if (freed >= over) return;
      victims.push_back({row.ColumnInt(0), row.ColumnText(1), row.ColumnInt(2), row.ColumnInt(3)});
      freed += row.ColumnInt(3);
    });
    if (!s.ok()) return s;
    if (victims.empty()) break;
    for (const Victim& v : victims) {
      auto del = db_.Prepare("DELETE FROM cloud_queue WHERE seq = ?");
      if (!del.ok()) return del.status();
      if (absl::Status d = del->Bind(1, v.seq).Run(); !d.ok()) return d;
      Took(v.feed, v.priority, v.bytes);
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
  return Transact([&]() -> absl::Status {
    for (int64_t seq : seqs) {
      auto st = db_.Prepare(
          "DELETE FROM cloud_queue WHERE seq = ? RETURNING feed, priority, length(body)");
      if (!st.ok()) return st.status();
      st->Bind(1, seq);
      // Not there: dropped, or a repeated receipt.
      absl::Status s = st->ForEachRow([&](const store::Statement& row) {
        Took(row.ColumnText(0), row.ColumnInt(1), row.ColumnInt(2));
      });
      if (!s.ok()) return s;
    }
    return also ? also() : absl::OkStatus();
  });
}

absl::Status FeedQueue::AcknowledgeRanges(const std::string& feed, const std::vector<Range>& ranges,
                                          const std::function<absl::Status()>& also) {
  return Transact([&]() -> absl::Status {
    for (const Range& r : ranges) {
      auto priority = static_cast<int64_t>(r.priority);
      auto st = db_.Prepare(
          "DELETE FROM cloud_queue WHERE feed = ? AND priority = ? AND seq BETWEEN ? AND ? "
          "RETURNING length(body)");
      if (!st.ok()) return st.status();
      st->Bind(1, feed).Bind(2, priority).Bind(3, r.first).Bind(4, r.last);
      absl::Status s = st->ForEachRow(
          [&](const store::Statement& row) { Took(feed, priority, row.ColumnInt(0)); });
      if (!s.ok()) return s;
    }
    return also ? also() : absl::OkStatus();
  });
}

absl::StatusOr<int64_t> FeedQueue::Expire() {
  int64_t cutoff = UnixMs(clock_.Now()) -
                   std::chrono::duration_cast<std::chrono::milliseconds>(limits_.max_age).count();
  int64_t n = 0;
  absl::Status s = Transact([&]() -> absl::Status {
    auto st = db_.Prepare(
        "DELETE FROM cloud_queue WHERE queued_ms < ? RETURNING feed, priority, length(body)");
    if (!st.ok()) return st.status();
    st->Bind(1, cutoff);
    absl::Status r = st->ForEachRow([&](const store::Statement& row) {
      ++n;
      Took(row.ColumnText(0), row.ColumnInt(1), row.ColumnInt(2));
    });
    if (!r.ok()) return r;
    return Count(kDroppedExpired, n);
  });
  if (!s.ok()) return s;
  return n;
}

absl::StatusOr<QueueStats> FeedQueue::Stats(const std::string& feed) {
  QueueStats stats;
  {
    std::lock_guard lock(mu_);
    for (int p = 0; p < kPriorityCount; ++p) {
      auto it = streams_.find({feed, p});
      if (it == streams_.end()) continue;
      stats.depth_by_priority[p] = it->second.items;
      stats.depth += it->second.items;
      stats.bytes += it->second.bytes;
    }
  }
  // The oldest: the head of each stream, through the stream index.
  for (int p = 0; p < kPriorityCount; ++p) {
    if (stats.depth_by_priority[p] == 0) continue;
    auto st = reader_.Prepare(
        "SELECT queued_ms FROM cloud_queue WHERE feed = ? AND priority = ? ORDER BY seq LIMIT 1");
    if (!st.ok()) return st.status();
    st->Bind(1, feed).Bind(2, int64_t{p});
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (*row && (stats.oldest_ms == 0 || st->ColumnInt(0) < stats.oldest_ms)) {
      stats.oldest_ms = st->ColumnInt(0);
    }
  }
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

absl::Status FeedQueue::Write(const std::function<absl::Status()>& work) { return Transact(work); }

}  // namespace pharos::cloud
