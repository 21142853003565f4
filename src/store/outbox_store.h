// The callback outbox: notifications waiting for Piccolo's acknowledgement.
// Rows are appended inside the caller's transaction (together with what
// they report) and deleted once delivered. Bounded: past `capacity`
// pending rows the oldest is dropped and counted (see docs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "store/sqlite_db.h"

namespace pharos::store {

struct OutboxEntry {
  int64_t id = 0;
  std::string kind;
  std::string component;
  std::string payload;
  std::string created_at;
  int attempts = 0;
  std::string last_error;
  std::string dead_at;  // set once dead-lettered
};

class OutboxStore {
 public:
  OutboxStore(Database& db, const Clock& clock, int64_t capacity)
      : db_(db), clock_(clock), capacity_(capacity) {}

  // Call inside a transaction that also writes what the entry reports.
  absl::StatusOr<int64_t> Enqueue(const std::string& kind, const std::string& component,
                                  const std::string& payload);
  // The oldest pending entries, oldest first.
  absl::StatusOr<std::vector<OutboxEntry>> Pending(int limit);
  absl::Status MarkDelivered(int64_t id);
  absl::Status RecordFailure(int64_t id, const std::string& error);
  absl::StatusOr<int64_t> PendingCount();
  // How many entries were dropped because the outbox was full, ever.
  absl::StatusOr<int64_t> DroppedCount();
  // Sets the entry aside: no longer pending, kept (the newest
  // kMaxDeadLetters) for operators to see, counted.
  absl::Status DeadLetter(int64_t id, const std::string& error);
  // The dead letters, newest first.
  absl::StatusOr<std::vector<OutboxEntry>> DeadLetters(int limit);
  // How many entries were dead-lettered, ever.
  absl::StatusOr<int64_t> DeadLetteredCount();

  static constexpr int64_t kMaxDeadLetters = 1000;

 private:
  Database& db_;
  const Clock& clock_;
  int64_t capacity_;
};

}  // namespace pharos::store
