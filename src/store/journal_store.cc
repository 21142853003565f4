#include "store/journal_store.h"

#include "store/retention.h"

namespace pharos::store {

absl::StatusOr<JournalEntry> JournalStore::Append(JournalEntry e) {
  e.at = FormatIso8601Utc(clock_.Now());
  absl::StatusOr<Statement> st = db_.Prepare(
      "INSERT INTO watch_journal(at, kind, subject, previous, current, severity, detail) "
      "VALUES(?, ?, ?, ?, ?, ?, ?);");
  if (!st.ok()) return st.status();
  if (absl::Status s = st->Bind(1, e.at)
                           .Bind(2, e.kind)
                           .Bind(3, e.subject)
                           .Bind(4, e.previous)
                           .Bind(5, e.current)
                           .Bind(6, e.severity)
                           .Bind(7, e.detail)
                           .Run();
      !s.ok()) {
    return s;
  }
  e.id = db_.LastInsertId();
  if (absl::Status s = PruneToNewest(db_, "watch_journal", e.id, keep_); !s.ok()) return s;
  return e;
}

absl::StatusOr<std::vector<JournalEntry>> JournalStore::List(int64_t after_id, int limit) {
  absl::StatusOr<Statement> st = db_.Prepare(
      "SELECT id, at, kind, subject, previous, current, severity, detail FROM watch_journal "
      "WHERE id > ? ORDER BY id LIMIT ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
  std::vector<JournalEntry> out;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) {
        out.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnText(3),
                       r.ColumnText(4), r.ColumnText(5), r.ColumnText(6), r.ColumnText(7)});
      });
      !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<int64_t> JournalStore::One(const char* sql) {
  absl::StatusOr<Statement> st = db_.Prepare(sql);
  if (!st.ok()) return st.status();
  int64_t value = 0;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) { value = r.ColumnInt(0); });
      !s.ok()) {
    return s;
  }
  return value;
}

absl::StatusOr<int64_t> JournalStore::NewestId() {
  return One("SELECT COALESCE(MAX(id), 0) FROM watch_journal;");
}
absl::StatusOr<int64_t> JournalStore::OldestId() {
  return One("SELECT COALESCE(MIN(id), 0) FROM watch_journal;");
}

}  // namespace pharos::store
