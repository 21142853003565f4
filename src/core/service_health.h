// Health of registered services (spec §6.2): a state machine fed by
// periodic checks, with flap damping, and the monitor that runs the checks
// and records every reported transition through the registry (which tells
// Piccolo: NotifyServiceStatusChange).
//
//   registered ─ok→ healthy ─fail→ degraded ─fail×N→ unhealthy
//        │                  ←ok×M─    │     ←──────ok×M──────┘
//        └─fail→ degraded             └─ok×M→ healthy
//
// A service that goes in or out of healthy `flap_transitions` times within
// `flap_window` is damped: it is reported degraded once ("flapping") and
// nothing more is reported until its checks agree `damped_stable_checks`
// times in a row; then its settled state is reported.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "core/service_registry.h"

namespace pharos::core {

struct HealthPolicy {
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds timeout{1000};
  int unhealthy_after = 3;  // consecutive failures: degraded → unhealthy
  int healthy_after = 2;    // consecutive successes: degraded/unhealthy → healthy
  int flap_transitions = 4;
  std::chrono::milliseconds flap_window{60000};
  int damped_stable_checks = 5;
};

struct HealthState {
  std::string status = kServiceRegistered;
  int successes = 0;  // consecutive
  int failures = 0;   // consecutive
  std::deque<std::chrono::steady_clock::time_point> transitions;
  bool damped = false;
};

struct HealthTransition {
  std::string status;
  std::string details;
};

// One check result into the state machine; the transition to report, if any.
std::optional<HealthTransition> StepHealth(HealthState& state, bool ok, const std::string& detail,
                                           std::chrono::steady_clock::time_point now,
                                           const HealthPolicy& policy);

// How a service is checked (injected: real probes in pharosd, fakes in tests).
class HealthProber {
 public:
  virtual ~HealthProber() = default;
  // Whether the service answers; `detail` says what was seen.
  virtual bool Check(const store::ServiceRecord& service, std::chrono::milliseconds timeout,
                     std::string* detail) = 0;
  // False for services whose liveness comes from elsewhere (discovery TTL).
  virtual bool Checks(const store::ServiceRecord& service) const = 0;
};

class HealthMonitor {
 public:
  HealthMonitor(ServiceRegistry& registry, HealthProber& prober, const Clock& clock,
                HealthPolicy policy);
  ~HealthMonitor();
  void Start();
  void Stop();
  // One round now (the thread does this every interval): the services the
  // pods declare are synced into the registry, then every service checked.
  void CheckAll();
  // Starts a round early (the topology changed). Only signals: safe to call
  // with other locks held.
  void Wake();

 private:
  void Run();

  ServiceRegistry& registry_;
  HealthProber& prober_;
  const Clock& clock_;
  HealthPolicy policy_;
  std::map<std::string, HealthState> states_;  // by service id; the thread's own
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace pharos::core
