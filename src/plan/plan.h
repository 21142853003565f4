// The desired state of the dataplane: a flat list of typed kernel objects,
// each tagged with the component it belongs to. Deterministic: the same
// model gives the same plan, object for object, in the same order.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/ipv4.h"
#include "common/mac_address.h"

namespace pharos::plan {

struct NamespaceObject {
  std::string name;       // "ph-soc1"
  std::string component;  // "soc1"
  bool forwarding = false;  // routers (vehicle, SoCs, VMs) forward IPv4
  // A container runtime's namespace (path) named instead of a new one
  // (pods with networking.netns, e.g. set up through pharos-cni).
  std::string attach_to;
  bool operator==(const NamespaceObject&) const = default;
};

struct BridgeObject {
  std::string netns;
  std::string name;
  std::string component;  // "soc1/ph-vmbr0"
  bool operator==(const BridgeObject&) const = default;
};

// A veth pair: `name` in `netns` (enslaved to `master` when set), `peer`
// in `peer_netns`.
struct VethObject {
  std::string netns;
  std::string name;
  std::string master;
  std::string peer_netns;
  std::string peer;
  std::string component;  // the child node the pair connects
  // The peer's MAC (pods: derived from their address); nullopt: the kernel's.
  std::optional<MacAddress> peer_mac;
  bool operator==(const VethObject&) const = default;
};

struct AddressObject {
  std::string netns;
  std::string ifname;
  Ipv4Address address;
  int prefix_length = 0;
  std::string component;
  bool operator==(const AddressObject&) const = default;
};

struct RouteObject {
  std::string netns;
  Ipv4Prefix destination;
  std::optional<Ipv4Address> gateway;  // nullopt: on-link via `device`
  std::string device;
  int table = 254;  // main
  int metric = 0;
  std::string origin;  // "derived" or the YAML path of a configured route
  std::string component;
  bool operator==(const RouteObject&) const = default;
};

// Policy routing: "from <source> to <destination> lookup <table>".
struct RuleObject {
  std::string netns;
  Ipv4Prefix source;
  Ipv4Prefix destination;
  int table = 0;
  int priority = 0;
  std::string origin;
  std::string component;
  bool operator==(const RuleObject&) const = default;
};

struct NatObject {
  std::string netns;
  std::string name;
  std::string type;  // snat | dnat | masquerade
  std::optional<Ipv4Prefix> source;
  std::optional<Ipv4Prefix> destination;
  std::string protocol;
  int port = 0;
  std::optional<Ipv4Address> to_address;
  int to_port = 0;
  std::string out_device;  // empty: any
  std::string component;
  bool operator==(const NatObject&) const = default;
};

// What GetNetworkStatus lists before the kernel is asked anything.
struct ComponentInfo {
  std::string name;
  std::string type;  // vehicle, soc, vm, pod, cloud-host, bridge
  std::string netns;
  std::string ip;    // primary address, "" for none
  std::vector<std::string> connected_to;
  bool operator==(const ComponentInfo&) const = default;
};

struct Plan {
  std::string interface_prefix;
  std::vector<NamespaceObject> namespaces;
  std::vector<BridgeObject> bridges;
  std::vector<VethObject> veths;
  std::vector<AddressObject> addresses;
  std::vector<RouteObject> routes;
  std::vector<RuleObject> rules;
  std::vector<NatObject> nats;
  std::vector<ComponentInfo> components;

  size_t ObjectCount() const {
    return namespaces.size() + bridges.size() + veths.size() + addresses.size() +
           routes.size() + rules.size() + nats.size();
  }
};

// What an incremental change to a plan touched: the namespaces whose own
// objects changed, and the links a parent namespace holds to a child (a
// VM's veth to a pod: made and checked from the child's side) that came,
// went or changed, by (namespace, link name).
struct ChangedParts {
  std::set<std::string> namespaces;
  std::set<std::pair<std::string, std::string>> child_links;
};

// Stable identity of each object (what the reconciler and diff match on).
std::string KeyOf(const NamespaceObject& o);
std::string KeyOf(const BridgeObject& o);
std::string KeyOf(const VethObject& o);
std::string KeyOf(const AddressObject& o);
std::string KeyOf(const RouteObject& o);
std::string KeyOf(const RuleObject& o);
std::string KeyOf(const NatObject& o);

// One line per object, grouped by namespace, e.g.
//   netns ph-soc1 (soc1) forwarding
//     bridge ph-vmbr0
//     route 10.2.1.0/24 via 10.2.0.10 dev ph-vmbr0  [derived]
std::string FormatPlanText(const Plan& plan);
std::string FormatPlanJson(const Plan& plan, int indent = 2);

}  // namespace pharos::plan
