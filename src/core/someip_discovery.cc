#include "core/someip_discovery.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/strings.h"
#include "common/text.h"
#include "plan/naming.h"

namespace pharos::core {
namespace {

constexpr uint32_t kTtlForever = 0xFFFFFF;

std::string Hex4(uint16_t v) { return fmt::format("{:04x}", v); }

}  // namespace

SomeIpDiscovery::SomeIpDiscovery(ServiceRegistry& registry, ConfigController& controller,
                                 const Clock& clock, SomeIpDiscoveryOptions options)
    : registry_(registry), controller_(controller), clock_(clock), options_(options) {}

SomeIpDiscovery::~SomeIpDiscovery() { Stop(); }

void SomeIpDiscovery::Start() {
  // Offers registered before a restart live on only until their TTL says.
  if (auto known = registry_.List(); known.ok()) {
    auto now = clock_.Monotonic();
    std::lock_guard lock(mu_);
    for (const auto& v : *known) {
      if (v.record.source != "someip") continue;
      auto ttl = v.record.metadata.find("ttl");
      uint32_t seconds = 0;  // unreadable: expires at once
      if (ttl != v.record.metadata.end()) {
        seconds = static_cast<uint32_t>(std::strtoul(ttl->second.c_str(), nullptr, 10));
      }
      if (seconds != kTtlForever) expiry_[v.record.id] = now + std::chrono::seconds(seconds);
    }
  }
  discovery::SdListenerOptions lo;
  lo.group = options_.group;
  lo.port = options_.port;
  listener_ = std::make_unique<discovery::SdListener>(
      lo, [this](const discovery::SdMessage& m, Ipv4Address from) { Handle(m, from); },
      [this] { ExpireOffers(); });
  listener_->SetInterfaces(Bridges());
  listener_->Start();
}

void SomeIpDiscovery::Stop() {
  if (listener_) listener_->Stop();
}

void SomeIpDiscovery::TopologyChanged() {
  // Bridges() asks the controller, whose lock the caller may hold: the
  // listener thread picks the list up on its next tick instead.
  std::lock_guard lock(mu_);
  bridges_dirty_ = true;
}

std::vector<discovery::SdInterface> SomeIpDiscovery::Bridges() {
  std::vector<discovery::SdInterface> out;
  for (const auto& b : controller_.CurrentPlan().bridges) {
    std::string owner = b.component.substr(0, b.component.find('/'));
    bool wanted = options_.networks.empty();
    for (const auto& glob : options_.networks) {
      wanted |= GlobMatch(glob, b.component) || GlobMatch(glob, owner) || GlobMatch(glob, b.name);
    }
    if (wanted) out.push_back({b.netns, b.name});
  }
  return out;
}

void SomeIpDiscovery::Handle(const discovery::SdMessage& message, Ipv4Address sender) {
  for (const auto& e : message.entries) {
    if (e.type != discovery::SdEntryType::kOfferService) continue;
    std::string name = StrCat("someip-", Hex4(e.service_id), "-", Hex4(e.instance_id));
    if (e.endpoints.empty()) {
      spdlog::debug("SOME/IP-SD offer {} from {} names no endpoint", name, sender.ToString());
    }
    for (const auto& ep : e.endpoints) {
      if (ep.multicast) continue;  // where events go, not where the service is
      std::string transport = ep.l4_protocol == discovery::kL4Tcp ? "tcp" : "udp";
      if (e.IsStopOffer()) {
        auto known = registry_.FindByName(name);
        if (!known.ok()) continue;
        for (const auto& r : *known) {
          if (r.source == "someip" && r.host == ep.address.ToString() && r.port == ep.port) {
            (void)registry_.Deregister(r.id, "StopOfferService");
            std::lock_guard lock(mu_);
            expiry_.erase(r.id);
          }
        }
        continue;
      }
      absl::StatusOr<std::string> id =
          registry_.Register(name, ep.address.ToString(), ep.port, "someip",
                             {{"service_id", StrCat("0x", Hex4(e.service_id))},
                              {"instance_id", StrCat("0x", Hex4(e.instance_id))},
                              {"major_version", std::to_string(e.major_version)},
                              {"minor_version", std::to_string(e.minor_version)},
                              {"transport", transport},
                              {"ttl", std::to_string(e.ttl)},
                              {"offered_by", sender.ToString()}},
                             "someip");
      if (!id.ok()) {
        spdlog::warn("SOME/IP-SD offer {}: {}", name, std::string(id.status().message()));
        continue;
      }
      std::lock_guard lock(mu_);
      if (e.ttl == kTtlForever) {
        expiry_.erase(*id);
      } else {
        expiry_[*id] = clock_.Monotonic() + std::chrono::seconds(e.ttl);
      }
    }
  }
}

void SomeIpDiscovery::ExpireOffers() {
  bool refresh = false;
  std::vector<std::string> expired;
  {
    std::lock_guard lock(mu_);
    refresh = bridges_dirty_;
    bridges_dirty_ = false;
    auto now = clock_.Monotonic();
    for (auto it = expiry_.begin(); it != expiry_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      expired.push_back(it->first);
      it = expiry_.erase(it);
    }
  }
  if (refresh && listener_) listener_->SetInterfaces(Bridges());
  for (const auto& id : expired) {
    absl::Status s = registry_.Deregister(id, "SOME/IP-SD offer TTL expired");
    if (!s.ok() && !absl::IsNotFound(s)) {
      spdlog::warn("SOME/IP-SD expiry of {}: {}", id, std::string(s.message()));
    }
  }
}

}  // namespace pharos::core
