#include "store/outbox_store.h"

namespace pharos::store {
namespace {

absl::StatusOr<int64_t> QueryInt(Database& db, const char* sql) {
  absl::StatusOr<Statement> st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  return *row ? st->ColumnInt(0) : 0;
}

}  // namespace

absl::StatusOr<int64_t> OutboxStore::Enqueue(const std::string& kind,
                                             const std::string& component,
                                             const std::string& payload) {
  absl::StatusOr<int64_t> pending = PendingCount();
  if (!pending.ok()) return pending.status();
  if (*pending >= capacity_) {
    // Full: the oldest goes, and the loss is counted where operators look.
    if (absl::Status s = db_.Exec(
            "DELETE FROM callback_outbox WHERE id = (SELECT MIN(id) FROM callback_outbox);"
            "INSERT INTO state(key, value) VALUES('outbox_dropped', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;");
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<Statement> insert = db_.Prepare(
      "INSERT INTO callback_outbox(kind, component, payload, created_at) VALUES(?, ?, ?, ?);");
  if (!insert.ok()) return insert.status();
  if (absl::Status s = insert->Bind(1, kind).Bind(2, component).BindBlob(3, payload)
                           .Bind(4, FormatIso8601Utc(clock_.Now())).Run();
      !s.ok()) {
    return s;
  }
  return db_.LastInsertId();
}

absl::StatusOr<std::vector<OutboxEntry>> OutboxStore::Pending(int limit) {
  absl::StatusOr<Statement> st = db_.Prepare(
      "SELECT id, kind, component, payload, created_at, attempts, last_error "
      "FROM callback_outbox ORDER BY id LIMIT ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, static_cast<int64_t>(limit));
  std::vector<OutboxEntry> out;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) {
        out.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnBlob(3),
                       r.ColumnText(4), static_cast<int>(r.ColumnInt(5)), r.ColumnText(6)});
      });
      !s.ok()) {
    return s;
  }
  return out;
}

absl::Status OutboxStore::MarkDelivered(int64_t id) {
  absl::StatusOr<Statement> st = db_.Prepare("DELETE FROM callback_outbox WHERE id = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, id).Run();
}

absl::Status OutboxStore::RecordFailure(int64_t id, const std::string& error) {
  absl::StatusOr<Statement> st = db_.Prepare(
      "UPDATE callback_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, error).Bind(2, id).Run();
}

absl::StatusOr<int64_t> OutboxStore::PendingCount() {
  return QueryInt(db_, "SELECT COUNT(*) FROM callback_outbox;");
}

absl::StatusOr<int64_t> OutboxStore::DroppedCount() {
  return QueryInt(db_, "SELECT CAST(value AS INTEGER) FROM state WHERE key = 'outbox_dropped';");
}

}  // namespace pharos::store
