// Time is injected (Envoy's TimeSource idea): code that stamps or expires
// things takes a Clock&, tests pass a ManualClock.
#pragma once

#include <chrono>
#include <string>

namespace pharos {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start = {})
      : now_(start) {}
  std::chrono::system_clock::time_point Now() const override { return now_; }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::time_point(now_.time_since_epoch());
  }
  void Advance(std::chrono::nanoseconds d) { now_ += d; }

 private:
  std::chrono::system_clock::time_point now_;
};

// "2026-11-21T10:15:30.123Z": ISO 8601, UTC, millisecond precision.
std::string FormatIso8601Utc(std::chrono::system_clock::time_point t);

}  // namespace pharos
