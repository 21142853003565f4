// A rate in bytes per second with a burst: how an uplink's bandwidth is
// respected. A send larger than the burst goes when the bucket is full
// (and leaves it in debt), so nothing is too big to ever go.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace pharos::cloud {

class TokenBucket {
 public:
  // rate 0: unlimited.
  TokenBucket(const Clock& clock, int64_t bytes_per_second, int64_t burst_bytes)
      : clock_(clock), last_(clock.Monotonic()) {
    SetRate(bytes_per_second, burst_bytes);
  }

  void SetRate(int64_t bytes_per_second, int64_t burst_bytes) {
    Refill();
    rate_ = bytes_per_second;
    burst_ = std::max<int64_t>(burst_bytes, 1);
    tokens_ = std::min<double>(tokens_, static_cast<double>(burst_));
  }
  int64_t rate() const { return rate_; }

  // How long until `bytes` may go (zero: now, and they are taken).
  std::chrono::nanoseconds Take(int64_t bytes) {
    if (rate_ <= 0) return std::chrono::nanoseconds(0);
    Refill();
    double need = std::min<double>(static_cast<double>(bytes), static_cast<double>(burst_));
    if (tokens_ >= need) {
      tokens_ -= static_cast<double>(bytes);
      return std::chrono::nanoseconds(0);
    }
    double seconds = (need - tokens_) / static_cast<double>(rate_);
    return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9) + 1);
  }

 private:
  void Refill() {
    auto now = clock_.Monotonic();
    double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    if (rate_ > 0 && elapsed > 0) {
      tokens_ = std::min<double>(static_cast<double>(burst_),
                                 tokens_ + elapsed * static_cast<double>(rate_));
    }
  }

  const Clock& clock_;
  std::chrono::steady_clock::time_point last_;
  int64_t rate_ = 0;
  int64_t burst_ = 1;
  double tokens_ = 0;
};

}  // namespace pharos::cloud
