#include "store/pod_store.h"

#include <sqlite3.h>

namespace pharos::store {
namespace {

constexpr char kColumns[] =
    "name, soc, vm, subnet, ip, spec_yaml, request_id, state, deadline_at, created_at, "
    "container_id, origin, notes, network";

RuntimePod ReadRow(const Statement& st) {
  return {st.ColumnText(0),  st.ColumnText(1), st.ColumnText(2),  st.ColumnText(3),
          st.ColumnText(4),  st.ColumnText(5), st.ColumnText(6),  st.ColumnText(7),
          st.ColumnText(8),  st.ColumnText(9), st.ColumnText(10), st.ColumnText(11),
          st.ColumnText(12), st.ColumnText(13)};
}

}  // namespace

absl::Status PodStore::Put(const RuntimePod& p) {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("INSERT OR REPLACE INTO runtime_pods(") + kColumns +
                  ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);");
  if (!st.ok()) return st.status();
  absl::Status s = st->Bind(1, p.name)
                       .Bind(2, p.soc)
                       .Bind(3, p.vm)
                       .Bind(4, p.subnet)
                       .Bind(5, p.ip)
                       .Bind(6, p.spec_yaml)
                       .Bind(7, p.request_id)
                       .Bind(8, p.state)
                       .Bind(9, p.deadline_at)
                       .Bind(10, p.created_at)
                       .Bind(11, p.container_id)
                       .Bind(12, p.origin)
                       .Bind(13, p.notes)
                       .Bind(14, p.network)
                       .Run();
  if (!s.ok() && s.message().find("UNIQUE") != std::string_view::npos) {
    return absl::AlreadyExistsError("address " + p.ip + " is leased to another pod");
  }
  return s;
}

absl::Status PodStore::SetState(const std::string& name, const std::string& state) {
  absl::StatusOr<Statement> st = db_.Prepare("UPDATE runtime_pods SET state = ? WHERE name = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, state).Bind(2, name).Run();
}

absl::Status PodStore::Remove(const std::string& name) {
  absl::StatusOr<Statement> st = db_.Prepare("DELETE FROM runtime_pods WHERE name = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, name).Run();
}

absl::Status PodStore::Settle(const std::vector<std::string>& ready,
                              const std::vector<std::string>& gone) {
  if (ready.empty() && gone.empty()) return absl::OkStatus();
  Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  for (const auto& name : ready) {
    if (absl::Status s = SetState(name, "ready"); !s.ok()) return s;
  }
  for (const auto& name : gone) {
    if (absl::Status s = Remove(name); !s.ok()) return s;
  }
  return tx.Commit();
}

absl::StatusOr<std::optional<RuntimePod>> PodStore::Get(const std::string& name) {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns + " FROM runtime_pods WHERE name = ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, name);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<RuntimePod>();
  return std::optional<RuntimePod>(ReadRow(*st));
}

absl::StatusOr<std::vector<RuntimePod>> PodStore::List() {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns + " FROM runtime_pods ORDER BY rowid;");
  if (!st.ok()) return st.status();
  std::vector<RuntimePod> out;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) { out.push_back(ReadRow(r)); });
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace pharos::store
