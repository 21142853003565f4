// IPAM for runtime pods as a pure part (issue 14): which address of a pod
// subnet a pod gets. Per subnet an index of what is taken (and by whom),
// a cursor over the addresses never handed out since start, and the
// released ones in the order they were freed. O(log n) per allocation
// (amortised), whatever the number of leases.
//
// A freed address is handed out again only when no fresh one is left, and
// then the one freed longest ago (as host-local does): whatever a peer
// still remembers of the old holder (connections, caches) has the most
// time to go. Neighbour caches are no problem either way: a pod's MAC is
// derived from its address (docs/architecture.md, "Pod interfaces").
//
// The pod manager uses it through PodLeaseIndex (pod_lease_index.h).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/ipv4.h"

namespace pharos::core {

class PodAddressAllocator {
 public:
  // Marks `address` of `subnet` as held by `holder` (a lease, a node of the
  // vehicle, a bridge's gateway), e.g. when loading what is stored.
  // InvalidArgument when it is no host address of the subnet,
  // AlreadyExists when someone else holds it.
  absl::Status Take(const Ipv4Prefix& subnet, Ipv4Address address, const std::string& holder);

  // An address of `subnet` for `holder`: `wanted` if given and free
  // (InvalidArgument naming why not, or who holds it), else a fresh one,
  // else the one released longest ago; ResourceExhausted when the subnet
  // has none left. The network and broadcast addresses are never handed
  // out; the gateway must be Taken first.
  absl::StatusOr<Ipv4Address> Allocate(const Ipv4Prefix& subnet, const std::string& holder,
                                       std::optional<Ipv4Address> wanted = std::nullopt);

  // Frees `address` (nothing when it is not held).
  void Release(const Ipv4Prefix& subnet, Ipv4Address address);

  // Who holds `address` ("" when nobody).
  std::string HolderOf(const Ipv4Prefix& subnet, Ipv4Address address) const;
  size_t TakenCount(const Ipv4Prefix& subnet) const;

 private:
  struct Pool {
    std::map<uint32_t, std::string> taken;  // address → holder
    uint64_t next_fresh = 0;                // host index: all below were handed out or taken
    std::deque<uint32_t> released;          // oldest first
  };
  Pool& PoolOf(const Ipv4Prefix& subnet);
  static std::string Unusable(const Ipv4Prefix& subnet, Ipv4Address a);

  mutable std::mutex mu_;
  std::map<Ipv4Prefix, Pool> pools_;  // by normalised subnet
};

}  // namespace pharos::core
