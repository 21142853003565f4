// Versioned configuration store: every applied configuration is an
// immutable version (id, content hash, YAML, time, source); one of them is
// current. Lives in the SQLite file <state-dir>/pharos.db.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "store/sqlite_db.h"

namespace pharos::store {

struct ConfigVersion {
  int64_t id = 0;
  std::string content_hash;
  std::string yaml;  // empty in listings
  std::string created_at;
  std::string source;  // apply | configure | update | rollback
  std::string status;  // active | inactive
  std::string planned_addresses = "{}";  // JSON {pod: ip}
};

class ConfigStore {
 public:
  // Opens the store on `db` (migrating it) and stamps times with `clock`.
  static absl::StatusOr<std::unique_ptr<ConfigStore>> Open(std::unique_ptr<Database> db,
                                                           const Clock& clock);

  absl::StatusOr<std::optional<ConfigVersion>> Current();
  absl::StatusOr<std::optional<ConfigVersion>> Get(int64_t id);
  absl::StatusOr<std::optional<ConfigVersion>> FindByHash(const std::string& hash);
  // All versions, oldest first, without their YAML.
  absl::StatusOr<std::vector<ConfigVersion>> List();
  // The newest version older than `id` (what "roll back" goes to).
  absl::StatusOr<std::optional<ConfigVersion>> PreviousOf(int64_t id);

  // Stores `yaml` as a new version and makes it current, in one
  // transaction. Returns the new version.
  absl::StatusOr<ConfigVersion> AddAndActivate(const std::string& yaml,
                                               const std::string& content_hash,
                                               const std::string& source,
                                               const std::string& planned_addresses = "{}");
  // Makes an existing version current (rollback, re-apply of old content).
  absl::Status Activate(int64_t id, const std::string& action);
  // No version is current any more (teardown); the versions stay.
  absl::Status Deactivate();

  Database& db() { return *db_; }

 private:
  ConfigStore(std::unique_ptr<Database> db, const Clock& clock)
      : db_(std::move(db)), clock_(clock) {}
  absl::StatusOr<std::optional<ConfigVersion>> QueryOne(std::string_view sql,
                                                        int64_t id_arg,
                                                        const std::string* text_arg);
  absl::Status ActivateLocked(int64_t id, const std::string& action);

  // One connection, used by the controller's changes and by readers
  // (ListConfigVersions) that do not wait for a change to finish.
  std::mutex mu_;
  std::unique_ptr<Database> db_;
  const Clock& clock_;
};

}  // namespace pharos::store
