#include "store/outbox_store.h"

#include "common/strings.h"

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
    if (absl::Status s =
            db_.Exec("DELETE FROM callback_outbox WHERE id = "
                     "(SELECT MIN(id) FROM callback_outbox WHERE dead_at IS NULL);"
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

namespace {

absl::StatusOr<std::vector<OutboxEntry>> Query(Database& db, const char* sql, int limit) {
  absl::StatusOr<Statement> st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  st->Bind(1, static_cast<int64_t>(limit));
  std::vector<OutboxEntry> out;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) {
        out.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnBlob(3),
                       r.ColumnText(4), static_cast<int>(r.ColumnInt(5)), r.ColumnText(6),
                       r.ColumnText(7)});
      });
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<OutboxEntry>> OutboxStore::Pending(int limit) {
  return Query(db_,
               "SELECT id, kind, component, payload, created_at, attempts, last_error, '' "
               "FROM callback_outbox WHERE dead_at IS NULL ORDER BY id LIMIT ?;",
               limit);
}

absl::StatusOr<std::vector<OutboxEntry>> OutboxStore::DeadLetters(int limit) {
  return Query(db_,
               "SELECT id, kind, component, payload, created_at, attempts, last_error, dead_at "
               "FROM callback_outbox WHERE dead_at IS NOT NULL ORDER BY id DESC LIMIT ?;",
               limit);
}

absl::Status OutboxStore::DeadLetter(int64_t id, const std::string& error) {
  // One statement each: the dispatcher's thread shares the connection with
  // the notifier's transactions, so it opens none of its own.
  absl::StatusOr<Statement> st = db_.Prepare(
      "UPDATE callback_outbox SET dead_at = ?, attempts = attempts + 1, last_error = ? "
      "WHERE id = ? AND dead_at IS NULL;");
  if (!st.ok()) return st.status();
  if (absl::Status s = st->Bind(1, FormatIso8601Utc(clock_.Now())).Bind(2, error).Bind(3, id).Run();
      !s.ok()) {
    return s;
  }
  return db_.Exec(
      StrCat("INSERT INTO state(key, value) VALUES('outbox_dead_lettered', '1') "
             "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;"
             "DELETE FROM callback_outbox WHERE dead_at IS NOT NULL AND id NOT IN "
             "(SELECT id FROM callback_outbox WHERE dead_at IS NOT NULL ORDER BY id DESC LIMIT ",
             kMaxDeadLetters, ");"));
}

absl::StatusOr<int64_t> OutboxStore::DeadLetteredCount() {
  return QueryInt(db_,
                  "SELECT CAST(value AS INTEGER) FROM state WHERE key = 'outbox_dead_lettered';");
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
  return QueryInt(db_, "SELECT COUNT(*) FROM callback_outbox WHERE dead_at IS NULL;");
}

absl::StatusOr<int64_t> OutboxStore::DroppedCount() {
  return QueryInt(db_, "SELECT CAST(value AS INTEGER) FROM state WHERE key = 'outbox_dropped';");
}

}  // namespace pharos::store
