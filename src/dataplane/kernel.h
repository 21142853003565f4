// What the reconciler needs from the kernel, one network namespace at a
// time. NetlinkKernel is the real one (netlink + libnftables); unit tests
// use a fake. Namespace "" is the one pharosd started in (host mode).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "netlink/message.h"
#include "plan/plan.h"

namespace pharos::dataplane {

// Every link Pharos creates carries this alias, and the loopback of every
// namespace it creates carries kOwnerAlias + prefix: what Pharos removes
// must carry its mark.
inline constexpr char kOwnerAlias[] = "pharos";
std::string NamespaceMarker(std::string_view interface_prefix);

struct ObservedNamespace {
  std::vector<netlink::Link> links;
  std::vector<netlink::AddressEntry> addresses;
  std::vector<netlink::RouteEntry> routes;  // Pharos's own (protocol 212) only
  std::vector<netlink::RuleEntry> rules;    // Pharos's own only
  bool forwarding = false;
  // Fingerprint of the Pharos NAT table; nullopt when there is none.
  std::optional<std::string> nat_fingerprint;

  const netlink::Link* FindLink(std::string_view name) const;
  const netlink::Link* FindLink(int index) const;
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  virtual absl::StatusOr<std::vector<std::string>> ListNamespaces() = 0;
  virtual bool NamespaceExists(const std::string& ns) = 0;
  // Creates the namespace, brings its loopback up and marks it with
  // `marker` (the loopback's alias). With `attach_to` (the path of a
  // container runtime's namespace) that namespace gets the name instead of
  // a new one; removing the name later leaves the runtime's namespace alive.
  virtual absl::Status CreateNamespace(const std::string& ns, const std::string& marker,
                                       const std::string& attach_to) = 0;
  // The loopback alias of an existing namespace ("" when unmarked).
  virtual absl::StatusOr<std::string> NamespaceMarkerOf(const std::string& ns) = 0;
  // Marks an existing namespace (adopting one whose creation was cut short).
  virtual absl::Status MarkNamespace(const std::string& ns, const std::string& marker) = 0;
  virtual absl::Status DeleteNamespace(const std::string& ns) = 0;

  virtual absl::StatusOr<ObservedNamespace> Observe(const std::string& ns) = 0;
  virtual absl::Status SetForwarding(const std::string& ns, bool enabled) = 0;

  // Links are created up; a veth's first end enslaved to `master` ("" =
  // none). One message each: no separate configuration round trips.
  virtual absl::Status CreateBridge(const std::string& ns, const std::string& name) = 0;
  // `v.name` in `v.netns`, its peer (with `v.peer_mac` when set) in
  // `v.peer_netns`.
  virtual absl::Status CreateVeth(const plan::VethObject& v) = 0;
  // Master ("" = none), admin up, and the owner alias.
  virtual absl::Status ConfigureLink(const std::string& ns, const std::string& name,
                                     const std::string& master, bool up) = 0;
  virtual absl::Status SetLinkMac(const std::string& ns, const std::string& name,
                                  const MacAddress& mac) = 0;
  virtual absl::Status DeleteLink(const std::string& ns, const std::string& name) = 0;

  virtual absl::Status AddAddress(const std::string& ns, const plan::AddressObject& a) = 0;
  virtual absl::Status DeleteAddress(const std::string& ns, const netlink::AddressEntry& a) = 0;
  virtual absl::Status AddRoute(const std::string& ns, const plan::RouteObject& r) = 0;
  virtual absl::Status DeleteRoute(const std::string& ns, const netlink::RouteEntry& r) = 0;
  virtual absl::Status AddRule(const std::string& ns, const plan::RuleObject& r) = 0;
  virtual absl::Status DeleteRule(const std::string& ns, const netlink::RuleEntry& r) = 0;
  // Replaces the Pharos NAT table atomically; empty `nats` removes it.
  virtual absl::Status ReplaceNat(const std::string& ns,
                                  const std::vector<plan::NatObject>& nats) = 0;

  // What the namespace's FIB does with `destination` (RTM_GETROUTE).
  virtual absl::StatusOr<netlink::RouteEntry> LookupRoute(const std::string& ns,
                                                          Ipv4Address destination) = 0;
  // Every link with its counters (metrics), cheaper than Observe.
  virtual absl::StatusOr<std::vector<netlink::Link>> Links(const std::string& ns) = 0;
  // Forgets cached sockets of a namespace (after it was removed).
  virtual void Forget(const std::string& ns) {}
};

}  // namespace pharos::dataplane
