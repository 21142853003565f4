#include "core/pod_address_allocator.h"

#include "common/strings.h"

namespace pharos::core {

PodAddressAllocator::Pool& PodAddressAllocator::PoolOf(const Ipv4Prefix& subnet) {
  return pools_[subnet.Normalized()];
}

std::string PodAddressAllocator::Unusable(const Ipv4Prefix& subnet, Ipv4Address a) {
  if (!subnet.Contains(a)) return StrCat("is not in ", subnet.Normalized().ToString());
  if (subnet.IsNetworkOrBroadcast(a)) {
    return StrCat("is the ", a == subnet.network() ? "network" : "broadcast", " address of ",
                  subnet.Normalized().ToString());
  }
  return "";
}

absl::Status PodAddressAllocator::Take(const Ipv4Prefix& subnet, Ipv4Address address,
                                       const std::string& holder) {
  if (std::string why = Unusable(subnet, address); !why.empty()) {
    return absl::InvalidArgumentError(StrCat(address.ToString(), " ", why));
  }
  std::lock_guard lock(mu_);
  Pool& pool = PoolOf(subnet);
  auto [it, inserted] = pool.taken.emplace(address.value(), holder);
  if (!inserted && it->second != holder) {
    return absl::AlreadyExistsError(
        StrCat(address.ToString(), " is held by ", it->second, ", not ", holder));
  }
  return absl::OkStatus();
}

absl::StatusOr<Ipv4Address> PodAddressAllocator::Allocate(const Ipv4Prefix& subnet,
                                                          const std::string& holder,
                                                          std::optional<Ipv4Address> wanted) {
  std::lock_guard lock(mu_);
  Pool& pool = PoolOf(subnet);
  if (wanted) {
    if (std::string why = Unusable(subnet, *wanted); !why.empty()) {
      return absl::InvalidArgumentError(StrCat("ip ", wanted->ToString(), " ", why));
    }
    auto it = pool.taken.find(wanted->value());
    if (it != pool.taken.end() && it->second != holder) {
      return absl::InvalidArgumentError(
          StrCat("ip ", wanted->ToString(), " is in use by ", it->second));
    }
    pool.taken[wanted->value()] = holder;
    return *wanted;
  }
  // Fresh addresses first: the cursor only moves forward, so each host is
  // looked at once between restarts (amortised O(log n) per allocation).
  const uint64_t hosts = subnet.HostCount();
  while (pool.next_fresh < hosts) {
    std::optional<Ipv4Address> a = subnet.Host(pool.next_fresh++);
    if (a && pool.taken.emplace(a->value(), holder).second) return *a;
  }
  while (!pool.released.empty()) {
    uint32_t a = pool.released.front();
    pool.released.pop_front();
    if (pool.taken.emplace(a, holder).second) return Ipv4Address(a);
  }
  return absl::ResourceExhaustedError(StrCat("subnet ", subnet.Normalized().ToString(),
                                             " has no free address left for ", holder, " (",
                                             pool.taken.size(), " of ", hosts, " held)"));
}

void PodAddressAllocator::Release(const Ipv4Prefix& subnet, Ipv4Address address) {
  std::lock_guard lock(mu_);
  Pool& pool = PoolOf(subnet);
  if (pool.taken.erase(address.value()) == 0) return;
  pool.released.push_back(address.value());
}

std::string PodAddressAllocator::HolderOf(const Ipv4Prefix& subnet, Ipv4Address address) const {
  std::lock_guard lock(mu_);
  auto pool = pools_.find(subnet.Normalized());
  if (pool == pools_.end()) return "";
  auto it = pool->second.taken.find(address.value());
  return it == pool->second.taken.end() ? "" : it->second;
}

size_t PodAddressAllocator::TakenCount(const Ipv4Prefix& subnet) const {
  std::lock_guard lock(mu_);
  auto pool = pools_.find(subnet.Normalized());
  return pool == pools_.end() ? 0 : pool->second.taken.size();
}

}  // namespace pharos::core
