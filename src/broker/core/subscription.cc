#include "broker/core/subscription.h"

#include <algorithm>

namespace pharos::broker {

Subscription::Subscription(std::vector<SignalId> signals, SubscribeOptions options,
                           const Clock& clock)
    : signals_(std::move(signals)), options_(options), clock_(clock) {}

void Subscription::Fold(Update& into, Update&& older) {
  for (auto& entry : older.entries) {
    bool newer_present = std::any_of(into.entries.begin(), into.entries.end(),
                                     [&](const auto& e) { return e.first == entry.first; });
    if (!newer_present) into.entries.push_back(std::move(entry));
  }
}

void Subscription::SetReadyHandler(std::function<void()> handler) {
  std::lock_guard lock(mu_);
  ready_handler_ = std::make_shared<const std::function<void()>>(std::move(handler));
}

void Subscription::Push(Update update) {
  std::shared_ptr<const std::function<void()>> handler;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    handler = ready_handler_;
    queue_.push_back(std::move(update));
    size_t capacity = std::max<size_t>(1, options_.buffer_size);
    while (queue_.size() > capacity) {
      Update oldest = std::move(queue_.front());
      queue_.pop_front();
      Fold(queue_.front(), std::move(oldest));
      ++dropped_;
    }
  }
  ready_.notify_one();
  if (handler) (*handler)();
}

std::optional<Update> Subscription::Next(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (wait.count() <= 0) {
    // A drain (Next(0ms) until nothing is left): no wait, so no futex call
    // and no clock read for the last, empty, look.
    if (!closed_ && queue_.empty()) return std::nullopt;
  } else {
    auto deadline = std::chrono::steady_clock::now() + wait;
    if (!ready_.wait_until(lock, deadline, [&] { return closed_ || !queue_.empty(); })) {
      return std::nullopt;
    }
  }
  if (closed_) return std::nullopt;
  if (options_.min_interval.count() > 0) {
    // Hold back until the interval since the last delivery has passed;
    // whatever arrives meanwhile is merged into this one update.
    if (last_delivery_) {
      auto due = *last_delivery_ + options_.min_interval;
      auto now = clock_.Monotonic();
      if (now < due) {
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
        if (remaining > wait) return std::nullopt;
        ready_.wait_for(lock, remaining, [&] { return closed_; });
        if (closed_) return std::nullopt;
      }
    }
    Update merged = std::move(queue_.back());
    queue_.pop_back();
    while (!queue_.empty()) {
      Fold(merged, std::move(queue_.back()));
      queue_.pop_back();
    }
    last_delivery_ = clock_.Monotonic();
    return merged;
  }
  Update next = std::move(queue_.front());
  queue_.pop_front();
  return next;
}

bool Subscription::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void Subscription::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  ready_.notify_all();
}

uint64_t Subscription::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace pharos::broker
