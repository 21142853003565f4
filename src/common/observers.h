// A list of observers that subscribe themselves and unsubscribe when their
// Subscription goes out of scope. Parts that are built after the subject
// (and stopped before it) follow it without a setter on the subject: the
// Daemon declares the Subscription beside the observer, so RAII removes it
// in reverse order.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace pharos {

template <typename... Args>
class ObserverList {
 public:
  using Callback = std::function<void(Args...)>;

  // Removes its callback when destroyed (or reset). Must not outlive the list.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& o) noexcept : list_(std::exchange(o.list_, nullptr)), id_(o.id_) {}
    Subscription& operator=(Subscription&& o) noexcept {
      if (this != &o) {
        Reset();
        list_ = std::exchange(o.list_, nullptr);
        id_ = o.id_;
      }
      return *this;
    }
    ~Subscription() { Reset(); }
    void Reset() {
      if (list_) list_->Remove(id_);
      list_ = nullptr;
    }

   private:
    friend class ObserverList;
    Subscription(ObserverList* list, uint64_t id) : list_(list), id_(id) {}
    ObserverList* list_ = nullptr;
    uint64_t id_ = 0;
  };

  [[nodiscard]] Subscription Subscribe(Callback callback) {
    std::lock_guard lock(mu_);
    uint64_t id = ++next_id_;
    callbacks_.emplace(id, std::make_shared<Callback>(std::move(callback)));
    return Subscription(this, id);
  }

  // Calls every observer in subscription order, without holding the list's
  // lock (an observer may be slow; it may not unsubscribe itself from here).
  void Notify(Args... args) const {
    std::vector<std::shared_ptr<Callback>> now;
    {
      std::lock_guard lock(mu_);
      now.reserve(callbacks_.size());
      for (const auto& [id, cb] : callbacks_) now.push_back(cb);
    }
    for (const auto& cb : now) (*cb)(args...);
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return callbacks_.size();
  }

 private:
  void Remove(uint64_t id) {
    std::lock_guard lock(mu_);
    callbacks_.erase(id);
  }

  mutable std::mutex mu_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::shared_ptr<Callback>> callbacks_;
};

}  // namespace pharos
