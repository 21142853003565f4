// Which items go next: the highest priority class the uplink's mode
// carries that has items not yet in flight, its oldest first, as one
// batch below the endpoint's payload limit. Batches of a stream are sent
// in order; a failed one rewinds its stream, so what follows it is sent
// again after it (the receiver deduplicates by item id).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/feed_queue.h"

namespace pharos::cloud {

// What the uplink in use allows.
struct SendMode {
  std::string uplink = "direct";
  std::array<bool, kPriorityCount> carries{true, true, true, true};
  int64_t rate_bytes_per_second = 0;  // 0: unlimited
};

struct Batch {
  uint64_t number = 0;  // this process's count, for logs
  Priority priority = Priority::kTelemetry;
  std::vector<QueuedItem> items;
  int64_t raw_bytes = 0;  // sum of the bodies
  int64_t first_seq() const { return items.front().seq; }
  int64_t last_seq() const { return items.back().seq; }
};

struct BatchLimits {
  int max_items = 500;
  int64_t max_bytes = 96 * 1024;  // of item bodies; below the endpoint's message limit
};

class Scheduler {
 public:
  Scheduler(FeedQueue& queue, std::string feed, BatchLimits limits)
      : queue_(queue), feed_(std::move(feed)), limits_(limits) {}

  // The next batch under `mode`, or nullopt when every carried stream is
  // empty or in flight up to its end.
  absl::StatusOr<std::optional<Batch>> Next(const SendMode& mode);
  // Its receipt came: its items leave the queue.
  absl::Status Delivered(const Batch& batch, const std::function<absl::Status()>& also = nullptr);
  // Several receipts at once, in one transaction. `Item` has a `batch`.
  template <typename Item>
  absl::Status Delivered(const std::vector<Item>& sent, const std::function<absl::Status()>& also) {
    std::vector<FeedQueue::Range> ranges;
    for (const Item& s : sent) {
      in_flight_ = std::max(0, in_flight_ - 1);
      ranges.push_back({s.batch.priority, s.batch.first_seq(), s.batch.last_seq()});
    }
    return queue_.AcknowledgeRanges(feed_, ranges, also);
  }
  // It was not taken: its stream starts again at its first item.
  void Failed(const Batch& batch);
  // Everything in flight is forgotten (a new connection): every stream
  // starts again at its oldest queued item.
  void Restart();
  int in_flight() const { return in_flight_; }

 private:
  FeedQueue& queue_;
  const std::string feed_;
  const BatchLimits limits_;
  // Per stream: the last seq handed out (items up to it are in flight).
  std::array<int64_t, kPriorityCount> cursor_{};
  int in_flight_ = 0;
  uint64_t next_number_ = 1;
};

}  // namespace pharos::cloud
