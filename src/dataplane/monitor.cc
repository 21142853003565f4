#include "dataplane/monitor.h"

#include <linux/rtnetlink.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <vector>

#include "netlink/netns.h"

namespace pharos::dataplane {

NetlinkMonitor::NetlinkMonitor(LinuxBackend& backend, RepairFn repair, MonitorOptions options)
    : backend_(backend), repair_(std::move(repair)), options_(options) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

NetlinkMonitor::~NetlinkMonitor() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void NetlinkMonitor::Start() {
  on_converged_ = backend_.converged().Subscribe([fd = wake_fd_] {
    uint64_t one = 1;
    (void)!write(fd, &one, sizeof(one));
  });
  thread_ = std::thread([this] { Run(); });
}

void NetlinkMonitor::Stop() {
  if (!thread_.joinable()) return;
  on_converged_.Reset();
  stop_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
}

void NetlinkMonitor::SyncWatches(std::set<std::string>& opened) {
  std::set<std::string> wanted = backend_.ConvergedNamespaces();
  for (auto it = watches_.begin(); it != watches_.end();) {
    // A watch keeps its namespace alive: drop it as soon as the namespace
    // is no longer wanted or its name is gone.
    if (!wanted.count(it->first) || !backend_.kernel()->NamespaceExists(it->first)) {
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& ns : wanted) {
    if (watches_.count(ns) || !backend_.kernel()->NamespaceExists(ns)) continue;
    std::string local = backend_.LocalNamespace(ns);
    absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(local);
    if (!inside.ok()) continue;
    auto socket = netlink::Socket::Open(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE);
    if (!socket.ok()) continue;
    watches_[ns] = std::move(*socket);
    // What changed between the apply and this watch went unseen: look once.
    opened.insert(ns);
  }
}

void NetlinkMonitor::Run() {
  using Clock = std::chrono::steady_clock;
  std::set<std::string> pending;
  Clock::time_point last_event{};
  Clock::time_point next_resync = Clock::now() + options_.resync_interval;
  // The watched set changes only after an apply (which wakes us) or when a
  // namespace vanished (the resync tick): not on every netlink event.
  bool sync = true;
  while (!stop_) {
    if (sync) {
      std::set<std::string> opened;
      SyncWatches(opened);
      if (!opened.empty()) {
        pending.insert(opened.begin(), opened.end());
        last_event = Clock::now();
      }
      sync = false;
    }
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    std::vector<std::string> names{""};
    for (const auto& [ns, socket] : watches_) {
      fds.push_back({socket->fd(), POLLIN, 0});
      names.push_back(ns);
    }
    int timeout_ms = 1000;
    if (!pending.empty()) timeout_ms = static_cast<int>(options_.quiet_period.count());
    poll(fds.data(), fds.size(), timeout_ms);
    if (stop_) break;
    if (fds[0].revents & POLLIN) {
      uint64_t drained;
      (void)!read(wake_fd_, &drained, sizeof(drained));
      sync = true;
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLERR))) continue;
      absl::StatusOr<int> n = watches_[names[i]]->ReadEvents([](const nlmsghdr*) {});
      // ENOBUFS (events lost) is a change too: converge to be sure.
      if (!n.ok() || *n > 0) {
        pending.insert(names[i]);
        last_event = Clock::now();
      }
    }
    Clock::time_point now = Clock::now();
    if (options_.resync_interval.count() > 0 && now >= next_resync) {
      next_resync = now + options_.resync_interval;
      sync = true;
      for (const auto& ns : backend_.ConvergedNamespaces()) {
        if (!backend_.kernel()->NamespaceExists(backend_.LocalNamespace(ns))) {
          spdlog::warn("network namespace {} disappeared", ns);
          pending.insert(ns);
        }
      }
      if (!pending.empty()) last_event = Clock::time_point{};
    }
    if (!pending.empty() && now - last_event >= options_.quiet_period) {
      backend_.MarkDirty(pending);
      pending.clear();
      repair_();
    }
  }
}

}  // namespace pharos::dataplane
