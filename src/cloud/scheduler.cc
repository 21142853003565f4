#include "cloud/scheduler.h"

#include <algorithm>

namespace pharos::cloud {

absl::StatusOr<std::optional<Batch>> Scheduler::Next(const SendMode& mode) {
  for (int p = kPriorityCount - 1; p >= 0; --p) {
    if (!mode.carries[p]) continue;
    auto items = queue_.Next(feed_, Priority(p), cursor_[p], limits_.max_items, limits_.max_bytes);
    if (!items.ok()) return items.status();
    if (items->empty()) continue;
    Batch b;
    b.number = next_number_++;
    b.priority = Priority(p);
    b.items = std::move(*items);
    for (const QueuedItem& i : b.items) b.raw_bytes += static_cast<int64_t>(i.body.size());
    cursor_[p] = b.last_seq();
    ++in_flight_;
    return std::optional<Batch>(std::move(b));
  }
  return std::optional<Batch>();
}

absl::Status Scheduler::Delivered(const Batch& batch, const std::function<absl::Status()>& also) {
  in_flight_ = std::max(0, in_flight_ - 1);
  std::vector<int64_t> seqs;
  seqs.reserve(batch.items.size());
  for (const QueuedItem& i : batch.items) seqs.push_back(i.seq);
  return queue_.Acknowledge(seqs, also);
}

void Scheduler::Failed(const Batch& batch) {
  in_flight_ = std::max(0, in_flight_ - 1);
  int p = static_cast<int>(batch.priority);
  cursor_[p] = std::min(cursor_[p], batch.first_seq() - 1);
}

void Scheduler::Restart() {
  cursor_.fill(0);
  in_flight_ = 0;
}

}  // namespace pharos::cloud
