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
// Cheaper than slicing when only a few namespaces changed. In two parts:
// `own` covers everything but the veths made from this side (a VM's links
// to its pods, a bridge owner's to its members), which are in `children`,
// one digest each; every veth is in its peer namespace's `own` too. So a
// pod that comes or goes changes its VM's `children` only, and the VM need
// not be observed for it (LinuxBackend's scope): the pair is made and
// checked from the pod's side, and dies with the pod's namespace.
struct ChildLinkDigest {
  uint64_t digest = 0;
  std::string peer_netns;
  bool operator==(const ChildLinkDigest&) const = default;
};
struct NamespaceDigest {
  uint64_t own = 0;
  std::map<std::string, ChildLinkDigest> children;  // by the veth's name here
  // A runtime's namespace (attach_to): removing its name leaves its links.
  bool attached = false;
  bool operator==(const NamespaceDigest&) const = default;
};
ChildLinkDigest ChildLinkDigestOf(const plan::VethObject& veth);
// `only` (optional): digest just these namespaces.
std::map<std::string, NamespaceDigest> DigestByNamespace(
    const plan::Plan& plan, const std::set<std::string>* only = nullptr);

struct ReconcileReport {
  std::vector<std::string> actions;            // "create bridge ph-bb0 in ph-vehicle"
  std::set<std::string> changed_components;    // components an action touched
  std::map<std::string, std::vector<std::string>> actions_by_component;
};

// A veth end in a namespace out of scope whose pair is no longer desired
// (a removed pod's link in its VM): deleted by name, without observing
// that namespace. Namespace deletion would take it too, but only once the
// last reference to the namespace is gone, which is later and not ours.
struct LinkRef {
  std::string netns;
  std::string name;
  std::string component;
  bool operator==(const LinkRef&) const = default;
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
  // `unlink`: links to delete by name (see LinkRef), before the scoped
  // namespaces that are no longer desired are removed.
  absl::StatusOr<ReconcileReport> Converge(const std::map<std::string, NamespaceSlice>& slices,
                                           const std::set<std::string>& scope,
                                           const std::map<std::string, std::string>& components,
                                           const std::vector<LinkRef>& unlink = {});

 private:
  Kernel& kernel_;
  std::string marker_;
  bool manage_namespaces_;
};

}  // namespace pharos::dataplane
