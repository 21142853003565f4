#include "store/service_store.h"

#include <nlohmann/json.hpp>

namespace pharos::store {
namespace {

constexpr char kColumns[] =
    "id, name, protocol, host, port, metadata, location, source, status, created_at, "
    "updated_at";

std::string MetadataJson(const std::map<std::string, std::string>& m) {
  return nlohmann::json(m).dump();
}

ServiceRecord ReadRow(const Statement& st) {
  ServiceRecord s;
  s.id = st.ColumnText(0);
  s.name = st.ColumnText(1);
  s.protocol = st.ColumnText(2);
  s.host = st.ColumnText(3);
  s.port = static_cast<int>(st.ColumnInt(4));
  nlohmann::json m = nlohmann::json::parse(st.ColumnText(5), nullptr, false);
  if (m.is_object()) {
    for (const auto& [k, v] : m.items()) {
      if (v.is_string()) s.metadata[k] = v.get<std::string>();
    }
  }
  s.location = st.ColumnText(6);
  s.source = st.ColumnText(7);
  s.status = st.ColumnText(8);
  s.created_at = st.ColumnText(9);
  s.updated_at = st.ColumnText(10);
  return s;
}

absl::Status Clash(const absl::Status& s, const ServiceRecord& r) {
  if (!s.ok() && s.message().find("UNIQUE") != std::string_view::npos) {
    return absl::AlreadyExistsError("service " + r.name + " (" + r.protocol + ") is already at " +
                                    r.host + ":" + std::to_string(r.port));
  }
  return s;
}

}  // namespace

absl::Status ServiceStore::Insert(const ServiceRecord& r) {
  absl::StatusOr<Statement> st = db_.Prepare(std::string("INSERT INTO services(") + kColumns +
                                             ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);");
  if (!st.ok()) return st.status();
  return Clash(st->Bind(1, r.id)
                   .Bind(2, r.name)
                   .Bind(3, r.protocol)
                   .Bind(4, r.host)
                   .Bind(5, int64_t{r.port})
                   .Bind(6, MetadataJson(r.metadata))
                   .Bind(7, r.location)
                   .Bind(8, r.source)
                   .Bind(9, r.status)
                   .Bind(10, r.created_at)
                   .Bind(11, r.updated_at)
                   .Run(),
               r);
}

absl::Status ServiceStore::Update(const ServiceRecord& r) {
  absl::StatusOr<Statement> st = db_.Prepare(
      "UPDATE services SET host = ?, port = ?, location = ?, status = ?, updated_at = ? "
      "WHERE id = ?;");
  if (!st.ok()) return st.status();
  return Clash(st->Bind(1, r.host)
                   .Bind(2, int64_t{r.port})
                   .Bind(3, r.location)
                   .Bind(4, r.status)
                   .Bind(5, r.updated_at)
                   .Bind(6, r.id)
                   .Run(),
               r);
}

absl::Status ServiceStore::SetStatus(const std::string& id, const std::string& status,
                                     const std::string& at) {
  absl::StatusOr<Statement> st =
      db_.Prepare("UPDATE services SET status = ?, updated_at = ? WHERE id = ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, status).Bind(2, at).Bind(3, id).Run();
}

absl::StatusOr<bool> ServiceStore::Remove(const std::string& id) {
  absl::StatusOr<Statement> st = db_.Prepare("DELETE FROM services WHERE id = ?;");
  if (!st.ok()) return st.status();
  if (absl::Status s = st->Bind(1, id).Run(); !s.ok()) return s;
  return sqlite3_changes(db_.raw()) > 0;
}

absl::StatusOr<std::optional<ServiceRecord>> ServiceStore::One(Statement& st) {
  absl::StatusOr<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ServiceRecord>();
  return std::optional<ServiceRecord>(ReadRow(st));
}

absl::StatusOr<std::optional<ServiceRecord>> ServiceStore::Get(const std::string& id) {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns + " FROM services WHERE id = ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, id);
  return One(*st);
}

absl::StatusOr<std::optional<ServiceRecord>> ServiceStore::Find(const std::string& name,
                                                                const std::string& protocol,
                                                                const std::string& host, int port) {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns +
                  " FROM services WHERE name = ? AND protocol = ? AND host = ? AND port = ?;");
  if (!st.ok()) return st.status();
  st->Bind(1, name).Bind(2, protocol).Bind(3, host).Bind(4, int64_t{port});
  return One(*st);
}

absl::StatusOr<std::vector<ServiceRecord>> ServiceStore::List() {
  absl::StatusOr<Statement> st =
      db_.Prepare(std::string("SELECT ") + kColumns + " FROM services ORDER BY name, id;");
  if (!st.ok()) return st.status();
  std::vector<ServiceRecord> out;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) { out.push_back(ReadRow(r)); });
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace pharos::store
