#include "core/service_health.h"

#include <spdlog/spdlog.h>

#include "common/strings.h"

namespace pharos::core {
namespace {

// Where the checks point, without damping.
std::string Target(const HealthState& s, bool ok, const HealthPolicy& p) {
  if (ok) {
    if (s.status == kServiceRegistered || s.status == kServiceHealthy) return kServiceHealthy;
    return s.successes >= p.healthy_after ? kServiceHealthy : s.status;
  }
  if (s.failures >= p.unhealthy_after) return kServiceUnhealthy;
  return s.status == kServiceUnhealthy ? kServiceUnhealthy : kServiceDegraded;
}

}  // namespace

std::optional<HealthTransition> StepHealth(HealthState& s, bool ok, const std::string& detail,
                                           std::chrono::steady_clock::time_point now,
                                           const HealthPolicy& p) {
  s.successes = ok ? s.successes + 1 : 0;
  s.failures = ok ? 0 : s.failures + 1;
  while (!s.transitions.empty() && now - s.transitions.front() > p.flap_window) {
    s.transitions.pop_front();
  }
  if (s.damped) {
    int stable = ok ? s.successes : s.failures;
    if (stable < p.damped_stable_checks) return std::nullopt;
    s.damped = false;
    s.transitions.clear();
    std::string settled = ok ? kServiceHealthy : kServiceUnhealthy;
    if (settled == s.status) return std::nullopt;
    s.status = settled;
    return HealthTransition{settled, StrCat("stable again after flapping: ", detail)};
  }
  std::string next = Target(s, ok, p);
  if (next == s.status) return std::nullopt;
  // Flapping is going in and out of healthy; one outage (healthy →
  // degraded → unhealthy → healthy) counts two, not three.
  if ((s.status == kServiceHealthy) != (next == kServiceHealthy)) s.transitions.push_back(now);
  if (static_cast<int>(s.transitions.size()) >= p.flap_transitions) {
    s.damped = true;
    bool was_degraded = s.status == kServiceDegraded;
    s.status = kServiceDegraded;
    if (was_degraded) return std::nullopt;
    return HealthTransition{
        kServiceDegraded,
        StrCat("flapping: ", s.transitions.size(), " changes within ", p.flap_window.count() / 1000,
               " s; reported again once ", p.damped_stable_checks, " checks agree")};
  }
  s.status = next;
  return HealthTransition{next, detail};
}

HealthMonitor::HealthMonitor(ServiceRegistry& registry, HealthProber& prober, const Clock& clock,
                             HealthPolicy policy)
    : registry_(registry), prober_(prober), clock_(clock), policy_(policy) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void HealthMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void HealthMonitor::Run() {
  CheckAll();  // what changed while pharosd was down
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, policy_.interval, [&] { return stop_ || woken_; });
      if (stop_) return;
      woken_ = false;
    }
    CheckAll();
  }
}

void HealthMonitor::CheckAll() {
  if (absl::Status s = registry_.SyncPodServices(); !s.ok()) {
    spdlog::error("services of pods: {}", std::string(s.message()));
  }
  absl::StatusOr<std::vector<ServiceView>> services = registry_.List();
  if (!services.ok()) return;
  std::map<std::string, HealthState> still_there;
  for (const auto& view : *services) {
    const store::ServiceRecord& svc = view.record;
    if (!prober_.Checks(svc)) continue;
    // What this monitor knew, unless the registry says otherwise (a
    // restart, an endpoint change): then the history starts from its word.
    auto known = states_.find(svc.id);
    HealthState state;
    if (known != states_.end() && known->second.status == svc.status) {
      state = known->second;
    } else {
      state.status = svc.status;
    }
    std::string detail;
    bool ok = prober_.Check(svc, policy_.timeout, &detail);
    if (auto t = StepHealth(state, ok, detail, clock_.Monotonic(), policy_)) {
      if (absl::Status s = registry_.SetStatus(svc.id, t->status, t->details); !s.ok()) {
        spdlog::error("service {}: cannot record {}: {}", svc.id, t->status,
                      std::string(s.message()));
        continue;  // checked again next round
      }
    }
    still_there[svc.id] = std::move(state);
  }
  states_ = std::move(still_there);
}

}  // namespace pharos::core
