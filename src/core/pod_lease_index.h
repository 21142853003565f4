// Which address a runtime pod gets, without a scan of every lease per
// request (issue 14): the PodAddressAllocator, filled per subnet on first
// use from what holds addresses there (the declared vehicle's nodes and
// gateways, the stored leases) and then kept up to date as leases come
// and go. When the declared configuration changes, it starts over.
//
// Not thread-safe: the pod manager calls it with the runtime pod table's
// lock held (the same lock its rows are written under).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "common/ipv4.h"
#include "core/pod_address_allocator.h"
#include "model/topology.h"
#include "store/pod_store.h"

namespace pharos::core {

class PodLeaseIndex {
 public:
  explicit PodLeaseIndex(store::PodStore& rows) : rows_(rows) {}

  // The declared vehicle (runtime pods not merged in) the next calls judge
  // by; a different one than before drops what is indexed.
  void Follow(std::shared_ptr<const model::Topology> declared);
  // How many pods the declared vehicle has.
  size_t DeclaredPods() const { return declared_pods_; }

  // An address of `subnet` for `pod`: `wanted` if given and free, else a
  // fresh one, else the one released longest ago (pod_address_allocator.h).
  // InvalidArgument (why `wanted` cannot be had), ResourceExhausted, or the
  // store's error while filling the subnet's index.
  // `applied`: the vehicle as now converged, for the subnets' gateways.
  absl::StatusOr<Ipv4Address> Lease(const Ipv4Prefix& subnet, const model::Topology& applied,
                                    const std::string& pod, std::optional<Ipv4Address> wanted);
  // The lease of a row that is gone (or moved elsewhere).
  void Release(const std::string& subnet, const std::string& ip);

 private:
  static constexpr const char* kGatewayHolder = "the subnet's gateway";
  absl::Status Fill(const Ipv4Prefix& subnet);

  store::PodStore& rows_;
  std::shared_ptr<const model::Topology> declared_;
  std::unique_ptr<PodAddressAllocator> addresses_ = std::make_unique<PodAddressAllocator>();
  std::set<Ipv4Prefix> filled_;  // normalised subnets
  size_t declared_pods_ = 0;
};

}  // namespace pharos::core
