// The vehicle as a graph: nodes (vehicle, SoCs, VMs, pods, cloud hosts)
// and the L2 segments (subnets) that join them. The validator checks it,
// the planner turns it into namespaces, bridges and veths. Built from
// whatever fields parsed; malformed fields are simply left out.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ipv4.h"
#include "model/vehicle.h"

namespace pharos::model {

// The name of the node that holds the backbone and cloud bridges (the
// vehicle's central gateway). Reserved: no component may use it.
inline constexpr char kVehicleNode[] = "vehicle";

enum class NodeKind { kVehicle, kSoc, kVm, kPod, kCloudHost };
enum class SegmentKind { kBackbone, kVmNet, kPodNet, kCloud };

std::string_view NodeKindName(NodeKind k);  // "vehicle", "soc", "vm", ...
std::string_view SegmentKindName(SegmentKind k);

struct Segment {
  std::string id;  // "soc1:10.2.0.0/24"; unique
  SegmentKind kind = SegmentKind::kBackbone;
  std::string owner;  // node holding the bridge and the gateway address
  Ipv4Prefix prefix;
  Ipv4Address gateway;
  bool gateway_explicit = false;
  std::string bridge;                // user-chosen bridge name (unprefixed), may be empty
  std::vector<std::string> members;  // nodes attached as hosts, in order
  std::string path;                  // where the subnet is first declared
  Mark mark;
  int index_in_owner = 0;  // 0, 1, ... per owner and kind
  std::string network;     // the runtime network set up on it by name ("" for none)
};

// A service a pod declares (`services:` of its block), as the registry
// takes it.
struct PodService {
  std::string name;
  int port = 0;
  std::string transport;  // tcp | udp
  std::string kind;       // grpc | rest | someip | dds
  bool operator==(const PodService&) const = default;
};

struct TopologyNode {
  std::string name;
  NodeKind kind = NodeKind::kVehicle;
  std::string parent;                // empty for the vehicle
  std::string uplink_segment;        // segment id; empty for the vehicle
  std::optional<Ipv4Address> ip;     // address on the uplink segment
  bool ip_assigned_by_plan = false;  // a cni pod without a static ip
  std::string interface;             // uplink name inside the node (pods only)
  std::string netns;                 // pods only: a runtime's namespace to attach
  std::vector<PodService> services;  // pods only
  std::string k8s_namespace;         // pods only
  std::string path;
  Mark mark;
  std::string ip_path;
  Mark ip_mark;
};

struct Topology {
  std::vector<TopologyNode> nodes;  // vehicle first, then declaration order
  std::vector<Segment> segments;

  const TopologyNode* FindNode(std::string_view name) const;
  const Segment* FindSegment(std::string_view id) const;
  // The first pod subnet of VM `vm`, in the order of the YAML (null: none).
  const Segment* FirstPodSegmentOf(std::string_view vm) const;
  // Segments (in order) where `node` is owner or member.
  std::vector<const Segment*> SegmentsOf(std::string_view node) const;
  // The node whose address (host or gateway) is `a`, if any.
  std::optional<std::string> OwnerOf(Ipv4Address a) const;
};

// Builds the graph. Conflicts that only the graph reveals (the same subnet
// with two different gateways, a subnet shared by pods of different VMs)
// are reported to `findings`.
// Addresses the plan gave pods (without a static ip) before, by pod name.
// Kept when still free, so adding a pod never renumbers its neighbours.
using PlannedAddresses = std::map<std::string, Ipv4Address>;

Topology BuildTopology(const VehicleSpec& vehicle, Findings& findings,
                       const PlannedAddresses* preferred = nullptr);

// The addresses the plan assigned (cni pods without a static ip).
PlannedAddresses PlannedAddressesOf(const Topology& topology);

// The node pod `pod` of VM `vm` is, as BuildTopology makes it, without its
// uplink (segment and address are the caller's).
TopologyNode PodNodeOf(const PodSpec& pod, const std::string& vm);
std::string PlannedAddressesToJson(const PlannedAddresses& addresses);
PlannedAddresses PlannedAddressesFromJson(const std::string& json);

}  // namespace pharos::model
