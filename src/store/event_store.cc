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
  if (absl::Status s = st->ForEachRow([&](const Statement& r) {
        out.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnText(3),
                       r.ColumnText(4)});
      });
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace pharos::store
