// The security controller's durable state: key/value settings (configured
// policy, emergency mode), the security events, and the audit log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "store/group_commit.h"
#include "store/sqlite_db.h"

namespace pharos::store {

class SecurityStateStore {
 public:
  SecurityStateStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key);
  absl::Status Set(const std::string& key, const std::string& value);
  absl::Status Erase(const std::string& key);

 private:
  Database& db_;
  const Clock& clock_;
};

struct SecurityEventRow {
  int64_t id = 0;
  std::string occurred_at;
  std::string severity;  // INFO | WARNING | CRITICAL
  std::string event_type;
  std::string source;
  std::string destination;
  std::string rule;
  int64_t packets = 0;
  std::string details;
};

// Both logs keep the newest `keep` rows (0: all): an attacker knocking
// without end must not fill the disk. Pruning is by id, in the same
// statement sequence as the insert.
inline constexpr int64_t kDefaultLogKeep = 100000;

class SecurityEventStore {
 public:
  SecurityEventStore(Database& db, const Clock& clock, int64_t keep = kDefaultLogKeep)
      : db_(db), clock_(clock), keep_(keep) {}
  // Stamps occurred_at and id.
  absl::StatusOr<SecurityEventRow> Append(SecurityEventRow row);
  // Newest last; events with id > after_id, at most `limit`.
  absl::StatusOr<std::vector<SecurityEventRow>> List(int64_t after_id, int limit);

 private:
  Database& db_;
  const Clock& clock_;
  int64_t keep_;
};

struct AuditRow {
  int64_t id = 0;
  std::string at;
  std::string principal;
  std::string role;
  std::string method;
  std::string peer;
  std::string result;
};

// Thread-safe: concurrent appends share one commit (group_commit.h), so an
// audited call waits for one fsync with its neighbours, not after them.
class AuditStore {
 public:
  AuditStore(Database& db, const Clock& clock, int64_t keep = kDefaultLogKeep)
      : db_(db), clock_(clock), keep_(keep), group_(db, mu_) {}
  // Returns once the row is durable.
  absl::StatusOr<AuditRow> Append(AuditRow row);
  absl::StatusOr<std::vector<AuditRow>> List(int64_t after_id, int limit);
  const GroupCommit& group_commit() const { return group_; }

 private:
  absl::StatusOr<AuditRow> AppendLocked(AuditRow row);
  Database& db_;
  const Clock& clock_;
  int64_t keep_;
  std::mutex mu_;  // the connection
  GroupCommit group_;
};

}  // namespace pharos::store
