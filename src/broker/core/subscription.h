// One subscriber's queue. The broker pushes every change of a subscribed
// signal (under its own lock, so a subscriber sees changes in the order
// they were applied); the front end's stream pulls with Next. A slow
// subscriber holds at most `buffer_size` updates (KUKSA's rule; 0 keeps
// only the latest): the oldest is dropped, but its entries that the next
// update does not carry are folded into it, so the latest value of every
// subscribed signal always arrives. With a minimum sample interval, at
// most one update is delivered per interval, merging what came meanwhile.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "broker/core/types.h"
#include "common/clock.h"

namespace pharos::broker {

// Which value of a signal a subscription follows.
enum class ValueKind { kCurrent, kTarget };

struct SubscribeOptions {
  uint32_t buffer_size = 0;                   // kuksa.val.v2 SubscribeRequest.buffer_size
  std::chrono::milliseconds min_interval{0};  // Filter.min_sample_interval
  ValueKind kind = ValueKind::kCurrent;
};

// KUKSA's MAX_BUFFER_SIZE.
inline constexpr uint32_t kMaxBufferSize = 1000;

struct Update {
  std::vector<std::pair<SignalId, Datapoint>> entries;
};

class Subscription {
 public:
  Subscription(std::vector<SignalId> signals, SubscribeOptions options, const Clock& clock);

  // Waits up to `wait` for the next update; nullopt on timeout or once
  // closed (closed() tells which).
  std::optional<Update> Next(std::chrono::milliseconds wait);
  bool closed() const;
  // Ends the subscription: Next returns at once; the broker forgets it.
  void Close();

  const std::vector<SignalId>& signals() const { return signals_; }
  const SubscribeOptions& options() const { return options_; }
  // Updates folded away because the subscriber was slower than its buffer.
  uint64_t dropped() const;

  // Called after every Push, without this subscription's lock but under the
  // broker's: it must only hand off (post to an executor), never call back
  // into the broker. Lets a front end drain with Next(0ms) instead of
  // blocking a thread per subscription (VISS's WebSocket clients).
  void SetReadyHandler(std::function<void()> handler);

  // The broker's side.
  void Push(Update update);

 private:
  static void Fold(Update& into, Update&& older);

  const std::vector<SignalId> signals_;
  const SubscribeOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Update> queue_;
  bool closed_ = false;
  uint64_t dropped_ = 0;
  std::optional<std::chrono::steady_clock::time_point> last_delivery_;
  std::shared_ptr<const std::function<void()>> ready_handler_;
};

}  // namespace pharos::broker
