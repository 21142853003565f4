#include "store/config_store.h"

#include "common/strings.h"
#include "store/migrations.h"

namespace pharos::store {
namespace {

constexpr char kColumns[] =
    "id, content_hash, yaml, created_at, source, status, planned_addresses";

ConfigVersion ReadRow(const Statement& st) {
  return ConfigVersion{st.ColumnInt(0),  st.ColumnText(1), st.ColumnText(2),
                       st.ColumnText(3), st.ColumnText(4), st.ColumnText(5),
                       st.ColumnText(6)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConfigStore>> ConfigStore::Open(
    std::unique_ptr<Database> db, const Clock& clock) {
  if (absl::Status s = db->Migrate(PharosMigrations()); !s.ok()) return s;
  return std::unique_ptr<ConfigStore>(new ConfigStore(std::move(db), clock));
}

absl::StatusOr<std::optional<ConfigVersion>> ConfigStore::QueryOne(
    std::string_view sql, int64_t id_arg, const std::string* text_arg) {
  std::lock_guard lock(mu_);
  absl::StatusOr<Statement> st = db_->Prepare(sql);
  if (!st.ok()) return st.status();
  if (text_arg) {
    st->Bind(1, *text_arg);
  } else if (id_arg >= 0) {
    st->Bind(1, id_arg);
  }
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ConfigVersion>();
  return std::optional<ConfigVersion>(ReadRow(*st));
}

absl::StatusOr<std::optional<ConfigVersion>> ConfigStore::Current() {
  return QueryOne(StrCat("SELECT ", kColumns,
                               " FROM config_versions WHERE id = (SELECT CAST(value AS "
                               "INTEGER) FROM state WHERE key = 'current_version');"),
                  -1, nullptr);
}

absl::StatusOr<std::optional<ConfigVersion>> ConfigStore::Get(int64_t id) {
  return QueryOne(StrCat("SELECT ", kColumns, " FROM config_versions WHERE id = ?;"),
                  id, nullptr);
}

absl::StatusOr<std::optional<ConfigVersion>> ConfigStore::FindByHash(
    const std::string& hash) {
  return QueryOne(
      StrCat("SELECT ", kColumns, " FROM config_versions WHERE content_hash = ?;"),
      -1, &hash);
}

absl::StatusOr<std::optional<ConfigVersion>> ConfigStore::PreviousOf(int64_t id) {
  return QueryOne(StrCat("SELECT ", kColumns,
                               " FROM config_versions WHERE id < ? ORDER BY id DESC LIMIT 1;"),
                  id, nullptr);
}

absl::StatusOr<std::vector<ConfigVersion>> ConfigStore::List() {
  std::lock_guard lock(mu_);
  absl::StatusOr<Statement> st = db_->Prepare(
      "SELECT id, content_hash, '', created_at, source, status, planned_addresses "
      "FROM config_versions "
      "ORDER BY id;");
  if (!st.ok()) return st.status();
  std::vector<ConfigVersion> out;
  if (absl::Status s = st->ForEachRow([&](const Statement& r) { out.push_back(ReadRow(r)); });
      !s.ok()) {
    return s;
  }
  return out;
}

absl::Status ConfigStore::ActivateLocked(int64_t id, const std::string& action) {
  std::string now = FormatIso8601Utc(clock_.Now());
  if (absl::Status s = db_->Exec(
          "UPDATE config_versions SET status = 'inactive' WHERE status = 'active';");
      !s.ok())
    return s;
  absl::StatusOr<Statement> mark =
      db_->Prepare("UPDATE config_versions SET status = 'active' WHERE id = ?;");
  if (!mark.ok()) return mark.status();
  if (absl::Status s = mark->Bind(1, id).Run(); !s.ok()) return s;
  absl::StatusOr<Statement> current = db_->Prepare(
      "INSERT INTO state(key, value) VALUES('current_version', ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value;");
  if (!current.ok()) return current.status();
  if (absl::Status s = current->Bind(1, StrCat(id)).Run(); !s.ok()) return s;
  absl::StatusOr<Statement> log = db_->Prepare(
      "INSERT INTO config_activations(version_id, action, activated_at) VALUES(?, ?, ?);");
  if (!log.ok()) return log.status();
  return log->Bind(1, id).Bind(2, action).Bind(3, now).Run();
}

absl::StatusOr<ConfigVersion> ConfigStore::AddAndActivate(const std::string& yaml,
                                                          const std::string& content_hash,
                                                          const std::string& source,
                                                          const std::string& planned_addresses) {
  std::lock_guard lock(mu_);
  Transaction tx(*db_);
  if (!tx.status().ok()) return tx.status();
  std::string now = FormatIso8601Utc(clock_.Now());
  absl::StatusOr<Statement> insert = db_->Prepare(
      "INSERT INTO config_versions(content_hash, yaml, created_at, source, planned_addresses) "
      "VALUES(?, ?, ?, ?, ?);");
  if (!insert.ok()) return insert.status();
  if (absl::Status s = insert->Bind(1, content_hash).Bind(2, yaml).Bind(3, now).Bind(4, source).Bind(5, planned_addresses).Run();
      !s.ok())
    return s;
  int64_t id = db_->LastInsertId();
  if (absl::Status s = ActivateLocked(id, source); !s.ok()) return s;
  if (absl::Status s = tx.Commit(); !s.ok()) return s;
  return ConfigVersion{id, content_hash, yaml, now, source, "active", planned_addresses};
}

absl::Status ConfigStore::Activate(int64_t id, const std::string& action) {
  std::lock_guard lock(mu_);
  Transaction tx(*db_);
  if (!tx.status().ok()) return tx.status();
  if (absl::Status s = ActivateLocked(id, action); !s.ok()) return s;
  return tx.Commit();
}

absl::Status ConfigStore::Deactivate() {
  std::lock_guard lock(mu_);
  Transaction tx(*db_);
  if (!tx.status().ok()) return tx.status();
  if (absl::Status s = db_->Exec(
          "UPDATE config_versions SET status = 'inactive' WHERE status = 'active';"
          "DELETE FROM state WHERE key = 'current_version';");
      !s.ok())
    return s;
  return tx.Commit();
}

}  // namespace pharos::store
