// Network events (drift repaired, converged after a restart, teardown),
// appended in order and kept in the state database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "store/sqlite_db.h"

namespace pharos::store {

struct NetworkEvent {
  int64_t id = 0;
  std::string occurred_at;  // ISO 8601 UTC
  std::string component;
  std::string kind;  // drift-repaired | converged-on-start | teardown
  std::string detail;
};

class EventStore {
 public:
  EventStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  absl::StatusOr<NetworkEvent> Append(const std::string& component, const std::string& kind,
                                      const std::string& detail);
  // Events with id > `after_id`, oldest first, at most `limit`.
  absl::StatusOr<std::vector<NetworkEvent>> List(int64_t after_id, int limit);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace pharos::store
