// Receives SOME/IP-SD datagrams on network interfaces that may live in
// other network namespaces (every bridge of the twin): one UDP socket per
// namespace, opened inside it (setns), bound to the SD port and joined to
// the SD multicast group on each listed interface; one thread polls them.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/ipv4.h"
#include "discovery/someip_sd.h"

namespace pharos::discovery {

struct SdInterface {
  std::string netns;   // "" for this process's namespace
  std::string ifname;  // e.g. the pod bridge
  bool operator<(const SdInterface& o) const {
    return std::tie(netns, ifname) < std::tie(o.netns, o.ifname);
  }
  bool operator==(const SdInterface&) const = default;
};

struct SdListenerOptions {
  Ipv4Address group;  // 224.244.224.245 by default (vsomeip's sample configuration)
  uint16_t port = kSdDefaultPort;
  std::chrono::milliseconds tick{200};  // how often `on_tick` runs
};

class SdListener {
 public:
  using Handler = std::function<void(const SdMessage& message, Ipv4Address sender)>;

  // `on_message` and `on_tick` run on the listener's thread.
  SdListener(SdListenerOptions options, Handler on_message, std::function<void()> on_tick);
  ~SdListener();
  void Start();
  void Stop();
  // Listen on exactly these interfaces from now on (applied by the thread).
  void SetInterfaces(std::vector<SdInterface> interfaces);

 private:
  void Run();
  void Reconcile();  // opens/closes sockets to match wanted_
  void Receive(int fd);

  SdListenerOptions options_;
  Handler on_message_;
  std::function<void()> on_tick_;
  std::mutex mu_;
  std::vector<SdInterface> wanted_;
  bool dirty_ = false;
  bool stop_ = false;
  int wake_fd_ = -1;
  std::map<std::string, int> sockets_;  // by namespace
  std::set<SdInterface> joined_;
  std::thread thread_;
};

}  // namespace pharos::discovery
