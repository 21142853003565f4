// SOME/IP-SD discovery (spec §6.1, §14.3): OfferService entries heard on
// the twin's bridges become registry services (source "someip"), named
// someip-<service>-<instance> (hex), with their endpoint and versions;
// StopOfferService and the expiry of the offer's TTL remove them.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/config_controller.h"
#include "core/service_registry.h"
#include "discovery/sd_listener.h"

namespace pharos::core {

struct SomeIpDiscoveryOptions {
  Ipv4Address group;
  uint16_t port = discovery::kSdDefaultPort;
  // Which networks to listen on: globs matched against the bridge's
  // component ("vm1/ph-podbr0"), its owner ("vm1") or its name; empty: all.
  std::vector<std::string> networks;
};

class SomeIpDiscovery {
 public:
  SomeIpDiscovery(ServiceRegistry& registry, ConfigController& controller, const Clock& clock,
                  SomeIpDiscoveryOptions options);
  ~SomeIpDiscovery();
  // Adopts what an earlier run registered (each expires unless offered
  // again within its TTL), then listens on every bridge of the topology.
  void Start();
  void Stop();
  // The topology changed: listen on its bridges (only signals the thread).
  void TopologyChanged();

  // One message, as the listener hands it over (public for tests).
  void Handle(const discovery::SdMessage& message, Ipv4Address sender);
  void ExpireOffers();

 private:
  std::vector<discovery::SdInterface> Bridges();

  ServiceRegistry& registry_;
  ConfigController& controller_;
  const Clock& clock_;
  SomeIpDiscoveryOptions options_;
  std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> expiry_;  // by service id
  bool bridges_dirty_ = false;
  std::unique_ptr<discovery::SdListener> listener_;
};

}  // namespace pharos::core
