// The watch journal: every change a watcher is told of, in order, bounded
// to its newest rows. Written by the notifier inside the transaction of
// the event it reports, so a watcher that resumes after an id misses
// nothing that was recorded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "store/sqlite_db.h"

namespace pharos::store {

inline constexpr char kJournalNetworkEvent[] = "network_event";
inline constexpr char kJournalSecurityEvent[] = "security_event";
inline constexpr char kJournalServiceHealth[] = "service_health";
inline constexpr char kJournalPodCompletion[] = "pod_completion";

struct JournalEntry {
  int64_t id = 0;
  std::string at;  // ISO 8601 UTC
  std::string kind;
  std::string subject;
  std::string previous, current;  // a status transition, when the entry is one
  std::string severity;           // security events
  std::string detail;
};

class JournalStore {
 public:
  JournalStore(Database& db, const Clock& clock, int64_t keep)
      : db_(db), clock_(clock), keep_(keep) {}
  // Appends (its id and time are set) and prunes to the newest `keep`.
  absl::StatusOr<JournalEntry> Append(JournalEntry entry);
  // Entries with id > `after_id`, oldest first, at most `limit`.
  absl::StatusOr<std::vector<JournalEntry>> List(int64_t after_id, int limit);
  // The newest id (0 when empty) and the oldest kept (0 when empty).
  absl::StatusOr<int64_t> NewestId();
  absl::StatusOr<int64_t> OldestId();

 private:
  absl::StatusOr<int64_t> One(const char* sql);
  Database& db_;
  const Clock& clock_;
  int64_t keep_;
};

}  // namespace pharos::store
