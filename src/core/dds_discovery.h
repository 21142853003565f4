// DDS discovery with Cyclone DDS (spec §6.1): pharosd runs one
// pharos-dds-watch process per pod bridge, inside the bridge's namespace
// (Cyclone binds its sockets where it starts and allows one instance of a
// domain per process), reads what it prints, and registers every DDS
// publication as a service (source "dds"): the topic name, at the
// publishing participant's unicast locator, metadata type, participant,
// domain. A disposed publication or participant removes its services.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/config_controller.h"
#include "core/service_registry.h"

namespace pharos::core {

struct DdsDiscoveryOptions {
  std::string watcher;  // path of pharos-dds-watch
  int domain = 0;
};

class DdsDiscovery {
 public:
  DdsDiscovery(ServiceRegistry& registry, ConfigController& controller,
               DdsDiscoveryOptions options);
  ~DdsDiscovery();
  // Forgets what an earlier run registered (what is alive is discovered
  // again within a second), then keeps one watcher per pod bridge running.
  void Start();
  void Stop();
  void TopologyChanged();  // only signals; safe under other locks
  // One line of a watcher (public for tests).
  void HandleLine(const std::string& line);

  // Where pharos-dds-watch is: next to pharosd, or in the build tree.
  static std::string FindWatcher();

 private:
  struct Watcher {
    pid_t pid = -1;
    int fd = -1;
    std::thread reader;
  };
  void Supervise();
  void Reconcile();
  void Spawn(const std::string& netns, const std::string& bridge);
  void StopWatcher(Watcher& w);
  void Publish(const std::string& publication);  // registers it once its participant is known

  ServiceRegistry& registry_;
  ConfigController& controller_;
  DdsDiscoveryOptions options_;
  std::mutex mu_;  // the maps below and the flags
  struct Participant {
    std::string address, hostname;
    int port = 0;
  };
  struct Publication {
    std::string participant, topic, type, service_id;
  };
  std::map<std::string, Participant> participants_;                  // by GUID
  std::map<std::string, Publication> publications_;                  // by GUID
  std::map<std::pair<std::string, std::string>, Watcher> watchers_;  // by (netns, bridge)
  bool dirty_ = true;
  bool stop_ = false;
  std::condition_variable cv_;
  std::thread supervisor_;
};

}  // namespace pharos::core
