#include "plan/planner.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/strings.h"
#include "plan/naming.h"
#include "plan/path_tracer.h"

namespace pharos::plan {
namespace {

using model::NodeKind;
using model::Segment;
using model::SegmentKind;
using model::Topology;
using model::TopologyNode;

constexpr int kMainTable = 254;
constexpr int kRulePriorityBase = 1000;

class Planner {
 public:
  Planner(const model::VehicleSpec& v, const Topology& t, const PlannerOptions& o,
          model::Findings& f)
      : v_(v), topo_(t), prefix_(o.interface_prefix), f_(f) {}

  Plan Build() {
    plan_.interface_prefix = prefix_;
    NameBridges();
    for (const auto& node : topo_.nodes) PlanNode(node);
    for (const auto& seg : topo_.segments) PlanBridge(seg);
    for (const auto& node : topo_.nodes) PlanDerivedRoutes(node);
    for (size_t i = 0; i < v_.routes.size(); ++i) PlanConfiguredRoute(v_.routes[i], i);
    for (const auto& nat : v_.nat) PlanNat(nat);
    CheckInterfaceCollisions();
    CheckLoops();
    Sort();
    return std::move(plan_);
  }

  Plan BuildPod(const TopologyNode& pod) {
    plan_.interface_prefix = prefix_;
    if (const Segment* up = topo_.FindSegment(pod.uplink_segment)) {
      bridge_of_[up->id] = BridgeName(*up);
    }
    PlanNode(pod);
    PlanDerivedRoutes(pod);
    for (size_t i = 0; i < v_.routes.size(); ++i) PlanConfiguredRoute(v_.routes[i], i, &pod);
    Sort();
    return std::move(plan_);
  }

  std::string BridgeComponent(const Segment& seg) {
    if (!bridge_of_.count(seg.id)) bridge_of_[seg.id] = BridgeName(seg);
    return StrCat(seg.owner, "/", bridge_of_.at(seg.id));
  }

 private:
  void NameBridges() {
    for (const auto& seg : topo_.segments) bridge_of_[seg.id] = BridgeName(seg);
  }

  std::string Ns(const std::string& node) const { return NamespaceName(prefix_, node); }

  std::string BridgeName(const Segment& seg) const {
    if (!seg.bridge.empty()) return prefix_ + seg.bridge;
    switch (seg.kind) {
      case SegmentKind::kBackbone:
        return InterfaceName(prefix_, StrCat("bb", seg.index_in_owner));
      case SegmentKind::kVmNet:
        return InterfaceName(prefix_, StrCat("vmbr", seg.index_in_owner));
      case SegmentKind::kPodNet:
        return InterfaceName(prefix_, StrCat("podbr", seg.index_in_owner));
      case SegmentKind::kCloud:
        return InterfaceName(prefix_, StrCat("cloud", seg.index_in_owner));
    }
    return prefix_ + "br";
  }

  // Name of `node`'s own end of its uplink veth.
  std::string UplinkName(const TopologyNode& node) const {
    if (node.kind == NodeKind::kPod) return node.interface;
    if (node.kind == NodeKind::kCloudHost) return "eth0";
    return InterfaceName(prefix_, "uplink");
  }

  // The interface `node` uses on segment `seg` (its uplink or a bridge).
  std::string DeviceOn(const TopologyNode& node, const Segment& seg) const {
    if (seg.owner == node.name) return bridge_of_.at(seg.id);
    return UplinkName(node);
  }

  void PlanNode(const TopologyNode& node) {
    bool router = node.kind == NodeKind::kVehicle || node.kind == NodeKind::kSoc ||
                  node.kind == NodeKind::kVm;
    plan_.namespaces.push_back({Ns(node.name), node.name, router, node.netns});
    ComponentInfo info{node.name, std::string(model::NodeKindName(node.kind)),
                       Ns(node.name), node.ip ? node.ip->ToString() : "", {}};
    const Segment* up = topo_.FindSegment(node.uplink_segment);
    if (up && node.ip) {
      std::string uplink = UplinkName(node);
      std::optional<MacAddress> mac;
      if (node.kind == NodeKind::kPod) mac = MacAddress::DerivedFrom(*node.ip);
      plan_.veths.push_back({Ns(up->owner), InterfaceName(prefix_, node.name),
                             bridge_of_.at(up->id), Ns(node.name), uplink, node.name, mac});
      plan_.addresses.push_back(
          {Ns(node.name), uplink, *node.ip, up->prefix.length(), node.name});
      info.connected_to.push_back(BridgeComponent(*up));
    }
    for (const auto& seg : topo_.segments) {
      if (seg.owner == node.name) info.connected_to.push_back(BridgeComponent(seg));
    }
    if (node.kind == NodeKind::kVehicle && info.ip.empty()) {
      for (const auto& seg : topo_.segments) {
        if (seg.owner == node.name) {
          info.ip = seg.gateway.ToString();
          break;
        }
      }
    }
    plan_.components.push_back(std::move(info));
  }

  void PlanBridge(const Segment& seg) {
    std::string name = bridge_of_.at(seg.id);
    std::string component = BridgeComponent(seg);
    plan_.bridges.push_back({Ns(seg.owner), name, component});
    plan_.addresses.push_back(
        {Ns(seg.owner), name, seg.gateway, seg.prefix.length(), component});
    ComponentInfo info{component, "bridge", Ns(seg.owner), seg.gateway.ToString(), {}};
    info.connected_to.push_back(seg.owner);
    info.connected_to.insert(info.connected_to.end(), seg.members.begin(),
                             seg.members.end());
    plan_.components.push_back(std::move(info));
  }

  // All segments below `node` (owned by it or by its descendants).
  void CollectDescendantSegments(const std::string& node,
                                 std::vector<const Segment*>& out) const {
    for (const auto& seg : topo_.segments) {
      if (seg.owner != node) continue;
      out.push_back(&seg);
      for (const auto& m : seg.members) CollectDescendantSegments(m, out);
    }
  }

  void PlanDerivedRoutes(const TopologyNode& node) {
    std::string ns = Ns(node.name);
    const Segment* up = topo_.FindSegment(node.uplink_segment);
    if (up && node.ip) {
      plan_.routes.push_back({ns, Ipv4Prefix(), up->gateway, UplinkName(node),
                              kMainTable, 0, "derived", node.name});
    }
    // Subnets behind each router member of my segments: via that member.
    for (const auto& seg : topo_.segments) {
      if (seg.owner != node.name) continue;
      for (const auto& member_name : seg.members) {
        const TopologyNode* member = topo_.FindNode(member_name);
        if (!member || !member->ip) continue;
        std::vector<const Segment*> behind;
        CollectDescendantSegments(member_name, behind);
        for (const Segment* b : behind) {
          plan_.routes.push_back({ns, b->prefix, *member->ip, bridge_of_.at(seg.id),
                                  kMainTable, 0, "derived", node.name});
        }
      }
    }
  }

  // `only`: plan the route for that node alone (and report nothing).
  void PlanConfiguredRoute(const model::RouteSpec& r, size_t index,
                           const TopologyNode* only = nullptr) {
    if (!r.to.prefix || !r.gateway.address) return;
    Ipv4Prefix from = r.from.prefix.value_or(Ipv4Prefix());
    Ipv4Prefix to = *r.to.prefix;
    Ipv4Address gw = *r.gateway.address;
    int table = static_cast<int>(r.table.number.value_or(kMainTable));
    int metric = static_cast<int>(r.metric.number.value_or(0));
    std::optional<std::string> gw_owner = topo_.OwnerOf(gw);

    std::vector<const TopologyNode*> targets;
    std::vector<std::string> skipped;
    for (const auto& node : topo_.nodes) {
      if (only && node.name != only->name) continue;
      if (r.node.present ? node.name != r.node.value : !AttachedTo(node.name, from))
        continue;
      if (gw_owner && *gw_owner == node.name) {
        skipped.push_back(StrCat(node.name, " holds the gateway"));
        continue;
      }
      if (table == kMainTable && DirectlyConnected(node.name, to)) {
        skipped.push_back(StrCat(node.name, " is directly attached to ", r.to.value));
        continue;
      }
      targets.push_back(&node);
    }
    int added = 0, redundant = 0;
    for (const TopologyNode* node : targets) {
      const Segment* via = nullptr;
      for (const Segment* seg : topo_.SegmentsOf(node->name)) {
        if (seg->prefix.Contains(gw)) via = seg;
      }
      if (!via) continue;  // the validator reports unreachable gateways
      RouteObject route{Ns(node->name), to, gw, DeviceOn(*node, *via), table, metric,
                        r.path, node->name};
      auto same_dst = std::find_if(plan_.routes.begin(), plan_.routes.end(),
                                   [&](const RouteObject& o) {
                                     return o.netns == route.netns && o.table == table &&
                                            o.destination == to && o.origin == "derived";
                                   });
      if (same_dst != plan_.routes.end()) {
        if (same_dst->gateway == route.gateway && same_dst->device == route.device) ++redundant;
        plan_.routes.erase(same_dst);  // configured routes override derived ones
      }
      plan_.routes.push_back(route);
      ++added;
      if (table != kMainTable) {
        plan_.rules.push_back({Ns(node->name), from, to, table,
                               kRulePriorityBase + static_cast<int>(index), r.path,
                               node->name});
      }
    }
    if (only) return;
    if (added == 0) {
      f_.Info(r.path, r.mark,
              StrCat("route to ", r.to.value, " via ", r.gateway.value,
                           " changes nothing",
                           skipped.empty() ? "" : StrCat(": ", StrJoin(skipped, "; "))),
              "the topology already routes this; the entry can go");
    } else if (redundant == added) {
      f_.Info(r.path, r.mark,
              StrCat("route to ", r.to.value, " via ", r.gateway.value,
                           " is the same as the route Pharos derives"),
              "the entry is harmless and can go");
    }
  }

  bool AttachedTo(const std::string& node, const Ipv4Prefix& p) const {
    for (const Segment* seg : topo_.SegmentsOf(node)) {
      if (seg->prefix.Overlaps(p)) return true;
    }
    return false;
  }

  bool DirectlyConnected(const std::string& node, const Ipv4Prefix& p) const {
    for (const Segment* seg : topo_.SegmentsOf(node)) {
      if (seg->prefix.Contains(p)) return true;
    }
    return false;
  }

  void PlanNat(const model::NatSpec& n) {
    if (!n.node.present || !n.type.present) return;
    const TopologyNode* node = topo_.FindNode(n.node.value);
    if (!node) return;
    NatObject obj;
    obj.netns = Ns(node->name);
    obj.name = n.name.value;
    obj.type = n.type.value;
    obj.source = n.source.prefix;
    obj.destination = n.destination.prefix;
    obj.protocol = n.protocol.value;
    obj.port = static_cast<int>(n.port.number.value_or(0));
    obj.to_address = n.to_address.address;
    obj.to_port = static_cast<int>(n.to_port.number.value_or(0));
    obj.component = node->name;
    const std::string& out = n.out_interface.value;
    if (out == "uplink" && node->kind != NodeKind::kVehicle) {
      obj.out_device = UplinkName(*node);
    } else if (out == "cloud" || out == "backbone") {
      SegmentKind kind = out == "cloud" ? SegmentKind::kCloud : SegmentKind::kBackbone;
      for (const auto& seg : topo_.segments) {
        if (seg.owner == node->name && seg.kind == kind) {
          obj.out_device = bridge_of_.at(seg.id);
          break;
        }
      }
    }
    plan_.nats.push_back(std::move(obj));
  }

  void CheckInterfaceCollisions() {
    std::map<std::pair<std::string, std::string>, std::string> owners;
    auto claim = [&](const std::string& ns, const std::string& ifname,
                     const std::string& what) {
      auto [it, ins] = owners.emplace(std::make_pair(ns, ifname), what);
      if (ins) return;
      f_.Error(v_.path, v_.mark,
               StrCat("interface name '", ifname, "' in namespace ", ns,
                            " is used twice: by ", it->second, " and by ", what),
               "rename one of the components or set an explicit bridge name");
    };
    for (const auto& b : plan_.bridges) claim(b.netns, b.name, "bridge " + b.component);
    for (const auto& v : plan_.veths) {
      claim(v.netns, v.name, "the link to " + v.component);
      claim(v.peer_netns, v.peer, "the uplink of " + v.component);
    }
  }

  void CheckLoops() {
    for (const auto& r : v_.routes) {
      if (!r.to.prefix) continue;
      Ipv4Address probe = r.to.prefix->Host(0).value_or(r.to.prefix->network());
      std::set<std::string> starts;
      for (const auto& route : plan_.routes) {
        if (route.origin == r.path && route.table == kMainTable) starts.insert(route.netns);
      }
      for (const auto& ns : starts) {
        PathTrace t = TracePath(plan_, ns, probe);
        if (t.outcome != PathTrace::Outcome::kLoop) continue;
        std::vector<std::string> names;
        for (const auto& hop : t.hops) names.push_back(hop.component);
        f_.Error(r.path, r.mark,
                 StrCat("route to ", r.to.value, " loops: ",
                              StrJoin(names, " -> ")),
                 "make sure the gateway's node routes the destination onward, not back");
        break;
      }
    }
  }

  void Sort() {
    // Declaration order is kept for namespaces and components (parents
    // before children, the order a person reads); the rest is sorted so
    // that the plan is canonical.
    SortByKey(plan_.bridges);
    SortByKey(plan_.veths);
    SortByKey(plan_.addresses);
    SortByKey(plan_.routes);
    SortByKey(plan_.rules);
    SortByKey(plan_.nats);
  }

  // Computes each key once (keys are built strings).
  template <typename T>
  static void SortByKey(std::vector<T>& objects) {
    std::vector<std::pair<std::string, size_t>> keyed;
    keyed.reserve(objects.size());
    for (size_t i = 0; i < objects.size(); ++i) keyed.emplace_back(KeyOf(objects[i]), i);
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<T> sorted;
    sorted.reserve(objects.size());
    for (const auto& [key, i] : keyed) sorted.push_back(std::move(objects[i]));
    objects = std::move(sorted);
  }

  const model::VehicleSpec& v_;
  const Topology& topo_;
  std::string prefix_;
  model::Findings& f_;
  std::map<std::string, std::string> bridge_of_;  // segment id -> bridge name
  Plan plan_;
};

}  // namespace

Plan BuildPlan(const model::VehicleSpec& vehicle, const Topology& topology,
               const PlannerOptions& options, model::Findings& findings) {
  return Planner(vehicle, topology, options, findings).Build();
}

Plan PlanPodObjects(const model::VehicleSpec& vehicle, const Topology& topology,
                    const TopologyNode& pod, const PlannerOptions& options) {
  model::Findings unused;
  return Planner(vehicle, topology, options, unused).BuildPod(pod);
}

std::string BridgeComponentOf(const Segment& segment, const std::string& interface_prefix) {
  Topology none;
  model::VehicleSpec no_vehicle;
  model::Findings unused;
  return Planner(no_vehicle, none, {interface_prefix}, unused).BridgeComponent(segment);
}

}  // namespace pharos::plan
