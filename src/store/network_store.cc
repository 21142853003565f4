#include "store/network_store.h"

namespace pharos::store {
namespace {

constexpr char kColumns[] = "name, soc, vm, subnet, bridge, mode, created_at";

RuntimeNetwork ReadRow(const Statement& st) {
  return {st.ColumnText(0), st.ColumnText(1), st.ColumnText(2), st.ColumnText(3),
          st.ColumnText(4), st.ColumnText(5), st.ColumnText(6)};
}

}  // namespace

absl::Status NetworkStore::Add(const RuntimeNetwork& n) {
  absl::StatusOr<Statement> st = db_.Prepare(std::string("INSERT INTO runtime_networks(") +
                                             kColumns + ") VALUES(?, ?, ?, ?, ?, ?, ?);");
  if (!st.ok()) return st.status();
  absl::Status s = st->Bind(1, n.name)
                       .Bind(2, n.soc)
                       .Bind(3, n.vm)
                       .Bind(4, n.subnet)
                       .Bind(5, n.bridge)
                       .Bind(6, n.mode)
                       .Bind(7, n.created_at)
                       .Run();
  if (!s.ok() && s.message().find("UNIQUE") != std::string_view::npos) {
    return absl::AlreadyExistsError("network " + n.name + " is already set up");
  }
  return s;
}

absl::Status NetworkStore::Remove(const std::string& name) {
  absl::StatusOr<Statement> st = db_.Prepare("DELETE FROM runtime_networks WHERE name = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, name).Run();
}

absl::StatusOr<std::optional<RuntimeNetwork>> NetworkStore::Get(const std::string& name) {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns + " FROM runtime_networks WHERE name = ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, name);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<RuntimeNetwork>();
  return std::optional<RuntimeNetwork>(ReadRow(*st));
}

absl::StatusOr<std::vector<RuntimeNetwork>> NetworkStore::List() {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns + " FROM runtime_networks ORDER BY rowid;");
  if (!st.ok()) return st.status();
  std::vector<RuntimeNetwork> out;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) { out.push_back(ReadRow(r)); });
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace pharos::store
