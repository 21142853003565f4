// Desired plan vs observed kernel → the smallest set of changes, applied
// in dependency order (namespaces, links, addresses, routes, rules, NAT,
// then removals). Works on a scope of namespaces so that adding one pod
// observes and touches only the namespaces that pod's objects live in.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/kernel.h"
#include "plan/plan.h"

namespace pharos::dataplane {

// The objects of a plan that live in one namespace. A veth belongs to the
// namespaces of both its ends.
struct NamespaceSlice {
  std::optional<plan::NamespaceObject> ns;
  std::vector<plan::BridgeObject> bridges;
  std::vector<plan::VethObject> veths;       // created from this side
  std::vector<plan::VethObject> peer_veths;  // whose peer end is here
  std::vector<plan::AddressObject> addresses;
  std::vector<plan::RouteObject> routes;
  std::vector<plan::RuleObject> rules;
  std::vector<plan::NatObject> nats;
  bool operator==(const NamespaceSlice&) const = default;
};

// `only` (optional): slice just these namespaces.
std::map<std::string, NamespaceSlice> SliceByNamespace(
    const plan::Plan& plan, const std::set<std::string>* only = nullptr);
// A digest of each namespace's slice: equal digests, equal slices (up to
// hash collisions, which cost a missed repair until the next change).
// Cheaper than slicing when only a few namespaces changed.
std::map<std::string, uint64_t> DigestByNamespace(const plan::Plan& plan);

struct ReconcileReport {
  std::vector<std::string> actions;            // "create bridge ph-bb0 in ph-vehicle"
  std::set<std::string> changed_components;    // components an action touched
  std::map<std::string, std::vector<std::string>> actions_by_component;
};

class Reconciler {
 public:
  // `marker`: what Pharos's namespaces carry (NamespaceMarker(prefix)).
  // `manage_namespaces`: false in host mode (one namespace, the host's).
  Reconciler(Kernel& kernel, std::string marker, bool manage_namespaces)
      : kernel_(kernel), marker_(std::move(marker)), manage_namespaces_(manage_namespaces) {}

  // Converges every namespace in `scope` to `desired`: creates and fixes
  // what is desired, removes what Pharos made there that is not; removes
  // scoped namespaces that are no longer desired (only Pharos's own).
  // `previous` (optional) names the components of removed namespaces.
  absl::StatusOr<ReconcileReport> Converge(const plan::Plan& desired,
                                           const std::set<std::string>& scope,
                                           const plan::Plan* previous = nullptr);
  // The same with the slices of `desired` already computed.
  absl::StatusOr<ReconcileReport> Converge(const std::map<std::string, NamespaceSlice>& slices,
                                           const std::set<std::string>& scope,
                                           const std::map<std::string, std::string>& components);

 private:
  Kernel& kernel_;
  std::string marker_;
  bool manage_namespaces_;
};

}  // namespace pharos::dataplane
