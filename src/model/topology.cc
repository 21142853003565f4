#include "model/topology.h"

#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"

namespace pharos::model {

std::string_view NodeKindName(NodeKind k) {
  switch (k) {
    case NodeKind::kVehicle:
      return "vehicle";
    case NodeKind::kSoc:
      return "soc";
    case NodeKind::kVm:
      return "vm";
    case NodeKind::kPod:
      return "pod";
    case NodeKind::kCloudHost:
      return "cloud-host";
  }
  return "node";
}

std::string_view SegmentKindName(SegmentKind k) {
  switch (k) {
    case SegmentKind::kBackbone:
      return "backbone";
    case SegmentKind::kVmNet:
      return "vm-network";
    case SegmentKind::kPodNet:
      return "pod-network";
    case SegmentKind::kCloud:
      return "cloud";
  }
  return "segment";
}

const TopologyNode* Topology::FindNode(std::string_view name) const {
  for (const auto& n : nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const Segment* Topology::FirstPodSegmentOf(std::string_view vm) const {
  for (const auto& s : segments) {
    if (s.kind == SegmentKind::kPodNet && s.owner == vm) return &s;
  }
  return nullptr;
}

const Segment* Topology::FindSegment(std::string_view id) const {
  for (const auto& s : segments) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::vector<const Segment*> Topology::SegmentsOf(std::string_view node) const {
  std::vector<const Segment*> out;
  for (const auto& s : segments) {
    bool member = s.owner == node;
    for (const auto& m : s.members) member = member || m == node;
    if (member) out.push_back(&s);
  }
  return out;
}

std::optional<std::string> Topology::OwnerOf(Ipv4Address a) const {
  for (const auto& s : segments) {
    if (s.gateway == a && s.prefix.Contains(a)) return s.owner;
  }
  for (const auto& n : nodes) {
    if (n.ip && *n.ip == a) return n.name;
  }
  return std::nullopt;
}

namespace {

class Builder {
 public:
  Builder(Findings& f, const PlannedAddresses* preferred) : findings_(f), preferred_(preferred) {}

  // Finds or creates the segment of `kind` owned by `owner` with `prefix`.
  Segment* Attach(SegmentKind kind, const std::string& owner, const PrefixField& subnet,
                  const AddressField& gateway, const TextField& bridge) {
    if (!subnet.prefix) return nullptr;
    std::string id = StrCat(owner, ":", subnet.prefix->ToString());
    for (auto& s : topo_.segments) {
      if (s.id != id) continue;
      if (gateway.address) {
        if (s.gateway_explicit && s.gateway != *gateway.address) {
          findings_.Error(
              gateway.path, gateway.mark,
              StrCat("subnet ", subnet.value, " already has gateway ", s.gateway.ToString(), " (",
                     s.path, "); one subnet has one gateway"),
              "use the same gateway, or drop one of them");
        } else if (!s.gateway_explicit) {
          s.gateway = *gateway.address;
          s.gateway_explicit = true;
        }
      }
      if (bridge.present && s.bridge.empty()) s.bridge = bridge.value;
      return &s;
    }
    Segment s;
    s.id = id;
    s.kind = kind;
    s.owner = owner;
    s.prefix = *subnet.prefix;
    s.path = subnet.path;
    s.mark = subnet.mark;
    if (gateway.address) {
      s.gateway = *gateway.address;
      s.gateway_explicit = true;
    } else {
      // First host of the subnet, per DESIGN.md (10.2.0.0/24 -> 10.2.0.1).
      s.gateway = s.prefix.Host(0).value_or(s.prefix.network());
    }
    s.bridge = bridge.present ? bridge.value : "";
    for (const auto& other : topo_.segments) {
      if (other.owner == owner && other.kind == kind) ++s.index_in_owner;
    }
    topo_.segments.push_back(std::move(s));
    return &topo_.segments.back();
  }

  TopologyNode& AddNode(NodeKind kind, const std::string& name, const std::string& parent,
                        const std::string& path, Mark mark) {
    TopologyNode n;
    n.name = name;
    n.kind = kind;
    n.parent = parent;
    n.path = path;
    n.mark = mark;
    topo_.nodes.push_back(std::move(n));
    return topo_.nodes.back();
  }

  void SetUplink(TopologyNode& node, Segment* seg, const AddressField& ip) {
    if (!seg) return;
    node.uplink_segment = seg->id;
    node.ip = ip.address;
    node.ip_path = ip.path;
    node.ip_mark = ip.mark;
    seg->members.push_back(node.name);
  }

  void Build(const VehicleSpec& v) {
    AddNode(NodeKind::kVehicle, kVehicleNode, "", v.path, v.mark);
    TextField no_bridge;
    AddressField no_gateway;
    for (const auto& soc : v.socs) {
      if (!soc.name.present) continue;
      TopologyNode& sn = AddNode(NodeKind::kSoc, soc.name.value, kVehicleNode, soc.path, soc.mark);
      Segment* backbone =
          Attach(SegmentKind::kBackbone, kVehicleNode, soc.subnet, soc.gateway, no_bridge);
      SetUplink(topo_.nodes.back(), backbone, soc.ip);
      (void)sn;
      for (const auto& vm : soc.vms) {
        if (!vm.name.present) continue;
        AddNode(NodeKind::kVm, vm.name.value, soc.name.value, vm.path, vm.mark);
        Segment* vmnet =
            Attach(SegmentKind::kVmNet, soc.name.value, vm.subnet, vm.gateway, vm.bridge);
        SetUplink(topo_.nodes.back(), vmnet, vm.ip);
        for (const auto& pod : vm.pods) {
          if (!pod.name.present) continue;
          topo_.nodes.push_back(PodNodeOf(pod, vm.name.value));
          Segment* podnet =
              Attach(SegmentKind::kPodNet, vm.name.value, pod.subnet, pod.gateway, pod.bridge);
          SetUplink(topo_.nodes.back(), podnet, pod.ip);
        }
        for (const auto& net : vm.pod_networks) {
          Segment* podnet =
              Attach(SegmentKind::kPodNet, vm.name.value, net.subnet, no_gateway, net.bridge);
          // A network on a pod subnet the vehicle has anyway owns nothing.
          if (podnet && net.bridge.present) podnet->network = net.name;
        }
      }
    }
    if (v.cloud.present) {
      TextField cloud_bridge;
      Segment* cloud =
          Attach(SegmentKind::kCloud, kVehicleNode, v.cloud.subnet, v.cloud.gateway, cloud_bridge);
      for (const auto& ep : v.cloud.endpoints) {
        if (!ep.name.present) continue;
        AddNode(NodeKind::kCloudHost, ep.name.value, kVehicleNode, ep.path, ep.mark);
        SetUplink(topo_.nodes.back(), cloud, ep.ip);
      }
    }
    AssignPodAddresses();
  }

  // cni pods without a static ip keep the address they had (`preferred_`)
  // when it is still free; the others get the lowest free host of their
  // subnet, in declaration order. Deterministic for a given YAML and
  // history. (IPAM persists real leases once pods are requested at run time.)
  void AssignPodAddresses() {
    std::map<std::string_view, TopologyNode*> by_name;
    for (auto& n : topo_.nodes) by_name.emplace(n.name, &n);
    for (auto& seg : topo_.segments) {
      std::vector<TopologyNode*> members;
      for (const auto& m : seg.members) {
        if (auto it = by_name.find(m); it != by_name.end()) members.push_back(it->second);
      }
      std::set<uint32_t> used{seg.gateway.value()};
      for (const TopologyNode* n : members) {
        if (n->ip) used.insert(n->ip->value());
      }
      auto take = [&](TopologyNode* n, Ipv4Address a) {
        n->ip = a;
        n->ip_assigned_by_plan = true;
        used.insert(a.value());
      };
      for (TopologyNode* n : members) {
        if (n->ip || n->kind != NodeKind::kPod || !preferred_) continue;
        auto it = preferred_->find(n->name);
        if (it != preferred_->end() && seg.prefix.Contains(it->second) &&
            !seg.prefix.IsNetworkOrBroadcast(it->second) && !used.count(it->second.value()))
          take(n, it->second);
      }
      uint64_t next = 0;
      for (TopologyNode* n : members) {
        if (n->ip || n->kind != NodeKind::kPod) continue;
        while (auto host = seg.prefix.Host(next++)) {
          if (!used.count(host->value())) {
            take(n, *host);
            break;
          }
        }
      }
    }
  }

  Topology Take() { return std::move(topo_); }

 private:
  Findings& findings_;
  const PlannedAddresses* preferred_;
  Topology topo_;
};

}  // namespace

Topology BuildTopology(const VehicleSpec& vehicle, Findings& findings,
                       const PlannedAddresses* preferred) {
  Builder b(findings, preferred);
  b.Build(vehicle);
  return b.Take();
}

TopologyNode PodNodeOf(const PodSpec& pod, const std::string& vm) {
  TopologyNode pn;
  pn.name = pod.name.value;
  pn.kind = NodeKind::kPod;
  pn.parent = vm;
  pn.path = pod.path;
  pn.mark = pod.mark;
  pn.interface = pod.interface.present ? pod.interface.value : "eth0";
  pn.k8s_namespace = pod.k8s_namespace.value;
  pn.netns = pod.netns.value;
  for (const auto& svc : pod.services) {
    std::string transport = svc.protocol.present ? svc.protocol.value : "tcp";
    std::string kind = svc.kind.present     ? svc.kind.value
                       : transport == "udp" ? "someip"
                                            : "grpc";
    pn.services.push_back(
        {svc.name.value, static_cast<int>(svc.port.number.value_or(0)), transport, kind});
  }
  return pn;
}

PlannedAddresses PlannedAddressesOf(const Topology& topology) {
  PlannedAddresses out;
  for (const auto& n : topology.nodes) {
    if (n.ip_assigned_by_plan && n.ip) out[n.name] = *n.ip;
  }
  return out;
}

std::string PlannedAddressesToJson(const PlannedAddresses& addresses) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, ip] : addresses) j[name] = ip.ToString();
  return j.dump();
}

PlannedAddresses PlannedAddressesFromJson(const std::string& json) {
  PlannedAddresses out;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;  // unreadable: plan afresh, never fail a replay
  for (const auto& [name, value] : j.items()) {
    if (!value.is_string()) continue;
    if (auto ip = Ipv4Address::Parse(value.get<std::string>())) out[name] = *ip;
  }
  return out;
}

}  // namespace pharos::model
