#include "store/event_store.h"

namespace pharos::store {

absl::StatusOr<NetworkEvent> EventStore::Append(const std::string& component,
                                                const std::string& kind,
                                                const std::string& detail) {
  NetworkEvent e{0, FormatIso8601Utc(clock_.Now()), component, kind, detail};
  absl::StatusOr<Statement> insert = db_.Prepare(
      "INSERT INTO network_events(occurred_at, component, kind, detail) VALUES(?, ?, ?, ?);");
  if (!insert.ok()) return insert.status();
  if (absl::Status s = insert->Bind(1, e.occurred_at).Bind(2, component).Bind(3, kind)
                           .Bind(4, detail).Run();
      !s.ok()) {
    return s;
  }
  e.id = db_.LastInsertId();
  return e;
}

absl::StatusOr<std::vector<NetworkEvent>> EventStore::List(int64_t after_id, int limit) {
  absl::StatusOr<Statement> st = db_.Prepare(
      "SELECT id, occurred_at, component, kind, detail FROM network_events WHERE id > ? "
      "ORDER BY id LIMIT ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
  std::vector<NetworkEvent> out;
  while (true) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({st->ColumnInt(0), st->ColumnText(1), st->ColumnText(2), st->ColumnText(3),
                   st->ColumnText(4)});
  }
  return out;
}

}  // namespace pharos::store
