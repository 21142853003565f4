// One command's deadline and cancellation, as the transport sees it, and
// the one-shot event the transport waits on. Everything here lives on the
// DoIP I/O thread (one io_context thread: no locks).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "sovd/common/asio.h"

namespace pharos::sovd::transport {

using SteadyTime = std::chrono::steady_clock::time_point;

class Event;

struct CallContext {
  SteadyTime deadline = SteadyTime::max();
  bool cancelled = false;
  std::vector<Event*> waiting;  // woken by Cancel

  void Cancel();
};

enum class WaitResult { kSet, kTimeout, kCancelled };

class Event {
 public:
  explicit Event(asio::any_io_executor executor) : timer_(executor) {}
  void Set() {
    set_ = true;
    timer_.cancel();
  }
  void Reset() { set_ = false; }
  bool is_set() const { return set_; }
  void Wake() { timer_.cancel(); }

  // Until Set(), `until`, the call's deadline or its cancellation.
  awaitable<WaitResult> Wait(SteadyTime until, CallContext* call) {
    if (call) {
      if (call->cancelled) co_return WaitResult::kCancelled;
      until = std::min(until, call->deadline);
      call->waiting.push_back(this);
    }
    while (!set_ && !(call && call->cancelled) && std::chrono::steady_clock::now() < until) {
      timer_.expires_at(until);
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (call) std::erase(call->waiting, this);
    if (set_) co_return WaitResult::kSet;
    if (call && call->cancelled) co_return WaitResult::kCancelled;
    co_return WaitResult::kTimeout;
  }

 private:
  asio::steady_timer timer_;
  bool set_ = false;
};

inline void CallContext::Cancel() {
  cancelled = true;
  for (Event* e : std::vector(waiting)) e->Wake();
}

}  // namespace pharos::sovd::transport
