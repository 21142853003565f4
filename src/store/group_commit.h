// Group commit: writes that arrive together on one connection share one
// transaction, so N concurrent callers wait for one commit (one fsync at
// synchronous=FULL) instead of N in a row. The first caller to find no
// commit in progress leads: it takes every write queued so far, runs each
// in a savepoint of its own (a failing write is rolled back alone and told
// its own error), commits, and wakes the others; whoever arrived meanwhile
// leads the next group.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "absl/status/status.h"
#include "store/sqlite_db.h"

namespace pharos::store {

class GroupCommit {
 public:
  // `connection_mu`: what every other user of `db` holds around its
  // statements; the leader holds it for the whole group.
  GroupCommit(Database& db, std::mutex& connection_mu) : db_(db), connection_mu_(connection_mu) {}

  // Runs `write` in the next group; returns once that group is committed:
  // `write`'s own error, or the commit's, or OK (durable).
  absl::Status Run(const std::function<absl::Status()>& write);

  uint64_t groups() const;  // committed so far (for tests and benchmarks)
  uint64_t writes() const;
  size_t waiting() const;  // writes queued for the next group

 private:
  struct Pending {
    const std::function<absl::Status()>* write;
    absl::Status result;
    bool done = false;
  };
  void Lead(std::unique_lock<std::mutex>& queue_lock);

  Database& db_;
  std::mutex& connection_mu_;
  mutable std::mutex mu_;  // queue_, leading_, the counters
  std::condition_variable done_cv_;
  std::deque<Pending*> queue_;
  bool leading_ = false;
  uint64_t groups_ = 0, writes_ = 0;
};

}  // namespace pharos::store
