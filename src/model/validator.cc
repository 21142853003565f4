#include "model/validator.h"

#include <map>
#include <set>

#include "common/strings.h"
#include "common/text.h"

namespace pharos::model {
namespace {

std::string Where(const std::string& path, Mark mark) {
  return mark.line ? StrCat(path, " (line ", mark.line, ")") : path;
}

class VehicleRules {
 public:
  VehicleRules(const VehicleSpec& v, const Topology& t, const ValidatorOptions& o, Findings& f)
      : v_(v), topo_(t), opts_(o), f_(f) {}

  void Run() {
    if (v_.socs.empty()) {
      f_.Error(v_.path.empty() ? "vehicle" : v_.path + ".socs", v_.mark,
               "the vehicle has no SoCs: there is nothing to build",
               "add at least one entry under vehicle.socs");
    }
    CheckNames();
    CheckHostAddresses();
    CheckGateways();
    CheckDuplicateAddresses();
    CheckSharedAndOverlappingSubnets();
    CheckCapacity();
    CheckSubnetRanges();
    CheckCounts();
    CheckPods();
    CheckInterfaceNames();
    CheckRoutes();
    CheckNat();
  }

 private:
  void CheckNames() {
    struct Seen {
      std::string path;
      Mark mark;
    };
    std::map<std::string, Seen> seen;
    auto check = [&](const TextField& name, const std::string& what) {
      if (!name.present) return;
      CheckName(name, what, f_);
      if (name.value == kVehicleNode) {
        f_.Error(name.path, name.mark,
                 "'vehicle' is reserved for the vehicle's central gateway node",
                 "choose another name");
      }
      auto [it, inserted] = seen.emplace(name.value, Seen{name.path, name.mark});
      if (!inserted) {
        f_.Error(name.path, name.mark,
                 StrCat("duplicate name '", name.value, "': already used by ",
                        Where(it->second.path, it->second.mark)),
                 "every SoC, VM, pod and cloud host needs its own name (each "
                 "becomes a network namespace)");
      }
    };
    for (const auto& soc : v_.socs) {
      check(soc.name, "SoC");
      for (const auto& vm : soc.vms) {
        check(vm.name, "VM");
        for (const auto& pod : vm.pods) check(pod.name, "pod");
      }
    }
    for (const auto& ep : v_.cloud.endpoints) check(ep.name, "cloud endpoint");
    std::map<std::string, Seen> nat_names;
    for (const auto& nat : v_.nat) {
      if (!nat.name.present) continue;
      auto [it, inserted] = nat_names.emplace(nat.name.value, Seen{nat.name.path, nat.name.mark});
      if (!inserted) {
        f_.Error(nat.name.path, nat.name.mark,
                 StrCat("duplicate NAT rule name '", nat.name.value, "': already used by ",
                        Where(it->second.path, it->second.mark)));
      }
    }
  }

  void CheckHostAddresses() {
    for (const auto& n : topo_.nodes) {
      if (!n.ip || n.ip_assigned_by_plan) continue;
      const Segment* seg = topo_.FindSegment(n.uplink_segment);
      if (!seg) continue;
      if (!seg->prefix.Contains(*n.ip)) {
        f_.Error(
            n.ip_path, n.ip_mark,
            StrCat(NodeKindName(n.kind), " ", n.name, " address ", n.ip->ToString(),
                   " is outside its subnet ", seg->prefix.ToString()),
            StrCat("pick an address inside ", seg->prefix.ToString(), ", or correct the subnet"));
      } else if (seg->prefix.IsNetworkOrBroadcast(*n.ip)) {
        bool network = *n.ip == seg->prefix.network();
        f_.Error(n.ip_path, n.ip_mark,
                 StrCat(n.ip->ToString(), " is the ", network ? "network" : "broadcast",
                        " address of ", seg->prefix.ToString(), " and cannot be a host address"),
                 StrCat("use a host address such as ",
                        seg->prefix.Host(1).value_or(seg->prefix.network()).ToString()));
      }
    }
  }

  void CheckGateways() {
    for (const auto& seg : topo_.segments) {
      if (!seg.gateway_explicit) continue;
      const AddressField* field = FindGatewayField(seg);
      std::string path = field ? field->path : seg.path;
      Mark mark = field ? field->mark : seg.mark;
      if (!seg.prefix.Contains(seg.gateway)) {
        f_.Error(path, mark,
                 StrCat("gateway ", seg.gateway.ToString(), " is outside its subnet ",
                        seg.prefix.ToString()),
                 StrCat("use an address inside ", seg.prefix.ToString()));
      } else if (seg.prefix.IsNetworkOrBroadcast(seg.gateway)) {
        f_.Error(path, mark,
                 StrCat("gateway ", seg.gateway.ToString(),
                        " is the network or broadcast address of ", seg.prefix.ToString()),
                 "use a host address; the default is the first host");
      }
    }
  }

  const AddressField* FindGatewayField(const Segment& seg) const {
    for (const auto& soc : v_.socs) {
      if (seg.kind == SegmentKind::kBackbone && soc.gateway.address && soc.subnet.prefix &&
          seg.id.ends_with(soc.subnet.prefix->ToString()))
        return &soc.gateway;
      for (const auto& vm : soc.vms) {
        if (seg.kind == SegmentKind::kVmNet && seg.owner == soc.name.value && vm.gateway.address &&
            vm.subnet.prefix && *vm.subnet.prefix == seg.prefix)
          return &vm.gateway;
        for (const auto& pod : vm.pods) {
          if (seg.kind == SegmentKind::kPodNet && seg.owner == vm.name.value &&
              pod.gateway.address && pod.subnet.prefix && *pod.subnet.prefix == seg.prefix)
            return &pod.gateway;
        }
      }
    }
    if (seg.kind == SegmentKind::kCloud && v_.cloud.gateway.address) return &v_.cloud.gateway;
    return nullptr;
  }

  void CheckDuplicateAddresses() {
    struct Holder {
      std::string who;
      std::string path;
      Mark mark;
    };
    std::map<uint32_t, Holder> holders;
    auto claim = [&](Ipv4Address a, const std::string& who, const std::string& path, Mark mark,
                     bool is_default) {
      auto [it, inserted] = holders.emplace(a.value(), Holder{who, path, mark});
      if (inserted || it->second.who == who) return;
      f_.Error(path, mark,
               StrCat("duplicate address ", a.ToString(), ": ", who, " and ", it->second.who, " (",
                      Where(it->second.path, it->second.mark), ") both use it"),
               is_default ? "the gateway defaults to the first host of the subnet; "
                            "set 'gateway:' explicitly or move the host address"
                          : "give each interface its own address");
    };
    for (const auto& seg : topo_.segments) {
      claim(seg.gateway, StrCat("the gateway of ", seg.prefix.ToString(), " on ", seg.owner),
            seg.path, seg.mark, !seg.gateway_explicit);
    }
    for (const auto& n : topo_.nodes) {
      if (!n.ip || n.ip_assigned_by_plan) continue;
      claim(*n.ip, StrCat(NodeKindName(n.kind), " ", n.name), n.ip_path, n.ip_mark, false);
    }
  }

  void CheckSharedAndOverlappingSubnets() {
    const auto& segs = topo_.segments;
    for (size_t j = 0; j < segs.size(); ++j) {
      for (size_t i = 0; i < j; ++i) {
        const Segment& a = segs[i];
        const Segment& b = segs[j];
        if (!a.prefix.Overlaps(b.prefix)) continue;
        if (a.prefix == b.prefix && a.kind == b.kind) {
          if (a.kind == SegmentKind::kPodNet) {
            f_.Error(b.path, b.mark,
                     StrCat("pods on different VMs share subnet ", b.prefix.ToString(), " (",
                            a.owner, " and ", b.owner, "): a pod subnet is a bridge inside one VM"),
                     StrCat("give the pods of ", b.owner, " their own subnet"));
          } else {
            f_.Error(b.path, b.mark,
                     StrCat("VMs on different SoCs share subnet ", b.prefix.ToString(), " (",
                            a.owner, " and ", b.owner, "): a VM subnet is a bridge inside one SoC"),
                     StrCat("give the VMs of ", b.owner, " their own subnet"));
          }
          continue;
        }
        f_.Error(b.path, b.mark,
                 StrCat(SegmentKindName(b.kind), " ", b.prefix.ToString(), " (", b.owner,
                        ") overlaps ", SegmentKindName(a.kind), " ", a.prefix.ToString(), " (",
                        a.owner, ", ", Where(a.path, a.mark), ")"),
                 "different networks need disjoint subnets; routing between "
                 "overlapping subnets is ambiguous");
      }
    }
  }

  void CheckCapacity() {
    for (const auto& seg : topo_.segments) {
      uint64_t needed = seg.members.size() + 1;  // + gateway
      if (needed > seg.prefix.HostCount()) {
        f_.Error(seg.path, seg.mark,
                 StrCat("subnet ", seg.prefix.ToString(), " has ", seg.prefix.HostCount(),
                        " host addresses but ", needed, " are needed (", seg.members.size(),
                        " hosts + gateway)"),
                 "use a larger subnet (shorter prefix)");
      }
    }
  }

  void CheckPods() {
    for (const auto& soc : v_.socs) {
      for (const auto& vm : soc.vms) {
        for (const auto& pod : vm.pods) CheckPodFields(pod, f_);
      }
    }
  }

  void CheckSubnetRanges() {
    for (const auto& seg : topo_.segments) {
      std::string why = UnusableSubnetReason(seg.prefix);
      if (!why.empty()) {
        f_.Error(seg.path, seg.mark, StrCat("subnet ", seg.prefix.ToString(), " ", why),
                 "use a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)");
      }
    }
  }

  void CheckCounts() {
    size_t vms = 0, pods = 0;
    for (const auto& soc : v_.socs) {
      vms += soc.vms.size();
      for (const auto& vm : soc.vms) pods += vm.pods.size();
    }
    auto limit = [&](size_t count, size_t max, const std::string& what, const char* how) {
      if (count <= max) return;
      f_.Error(v_.path.empty() ? "vehicle" : v_.path, v_.mark,
               StrCat("the vehicle has ", count, " ", what, "; the limit is ", max), how);
    };
    limit(v_.socs.size(), kMaxSocs, "SoCs", "split the vehicle (docs/configuration.md, Limits)");
    limit(vms, kMaxVms, "VMs", "split the vehicle (docs/configuration.md, Limits)");
    limit(pods, opts_.max_pods, "pods", "raise pharosd --max-pods if this is intended");
    limit(v_.nat.size(), kMaxNatRules, "NAT rules", "merge rules (docs/configuration.md, Limits)");
    limit(v_.routes.size(), kMaxRoutes, "routes", "merge routes (docs/configuration.md, Limits)");
  }

  void CheckInterfaceNames() {
    for (const auto& soc : v_.socs) {
      for (const auto& vm : soc.vms) {
        CheckBridgeName(vm.bridge, opts_.interface_prefix, f_);
        for (const auto& pod : vm.pods) CheckBridgeName(pod.bridge, opts_.interface_prefix, f_);
      }
    }
  }

  // Nodes attached (as owner or member) to a segment overlapping `p`.
  std::set<std::string> NodesIn(const Ipv4Prefix& p) const {
    std::set<std::string> out;
    for (const auto& seg : topo_.segments) {
      if (!seg.prefix.Overlaps(p)) continue;
      out.insert(seg.owner);
      out.insert(seg.members.begin(), seg.members.end());
    }
    return out;
  }

  void CheckRoutes() {
    std::map<std::string, const RouteSpec*> seen;
    for (const auto& r : v_.routes) {
      if (!r.to.prefix || !r.gateway.address) continue;
      Ipv4Prefix from = r.from.prefix.value_or(Ipv4Prefix());
      Ipv4Address gw = *r.gateway.address;
      std::string key = StrCat(r.node.value, ":", from.ToString(), ">", r.to.prefix->ToString(),
                               "@", r.table.number.value_or(0));
      if (auto [it, ins] = seen.emplace(key, &r); !ins) {
        bool same = it->second->gateway.address == r.gateway.address;
        f_.Add(same ? Severity::kWarning : Severity::kError, r.path, r.mark,
               StrCat("route from ", from.ToString(), " to ", r.to.value,
                      same ? " repeats " : " conflicts with ",
                      Where(it->second->path, it->second->mark)),
               same ? "remove the repetition" : "keep one gateway per destination");
      }
      const TopologyNode* node = nullptr;
      if (r.node.present) {
        node = topo_.FindNode(r.node.value);
        if (!node) {
          f_.Error(r.node.path, r.node.mark,
                   StrCat("route names unknown node '", r.node.value, "'"),
                   "use the name of a SoC, VM, pod or 'vehicle'");
          continue;
        }
      }
      std::vector<const Segment*> gw_segments;
      for (const auto& seg : topo_.segments) {
        if (seg.prefix.Contains(gw)) gw_segments.push_back(&seg);
      }
      if (gw_segments.empty()) {
        f_.Error(r.gateway.path, r.gateway.mark,
                 StrCat("gateway ", gw.ToString(), " is not on any network of the vehicle"),
                 "use an address on a subnet directly attached to the route's nodes");
        continue;
      }
      std::set<std::string> sources = node ? std::set<std::string>{node->name} : NodesIn(from);
      if (sources.empty()) {
        f_.Warning(r.from.path.empty() ? r.path : r.from.path, r.from.mark,
                   StrCat("no node of the vehicle is on ", from.ToString(),
                          ": this route applies nowhere"),
                   "check 'from', or remove the route");
        continue;
      }
      bool adjacent = false;
      for (const Segment* seg : gw_segments) {
        if (sources.count(seg->owner)) adjacent = true;
        for (const auto& m : seg->members) adjacent = adjacent || sources.count(m);
      }
      if (!adjacent) {
        f_.Error(r.gateway.path, r.gateway.mark,
                 StrCat("gateway ", gw.ToString(), " (on ", gw_segments[0]->prefix.ToString(),
                        ") is not reachable from ", node ? node->name : from.ToString(),
                        ": no node there is attached to that subnet"),
                 "a gateway must be on a subnet the sending nodes are directly "
                 "attached to");
      }
    }
  }

  void CheckNat() {
    static const std::set<std::string> kTypes = {"snat", "dnat", "masquerade"};
    for (const auto& n : v_.nat) {
      if (n.type.present && !kTypes.count(n.type.value)) {
        f_.Error(n.type.path, n.type.mark,
                 StrCat("NAT type '", n.type.value, "' is unknown; use snat, dnat or masquerade"));
        continue;
      }
      if (n.node.present) {
        const TopologyNode* node = topo_.FindNode(n.node.value);
        if (!node) {
          f_.Error(n.node.path, n.node.mark,
                   StrCat("NAT rule names unknown node '", n.node.value, "'"),
                   "use the name of a SoC, VM or 'vehicle'");
        } else if (node->kind == NodeKind::kPod || node->kind == NodeKind::kCloudHost) {
          f_.Error(
              n.node.path, n.node.mark,
              StrCat("NAT runs on routers; '", n.node.value, "' is a ", NodeKindName(node->kind)),
              "put the rule on the SoC, VM or vehicle that forwards the traffic");
        }
      }
      const std::string& type = n.type.value;
      if ((type == "snat" || type == "dnat") && !n.to_address.present) {
        f_.Error(n.path, n.mark, StrCat(type, " needs 'to_address'"));
      }
      if ((type == "snat" || type == "masquerade") && !n.source.present) {
        f_.Error(n.path, n.mark, StrCat(type, " needs 'source' (a CIDR)"));
      }
      if (type == "dnat" && !n.destination.present) {
        f_.Error(n.path, n.mark, "dnat needs 'destination' (the address/CIDR being forwarded)");
      }
      if ((n.port.present || n.to_port.present) && n.protocol.value != "tcp" &&
          n.protocol.value != "udp") {
        f_.Error(n.protocol.present ? n.protocol.path : n.path,
                 n.protocol.present ? n.protocol.mark : n.mark,
                 "ports need 'protocol: tcp' or 'protocol: udp'");
      }
      if (n.out_interface.present && n.out_interface.value != "cloud" &&
          n.out_interface.value != "backbone" && n.out_interface.value != "uplink") {
        f_.Error(n.out_interface.path, n.out_interface.mark,
                 "out_interface must be 'uplink', 'backbone' or 'cloud'");
      }
    }
  }

  const VehicleSpec& v_;
  const Topology& topo_;
  const ValidatorOptions& opts_;
  Findings& f_;
};

bool SelectorsEqual(const PolicySelector& a, const PolicySelector& b) {
  return a.k8s_namespace.value == b.k8s_namespace.value && a.pod.value == b.pod.value &&
         a.service.value == b.service.value && a.cidr.prefix == b.cidr.prefix &&
         a.external == b.external && a.tls_verified == b.tls_verified;
}

bool PortsCover(const std::vector<PortRange>& outer, const std::vector<PortRange>& inner) {
  if (outer.empty()) return true;  // no ports: all ports
  if (inner.empty()) return false;
  for (const auto& in : inner) {
    bool covered = false;
    for (const auto& out : outer) covered |= out.first <= in.first && in.last <= out.last;
    if (!covered) return false;
  }
  return true;
}

// What a rule must get right on its own (also for emergency allow-lists).
void CheckRuleFields(const PolicyRuleSpec& r, const std::set<std::string>* namespaces,
                     const std::set<std::string>* pods, Findings& f) {
  if (r.action.present && r.action.value != "allow" && r.action.value != "deny") {
    f.Error(r.action.path, r.action.mark,
            StrCat("action '", r.action.value, "' must be allow or deny"));
  }
  const std::string& proto = r.protocol.value;
  if (r.protocol.present && proto != "tcp" && proto != "udp" && proto != "icmp" &&
      proto != "any") {
    f.Error(r.protocol.path, r.protocol.mark,
            StrCat("protocol '", proto, "' must be tcp, udp, icmp or any"));
  }
  if (!r.ports.empty() && (proto == "icmp" || proto == "any" || !r.protocol.present)) {
    f.Error(r.path + ".ports", r.mark, "ports only make sense with protocol tcp or udp",
            "add 'protocol: tcp' (or udp)");
  }
  for (const PolicySelector* sel : {&r.from, &r.to}) {
    if (!sel->present) continue;
    if (namespaces && sel->k8s_namespace.present && !namespaces->count(sel->k8s_namespace.value)) {
      f.Warning(sel->k8s_namespace.path, sel->k8s_namespace.mark,
                StrCat("no pod is in namespace '", sel->k8s_namespace.value,
                       "' yet; the rule takes effect when one appears"));
    }
    if (pods && sel->pod.present && !pods->count(sel->pod.value)) {
      f.Warning(sel->pod.path, sel->pod.mark,
                StrCat("no pod named '", sel->pod.value,
                       "' yet; the rule takes effect when it appears"));
    }
  }
}

void CheckEmergency(const EmergencySpec& e, const std::set<std::string>* namespaces,
                    const std::set<std::string>* pods, Findings& f) {
  for (const auto& r : e.failsafe_allow) {
    CheckRuleFields(r, namespaces, pods, f);
    if (r.action.value == "deny") {
      f.Warning(r.action.path, r.action.mark,
                "a deny rule in failsafe_allow changes nothing: failsafe denies by default");
    }
  }
  const DiagnosticAccessSpec& d = e.diagnostic;
  if (!d.present) return;
  if (d.ports.empty()) {
    f.Error(d.path + ".ports", d.mark, "diagnostic access needs the ports to open",
            "add e.g. 'ports: [13400]' (DoIP)");
  }
  if (d.protocol.present && d.protocol.value != "tcp" && d.protocol.value != "udp") {
    f.Error(d.protocol.path, d.protocol.mark,
            StrCat("protocol '", d.protocol.value, "' must be tcp or udp"));
  }
  if (!d.tester.present) {
    f.Error(d.path + ".tester", d.mark, "diagnostic access needs a tester selector",
            "add e.g. 'tester: {cidr: 10.1.0.0/24}'");
  }
}

void CheckPolicy(const SecurityPolicySpec& p, const Topology* vehicle, Findings& f) {
  if (!p.default_action.present) {
    f.Warning(p.path, p.mark, "no default_action: Pharos uses 'deny'",
              "write 'default_action: deny' (or allow) explicitly");
  } else if (p.default_action.value != "allow" && p.default_action.value != "deny") {
    f.Error(p.default_action.path, p.default_action.mark,
            StrCat("default_action '", p.default_action.value, "' must be allow or deny"));
  }
  std::set<std::string> namespaces, pods;
  if (vehicle) {
    for (const auto& n : vehicle->nodes) {
      if (n.kind != NodeKind::kPod) continue;
      pods.insert(n.name);
      if (!n.k8s_namespace.empty()) namespaces.insert(n.k8s_namespace);
    }
  }
  std::map<std::string, const PolicyRuleSpec*> names;
  // Rules can only shadow rules with the same selectors: index by them so
  // a 1,000-rule policy is checked in linear time, not quadratic.
  auto signature = [](const PolicyRuleSpec& r) {
    auto sel = [](const PolicySelector& s) {
      return StrCat(s.k8s_namespace.value, "|", s.pod.value, "|", s.service.value, "|",
                    s.cidr.prefix ? s.cidr.prefix->ToString() : "", "|",
                    s.external ? (*s.external ? "1" : "0") : "-", "|",
                    s.tls_verified ? (*s.tls_verified ? "1" : "0") : "-");
    };
    return StrCat(sel(r.from), ">", sel(r.to));
  };
  std::map<std::string, std::vector<size_t>> same_selectors;
  for (size_t j = 0; j < p.rules.size(); ++j) {
    const PolicyRuleSpec& r = p.rules[j];
    if (r.name.present) {
      if (auto [it, ins] = names.emplace(r.name.value, &r); !ins) {
        f.Error(r.name.path, r.name.mark,
                StrCat("duplicate rule name '", r.name.value, "': already used by ",
                       Where(it->second->path, it->second->mark)));
      }
    }
    CheckRuleFields(r, vehicle ? &namespaces : nullptr, vehicle ? &pods : nullptr, f);
    if (r.to.present && (r.to.external || r.to.tls_verified)) {
      f.Warning(r.to.path, r.to.mark,
                "'external' and 'tls_verified' describe where traffic comes from; "
                "they only make sense under 'from'");
    }
    std::vector<size_t>& earlier = same_selectors[signature(r)];
    earlier.push_back(j);
    for (size_t i : earlier) {
      if (i == j) break;
      const PolicyRuleSpec& e = p.rules[i];
      if (!SelectorsEqual(e.from, r.from) || !SelectorsEqual(e.to, r.to)) continue;
      bool proto_covers =
          !e.protocol.present || e.protocol.value == "any" || e.protocol.value == r.protocol.value;
      if (!proto_covers || !PortsCover(e.ports, r.ports)) continue;
      bool contradicts = e.action.value != r.action.value;
      f.Warning(r.path, r.mark,
                StrCat("rule '", r.name.value, "' never matches: rule '", e.name.value, "' (",
                       Where(e.path, e.mark), ") matches the same traffic first",
                       contradicts ? " with the opposite action" : ""),
                "remove it, or move it above the broader rule");
      break;
    }
  }
  CheckEmergency(p.emergency, vehicle ? &namespaces : nullptr, vehicle ? &pods : nullptr, f);
}

}  // namespace

void CheckName(const TextField& name, std::string_view what, Findings& f) {
  if (!name.present || IsValidName(name.value)) return;
  f.Error(name.path, name.mark,
          StrCat(what, " name '", Shown(name.value),
                 "' is not valid: use letters, digits, '-', '_' or '.', starting with a letter or "
                 "digit, at most 63"),
          "rename it, e.g. 'perception-pod'");
}

void CheckBridgeName(const TextField& bridge, const std::string& prefix, Findings& f) {
  if (!bridge.present) return;
  std::string full = prefix + bridge.value;
  if (!IsValidName(bridge.value)) {
    // The name becomes an interface and appears in nft and ip commands:
    // the component-name alphabet only.
    f.Error(bridge.path, bridge.mark,
            StrCat("bridge name '", Shown(bridge.value),
                   "' is not valid: use letters, digits, '-', '_' or '.', starting with a letter "
                   "or digit"));
  } else if (full.size() > kMaxInterfaceName) {
    f.Error(bridge.path, bridge.mark,
            StrCat("bridge name '", bridge.value, "' becomes '", full, "' (", full.size(),
                   " characters) after the '", prefix, "' prefix; Linux allows at most 15"),
            StrCat("shorten it to at most ", kMaxInterfaceName - prefix.size(), " characters"));
  }
}

std::string UnusableSubnetReason(const Ipv4Prefix& p) {
  struct Reserved {
    Ipv4Prefix range;
    const char* what;
  };
  static constexpr Reserved kReserved[] = {
      {Ipv4Prefix(Ipv4Address(0x00000000), 8), "'this network' (0.0.0.0/8)"},
      {Ipv4Prefix(Ipv4Address(0x7F000000), 8), "loopback (127.0.0.0/8)"},
      {Ipv4Prefix(Ipv4Address(0xA9FE0000), 16), "link-local (169.254.0.0/16)"},
      {Ipv4Prefix(Ipv4Address(0xE0000000), 4), "multicast (224.0.0.0/4)"},
      {Ipv4Prefix(Ipv4Address(0xF0000000), 4), "reserved (240.0.0.0/4 and the broadcast address)"},
  };
  if (p.length() == 0) return "is the default route, which no subnet of the vehicle can be";
  for (const auto& r : kReserved) {
    if (r.range.Overlaps(p))
      return StrCat("is ", r.what, ", which no subnet of the vehicle can be");
  }
  if (p.length() < 8) {
    return StrCat("is a /", p.length(),
                  ": shorter than /8, it would claim a large part of the address space");
  }
  return "";
}

void CheckPodFields(const PodSpec& pod, Findings& f) {
  const std::string& type = pod.networking_type.value;
  if (pod.networking_type.present && type != "cni" && type != "static") {
    f.Error(pod.networking_type.path, pod.networking_type.mark,
            StrCat("networking.type '", Shown(type), "' is not supported; use 'cni' or 'static'"));
  }
  if (type == "static" && !pod.ip.present) {
    f.Error(pod.path + ".networking", pod.mark, "networking.type static needs networking.ip",
            "add 'ip:' or use type 'cni' to get an address from IPAM");
  }
  if (pod.name.present && !pod.k8s_namespace.present) {
    f.Info(pod.path, pod.mark,
           StrCat("pod ", Shown(pod.name.value),
                  " has no namespace; namespace selectors of the security policy cannot match it"));
  }
  if (pod.k8s_namespace.present && !IsValidName(pod.k8s_namespace.value)) {
    f.Error(pod.k8s_namespace.path, pod.k8s_namespace.mark,
            StrCat("namespace '", Shown(pod.k8s_namespace.value),
                   "' is not valid: use letters, digits, '-', '_' or '.', at most 63"));
  }
  if (pod.interface.present && !IsValidInterfaceName(pod.interface.value)) {
    f.Error(pod.interface.path, pod.interface.mark,
            StrCat("interface name '", Shown(pod.interface.value),
                   "' is not a valid Linux interface name (1-15 characters, no '/', ':' or "
                   "spaces)"));
  } else if (pod.interface.present && pod.interface.value == "lo") {
    f.Error(pod.interface.path, pod.interface.mark,
            "interface name 'lo' is the pod's loopback device; choose another (default eth0)");
  }
  if (pod.netns.present && (pod.netns.value.empty() || pod.netns.value[0] != '/' ||
                            pod.netns.value.size() > kMaxNetnsPath)) {
    f.Error(pod.netns.path, pod.netns.mark,
            StrCat("netns '", Shown(pod.netns.value),
                   "' must be the absolute path of a network namespace (at most ", kMaxNetnsPath,
                   " characters)"),
            "e.g. /run/netns/<name> or /proc/<pid>/ns/net");
  }
  if (pod.services.size() > kMaxServicesPerPod) {
    f.Error(pod.path + ".services", pod.mark,
            StrCat("pod declares ", pod.services.size(), " services; the limit is ",
                   kMaxServicesPerPod));
  }
  CheckServices(pod.services, f);
}

void CheckServices(const std::vector<ServicePortSpec>& services, Findings& f) {
  for (const auto& svc : services) {
    CheckName(svc.name, "service", f);
    if (svc.kind.present && svc.kind.value != "grpc" && svc.kind.value != "rest" &&
        svc.kind.value != "someip" && svc.kind.value != "dds") {
      f.Error(svc.kind.path, svc.kind.mark,
              StrCat("service kind '", Shown(svc.kind.value),
                     "' is not one of grpc, rest, someip, dds"));
    }
    if (svc.protocol.present && svc.protocol.value != "tcp" && svc.protocol.value != "udp") {
      f.Error(svc.protocol.path, svc.protocol.mark, "service protocol must be tcp or udp");
    }
  }
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsValidInterfaceName(std::string_view name) {
  if (name.empty() || name.size() > kMaxInterfaceName || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == ':' || c <= ' ' || c == 127) return false;
  }
  return true;
}

bool IsValidInterfacePrefix(std::string_view prefix) {
  return prefix.size() <= kMaxPrefixLength && IsValidInterfaceName(StrCat(prefix, "x"));
}

// The Pullpiri mapping: each network named once, on a VM of this vehicle,
// with a subnet that can be a pod subnet there.
void CheckPullpiri(const ConfigDocument& config, const Topology& topo, Findings& f) {
  const PullpiriSpec& p = config.pullpiri;
  if (!config.vehicle.present) {
    f.Error(p.path, p.mark, "pullpiri: maps networks onto the vehicle, which this document lacks",
            "send the pullpiri section with the vehicle configuration");
    return;
  }
  std::set<std::string> seen;
  for (const auto& net : p.networks) {
    CheckName(net.name, "network", f);
    if (net.name.present && !seen.insert(net.name.value).second) {
      f.Error(net.name.path, net.name.mark,
              StrCat("network '", Shown(net.name.value), "' is mapped twice"));
    }
    const TopologyNode* vm = net.vm.present ? topo.FindNode(net.vm.value) : nullptr;
    if (net.vm.present && (!vm || vm->kind != NodeKind::kVm)) {
      f.Error(net.vm.path, net.vm.mark,
              StrCat("vm '", Shown(net.vm.value), "' is not a VM of this vehicle"));
    }
    if (net.k8s_namespace.present && !IsValidName(net.k8s_namespace.value)) {
      f.Error(net.k8s_namespace.path, net.k8s_namespace.mark,
              StrCat("namespace '", Shown(net.k8s_namespace.value),
                     "' is not valid: use letters, digits, '-', '_' or '.', at most 63"));
    }
    if (net.services.size() > kMaxServicesPerPod) {
      f.Error(net.path + ".services", net.mark,
              StrCat("network declares ", net.services.size(), " services; the limit is ",
                     kMaxServicesPerPod));
    }
    CheckServices(net.services, f);
    if (!net.subnet.prefix) continue;
    Ipv4Prefix subnet = net.subnet.prefix->Normalized();
    if (std::string why = UnusableSubnetReason(subnet); !why.empty()) {
      f.Error(net.subnet.path, net.subnet.mark, StrCat("subnet ", subnet.ToString(), " ", why));
      continue;
    }
    for (const auto& seg : topo.segments) {
      if (!seg.prefix.Overlaps(subnet)) continue;
      bool pod_bridge_here = seg.kind == SegmentKind::kPodNet &&
                             seg.prefix.Normalized() == subnet && (!vm || seg.owner == vm->name);
      if (pod_bridge_here) continue;
      f.Error(net.subnet.path, net.subnet.mark,
              StrCat("subnet ", subnet.ToString(), " overlaps ", SegmentKindName(seg.kind), " ",
                     seg.prefix.ToString(), " (", seg.owner, ")"),
              "map the network to a pod subnet of its VM or to a free range");
      break;
    }
  }
}

Topology Validate(const ConfigDocument& config, const ValidatorOptions& options,
                  Findings& findings) {
  if (!IsValidInterfacePrefix(options.interface_prefix)) {
    findings.Error("", {},
                   StrCat("interface prefix '", options.interface_prefix,
                          "' must be a valid name of at most ", kMaxPrefixLength, " characters"));
  }
  Topology topo;
  if (config.vehicle.present) {
    topo = BuildTopology(config.vehicle, findings, options.preferred_addresses);
    VehicleRules(config.vehicle, topo, options, findings).Run();
  }
  if (config.policy.present) {
    const Topology* ref = config.vehicle.present ? &topo : options.reference_vehicle;
    CheckPolicy(config.policy, ref, findings);
  }
  if (config.pullpiri.present) CheckPullpiri(config, topo, findings);
  return topo;
}

}  // namespace pharos::model
