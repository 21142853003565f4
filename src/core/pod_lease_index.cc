#include "core/pod_lease_index.h"

#include <spdlog/spdlog.h>

#include "common/strings.h"

namespace pharos::core {

void PodLeaseIndex::Follow(std::shared_ptr<const model::Topology> declared) {
  if (declared == declared_) return;
  // Declared nodes may have come or gone anywhere: index again, lazily.
  declared_ = std::move(declared);
  addresses_ = std::make_unique<PodAddressAllocator>();
  filled_.clear();
  declared_pods_ = 0;
  if (declared_) {
    for (const auto& n : declared_->nodes) declared_pods_ += n.kind == model::NodeKind::kPod;
  }
}

absl::Status PodLeaseIndex::Fill(const Ipv4Prefix& subnet) {
  if (filled_.count(subnet.Normalized())) return absl::OkStatus();
  absl::StatusOr<std::vector<store::RuntimePod>> rows = rows_.List();
  if (!rows.ok()) return rows.status();
  if (declared_) {
    for (const auto& n : declared_->nodes) {
      if (n.ip && subnet.Contains(*n.ip) && !subnet.IsNetworkOrBroadcast(*n.ip)) {
        (void)addresses_->Take(subnet, *n.ip, n.name);
      }
    }
  }
  for (const auto& r : *rows) {
    std::optional<Ipv4Address> ip = Ipv4Address::Parse(r.ip);
    if (!ip || !subnet.Contains(*ip) || subnet.IsNetworkOrBroadcast(*ip)) continue;
    if (absl::Status s = addresses_->Take(subnet, *ip, r.name); !s.ok()) {
      // Two holders of one address cannot both be served; the planner
      // refuses whichever is set up second. Logged for a person to look at.
      spdlog::warn("pod lease {} of {}: {}", r.ip, r.name, std::string(s.message()));
    }
  }
  filled_.insert(subnet.Normalized());
  return absl::OkStatus();
}

absl::StatusOr<Ipv4Address> PodLeaseIndex::Lease(const Ipv4Prefix& subnet,
                                                 const model::Topology& applied,
                                                 const std::string& pod,
                                                 std::optional<Ipv4Address> wanted) {
  if (absl::Status s = Fill(subnet); !s.ok()) return s;
  // Gateways as applied (a subnet set up at run time is not declared); a
  // subnet nobody has yet gets a bridge whose first host is the gateway.
  bool has_gateway = false;
  for (const auto& seg : applied.segments) {
    if (!seg.prefix.Overlaps(subnet)) continue;
    has_gateway = true;
    if (subnet.Contains(seg.gateway) && !subnet.IsNetworkOrBroadcast(seg.gateway)) {
      (void)addresses_->Take(subnet, seg.gateway, kGatewayHolder);
    }
  }
  if (!has_gateway) {
    if (std::optional<Ipv4Address> first = subnet.Host(0)) {
      (void)addresses_->Take(subnet, *first, kGatewayHolder);
    }
  }
  return addresses_->Allocate(subnet, pod, wanted);
}

void PodLeaseIndex::Release(const std::string& subnet, const std::string& ip) {
  std::optional<Ipv4Prefix> prefix = Ipv4Prefix::Parse(subnet);
  std::optional<Ipv4Address> address = Ipv4Address::Parse(ip);
  if (prefix && address) addresses_->Release(*prefix, *address);
}

}  // namespace pharos::core
