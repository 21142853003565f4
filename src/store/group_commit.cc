#include "store/group_commit.h"

#include <vector>

#include "common/strings.h"

namespace pharos::store {

absl::Status GroupCommit::Run(const std::function<absl::Status()>& write) {
  Pending mine{&write, absl::OkStatus()};
  std::unique_lock lock(mu_);
  queue_.push_back(&mine);
  while (!mine.done) {
    if (!leading_) {
      Lead(lock);
    } else {
      done_cv_.wait(lock);
    }
  }
  return mine.result;
}

void GroupCommit::Lead(std::unique_lock<std::mutex>& lock) {
  leading_ = true;
  std::vector<Pending*> group(queue_.begin(), queue_.end());
  queue_.clear();
  lock.unlock();
  {
    std::lock_guard connection(connection_mu_);
    Transaction tx(db_);
    absl::Status begun = tx.status();
    for (Pending* p : group) {
      if (!begun.ok()) {
        p->result = begun;
        continue;
      }
      if (absl::Status s = db_.Exec("SAVEPOINT one_write;"); !s.ok()) {
        p->result = s;
        continue;
      }
      p->result = (*p->write)();
      // A failed write leaves nothing behind; the others keep theirs.
      (void)db_.Exec(p->result.ok() ? "RELEASE one_write;"
                                    : "ROLLBACK TO one_write; RELEASE one_write;");
    }
    if (begun.ok()) {
      if (absl::Status committed = tx.Commit(); !committed.ok()) {
        for (Pending* p : group) {
          if (p->result.ok()) {
            p->result = absl::Status(
                committed.code(), StrCat("not stored: the commit failed: ", committed.message()));
          }
        }
      }
    }
  }
  lock.lock();
  for (Pending* p : group) p->done = true;
  ++groups_;
  writes_ += group.size();
  leading_ = false;
  done_cv_.notify_all();
}

uint64_t GroupCommit::groups() const {
  std::lock_guard lock(mu_);
  return groups_;
}

size_t GroupCommit::waiting() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

uint64_t GroupCommit::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

}  // namespace pharos::store
