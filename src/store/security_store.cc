#include "store/security_store.h"

#include "store/retention.h"

#include "common/strings.h"

namespace pharos::store {

absl::StatusOr<std::optional<std::string>> SecurityStateStore::Get(const std::string& key) {
  absl::StatusOr<Statement> st = db_.Prepare("SELECT value FROM security_state WHERE key = ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, key);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(st->ColumnText(0));
}

absl::Status SecurityStateStore::Set(const std::string& key, const std::string& value) {
  absl::StatusOr<Statement> st = db_.Prepare(
      "INSERT INTO security_state(key, value, updated_at) VALUES(?, ?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;");
  if (!st.ok()) return st.status();
  return st->Bind(1, key).Bind(2, value).Bind(3, FormatIso8601Utc(clock_.Now())).Run();
}

absl::Status SecurityStateStore::Erase(const std::string& key) {
  absl::StatusOr<Statement> st = db_.Prepare("DELETE FROM security_state WHERE key = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, key).Run();
}

absl::StatusOr<SecurityEventRow> SecurityEventStore::Append(SecurityEventRow row) {
  row.occurred_at = FormatIso8601Utc(clock_.Now());
  absl::StatusOr<Statement> st = db_.Prepare(
      "INSERT INTO security_events(occurred_at, severity, event_type, source, destination, rule, "
      "packets, details) VALUES(?, ?, ?, ?, ?, ?, ?, ?);");
  if (!st.ok()) return st.status();
  if (absl::Status s = st->Bind(1, row.occurred_at)
                           .Bind(2, row.severity)
                           .Bind(3, row.event_type)
                           .Bind(4, row.source)
                           .Bind(5, row.destination)
                           .Bind(6, row.rule)
                           .Bind(7, row.packets)
                           .Bind(8, row.details)
                           .Run();
      !s.ok()) {
    return s;
  }
  row.id = db_.LastInsertId();
  if (absl::Status s = PruneToNewest(db_, "security_events", row.id, keep_); !s.ok()) return s;
  return row;
}

absl::StatusOr<std::vector<SecurityEventRow>> SecurityEventStore::List(int64_t after_id,
                                                                       int limit) {
  absl::StatusOr<Statement> st = db_.Prepare(
      "SELECT id, occurred_at, severity, event_type, source, destination, rule, packets, details "
      "FROM security_events WHERE id > ? ORDER BY id LIMIT ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
  std::vector<SecurityEventRow> out;
  absl::Status s = st->ForEachRow([&](const Statement& r) {
    out.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnText(3),
                   r.ColumnText(4), r.ColumnText(5), r.ColumnText(6), r.ColumnInt(7),
                   r.ColumnText(8)});
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<AuditRow> AuditStore::Append(AuditRow row) {
  absl::StatusOr<AuditRow> out = absl::InternalError("not written");
  absl::Status s = group_.Run([&] {
    out = AppendLocked(row);
    return out.status();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<AuditRow> AuditStore::AppendLocked(AuditRow row) {
  row.at = FormatIso8601Utc(clock_.Now());
  absl::StatusOr<Statement> st = db_.Prepare(
      "INSERT INTO audit_log(at, principal, role, method, peer, result) VALUES(?, ?, ?, ?, ?, ?);");
  if (!st.ok()) return st.status();
  if (absl::Status s = st->Bind(1, row.at)
                           .Bind(2, row.principal)
                           .Bind(3, row.role)
                           .Bind(4, row.method)
                           .Bind(5, row.peer)
                           .Bind(6, row.result)
                           .Run();
      !s.ok()) {
    return s;
  }
  row.id = db_.LastInsertId();
  if (absl::Status s = PruneToNewest(db_, "audit_log", row.id, keep_); !s.ok()) return s;
  return row;
}

absl::StatusOr<std::vector<AuditRow>> AuditStore::List(int64_t after_id, int limit) {
  std::lock_guard lock(mu_);
  absl::StatusOr<Statement> st = db_.Prepare(
      "SELECT id, at, principal, role, method, peer, result FROM audit_log WHERE id > ? "
      "ORDER BY id LIMIT ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
  std::vector<AuditRow> out;
  absl::Status s = st->ForEachRow([&](const Statement& r) {
    out.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnText(3),
                   r.ColumnText(4), r.ColumnText(5), r.ColumnText(6)});
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace pharos::store
