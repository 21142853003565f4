// Things that happen, as they happen: the core's port for the watch
// journal (pharosd adapts app::WatchFeed to it). Each record carries its
// journal id, so the connector resumes after the last one it queued.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/payload.h"

namespace pharos::cloud {

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Records after `after` (oldest first), waiting up to `wait` for one;
  // empty on timeout or when pharosd is stopping.
  virtual absl::StatusOr<std::vector<EventRecord>> Next(int64_t after,
                                                        std::chrono::milliseconds wait) = 0;
  // The newest journal id now: where a feed that starts begins.
  virtual absl::StatusOr<int64_t> Newest() = 0;
};

}  // namespace pharos::cloud
