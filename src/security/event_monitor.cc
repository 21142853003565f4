#include "security/event_monitor.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "netlink/netns.h"

namespace pharos::security {

EventMonitor::EventMonitor(SecurityEventSink& sink, const Clock& clock, int nflog_group,
                           EventThresholds thresholds)
    : sink_(sink), clock_(clock), group_(nflog_group), aggregator_(std::move(thresholds)) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

EventMonitor::~EventMonitor() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void EventMonitor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void EventMonitor::SetNamespaces(std::set<std::string> namespaces) {
  {
    std::lock_guard lock(mu_);
    wanted_ = std::move(namespaces);
    changed_ = true;
  }
  // Woken even when the names are the same: one may be a namespace just
  // rebuilt (the enforcer calls after every table it applies), whose
  // reader is reopened now rather than on the next tick, when its first
  // denied packets would be gone.
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void EventMonitor::Report(DeniedPacket attempt) {
  {
    std::lock_guard lock(mu_);
    reported_.push_back(std::move(attempt));
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void EventMonitor::Reconcile() {
  std::set<std::string> wanted;
  {
    std::lock_guard lock(mu_);
    wanted = wanted_;
    changed_ = false;
  }
  for (auto it = readers_.begin(); it != readers_.end();) {
    bool keep =
        wanted.count(it->first) && it->second.netns_identity == netlink::NetnsIdentity(it->first);
    it = keep ? std::next(it) : readers_.erase(it);
  }
  for (const auto& netns : wanted) {
    if (readers_.count(netns)) continue;
    absl::StatusOr<std::unique_ptr<NflogReader>> r = NflogReader::Open(netns, group_);
    if (!r.ok()) {
      // Once per outage: a namespace being rebuilt is retried every second.
      if (unreadable_.insert(netns).second) {
        spdlog::error("security events: cannot read NFLOG group {} in {}: {}", group_, netns,
                      std::string(r.status().message()));
      }
      continue;
    }
    unreadable_.erase(netns);
    readers_.emplace(netns, Reader{std::move(*r), netlink::NetnsIdentity(netns)});
  }
}

void EventMonitor::Emit(const SecurityEvent& e) {
  spdlog::log(e.severity == Severity::kInfo ? spdlog::level::info : spdlog::level::warn,
              "security event {}: {} -> {} ({})", SeverityName(e.severity), e.source, e.destination,
              e.details);
  if (absl::Status s = sink_.Publish(e); !s.ok()) {
    spdlog::error("security event not recorded: {}", std::string(s.message()));
  }
}

void EventMonitor::Run() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    Reconcile();
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    std::vector<NflogReader*> order;
    for (auto& [netns, r] : readers_) {
      fds.push_back({r.reader->fd(), POLLIN, 0});
      order.push_back(r.reader.get());
    }
    // Wake at least every second: windows close on time.
    int n = poll(fds.data(), fds.size(), 1000);
    if (n > 0 && (fds[0].revents & POLLIN)) {
      uint64_t v;
      (void)!read(wake_fd_, &v, sizeof(v));
    }
    auto now = clock_.Monotonic();
    std::vector<DeniedPacket> reported;
    {
      std::lock_guard lock(mu_);
      reported.swap(reported_);
    }
    for (const DeniedPacket& p : reported) {
      if (auto e = aggregator_.Observe(p, now)) Emit(*e);
    }
    for (size_t i = 1; n > 0 && i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      for (const DeniedPacket& p : order[i - 1]->Drain()) {
        if (auto e = aggregator_.Observe(p, now)) Emit(*e);
      }
    }
    for (const SecurityEvent& e : aggregator_.Flush(now)) Emit(e);
  }
}

}  // namespace pharos::security
