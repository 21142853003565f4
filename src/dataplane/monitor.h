// Watches the namespaces of the converged plan for changes made behind
// Pharos's back: rtnetlink multicast (links, addresses, routes) in each
// namespace, plus a periodic check that the namespaces still exist. A
// change marks the namespace dirty and, after a short quiet period, asks
// for a repair (the controller converges again and records the event).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "dataplane/linux_backend.h"
#include "netlink/socket.h"

namespace pharos::dataplane {

struct MonitorOptions {
  std::chrono::milliseconds quiet_period{150};  // let a burst of events finish
  std::chrono::seconds resync_interval{10};     // 0: no periodic check
};

class NetlinkMonitor {
 public:
  using RepairFn = std::function<void()>;
  NetlinkMonitor(LinuxBackend& backend, RepairFn repair, MonitorOptions options);
  ~NetlinkMonitor();
  void Start();
  void Stop();

 private:
  void Run();
  // Opens watches for new namespaces (added to `opened`), drops old ones.
  void SyncWatches(std::set<std::string>& opened);

  LinuxBackend& backend_;
  RepairFn repair_;
  MonitorOptions options_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int wake_fd_ = -1;  // eventfd: Stop() interrupts poll()
  std::map<std::string, std::unique_ptr<netlink::Socket>> watches_;
  ObserverList<>::Subscription on_converged_;  // the backend's Applies wake the thread
};

}  // namespace pharos::dataplane
