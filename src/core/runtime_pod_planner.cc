#include "core/runtime_pod_planner.h"

#include <algorithm>
#include <set>
#include <type_traits>

#include "common/strings.h"
#include "model/validator.h"
#include "plan/naming.h"
#include "plan/planner.h"

namespace pharos::core {
namespace {

using model::NodeKind;
using model::Segment;
using model::SegmentKind;
using model::Topology;
using model::TopologyNode;

model::Segment* PodSegment(Topology& topo, const std::string& vm, const Ipv4Prefix& subnet) {
  for (auto& s : topo.segments) {
    if (s.kind == SegmentKind::kPodNet && s.owner == vm && s.prefix == subnet) return &s;
  }
  return nullptr;
}

// Where the nodes of VM `vm` end (the namespaces and components of a plan
// are in the same order as the topology's nodes).
size_t EndOfVmGroup(const Topology& topo, const std::string& vm) {
  size_t end = topo.nodes.size();
  for (size_t i = 0; i < topo.nodes.size(); ++i) {
    if (topo.nodes[i].name == vm || topo.nodes[i].parent == vm) end = i + 1;
  }
  return end;
}

template <typename T>
void InsertSorted(std::vector<T>& into, std::vector<T>& from) {
  for (auto& o : from) {
    std::string key = plan::KeyOf(o);
    auto at = std::lower_bound(into.begin(), into.end(), key,
                               [](const T& a, const std::string& k) { return plan::KeyOf(a) < k; });
    into.insert(at, std::move(o));
  }
}

// Notes where `o` lives: a veth is its child's namespace and one link of
// its parent's; anything else its namespace.
template <typename T>
void Note(const T& o, plan::ChangedParts& touched) {
  if constexpr (std::is_same_v<T, plan::NamespaceObject>) {
    touched.namespaces.insert(o.name);
  } else if constexpr (std::is_same_v<T, plan::VethObject>) {
    touched.namespaces.insert(o.peer_netns);
    touched.child_links.insert({o.netns, o.name});
  } else {
    touched.namespaces.insert(o.netns);
  }
}

// Erases `component`'s objects, noting where they were.
template <typename T>
void EraseComponent(std::vector<T>& objects, const std::string& component,
                    plan::ChangedParts& touched) {
  std::erase_if(objects, [&](const T& o) {
    if (o.component != component) return false;
    Note(o, touched);
    return true;
  });
}

// Where `objects` (one pod's) live.
void NoteAll(const plan::Plan& objects, plan::ChangedParts& touched) {
  for (const auto& o : objects.namespaces) Note(o, touched);
  for (const auto& o : objects.veths) Note(o, touched);
  for (const auto& o : objects.addresses) Note(o, touched);
  for (const auto& o : objects.routes) Note(o, touched);
  for (const auto& o : objects.rules) Note(o, touched);
}

// What a change already claims while its pods are checked one by one.
struct Claims {
  const std::set<std::string>& leaving;       // pods removed by the change
  const std::map<std::string, size_t>& freed; // segment id -> pods leaving it
  std::set<std::string> names;                // pods added so far
  std::set<uint32_t> addresses;               // their addresses
  std::map<std::string, size_t> joined;       // segment id -> pods added so far
};

// Why `want` cannot join `seg` of the applied vehicle ("" when it can).
std::string Misfit(const RuntimePodSpec& want, const Segment& seg, const Topology& topo,
                   const plan::Plan& plan, const std::string& prefix, Claims& claims) {
  const model::PodSpec& pod = want.pod;
  const std::string& name = pod.name.value;
  auto stays = [&](const std::string& node) { return !claims.leaving.count(node); };
  if ((topo.FindNode(name) && stays(name)) || claims.names.count(name)) {
    return StrCat("the vehicle has a component named ", name);
  }
  if (!pod.ip.address) return "it has no address";
  Ipv4Address ip = *pod.ip.address;
  if (!seg.prefix.Contains(ip) || seg.prefix.IsNetworkOrBroadcast(ip)) {
    return StrCat(ip.ToString(), " is not a host address of ", seg.prefix.ToString());
  }
  if (ip == seg.gateway) return StrCat(ip.ToString(), " is the subnet's gateway");
  std::optional<std::string> owner = topo.OwnerOf(ip);
  if (owner && stays(*owner)) return StrCat(ip.ToString(), " is in use by ", *owner);
  if (claims.addresses.count(ip.value())) return StrCat(ip.ToString(), " is requested twice");
  auto freed = claims.freed.find(seg.id);
  size_t ports = seg.members.size() + claims.joined[seg.id] -
                 (freed != claims.freed.end() ? freed->second : 0);
  if (ports >= kMaxBridgePorts) {
    return StrCat("its bridge on ", seg.prefix.ToString(), " has ", ports,
                  " pods, the most a Linux bridge takes (", kMaxBridgePorts,
                  " ports); give further pods another subnet");
  }
  model::Findings fields;
  model::CheckPodFields(pod, fields);
  if (fields.HasErrors()) return fields.FirstError();
  std::string vm_ns = plan::NamespaceName(prefix, want.vm);
  std::string link = plan::InterfaceName(prefix, name);
  for (const auto& v : plan.veths) {
    if (v.netns == vm_ns && v.name == link && stays(v.component)) {
      return StrCat("its link's name ", link, " in ", vm_ns, " is the link of ", v.component,
                    "; rename the pod");
    }
  }
  claims.names.insert(name);
  claims.addresses.insert(ip.value());
  ++claims.joined[seg.id];
  return "";
}

bool JoinsAsIs(const model::PodSpec& pod, const Segment& seg) {
  // A gateway or bridge of its own would change the segment for everyone.
  if (pod.gateway.present && pod.gateway.address != seg.gateway) return false;
  if (pod.bridge.present && pod.bridge.value != seg.bridge) return false;
  return true;
}

}  // namespace

std::string RuntimePodFingerprint(const RuntimePodSpec& p) {
  const model::PodSpec& pod = p.pod;
  std::string f = StrCat(p.soc, "\n", p.vm, "\n", pod.name.value, "\n", pod.k8s_namespace.value,
                         "\n", pod.networking_type.value, "\n", pod.subnet.value, "\n",
                         pod.ip.value, "\n", pod.gateway.value, "\n", pod.bridge.present, ":",
                         pod.bridge.value, "\n", pod.interface.value, "\n", pod.netns.value);
  for (const auto& s : pod.services) {
    StrAppend(&f, "\n", s.name.value, ":", s.port.number.value_or(0), ":", s.protocol.value, ":",
              s.kind.value);
  }
  return f;
}

RuntimePodChange DiffRuntimePods(const AppliedRuntimePods& applied,
                                 const std::vector<RuntimePodSpec>& wanted) {
  RuntimePodChange change;
  std::set<std::string> kept;
  for (const auto& w : wanted) {
    auto it = applied.find(w.pod.name.value);
    if (it != applied.end() && it->second == RuntimePodFingerprint(w)) {
      kept.insert(it->first);
      continue;
    }
    change.added.push_back(&w);
  }
  for (const auto& [name, fingerprint] : applied) {
    if (!kept.count(name)) change.removed.push_back(name);
  }
  return change;
}

absl::StatusOr<bool> PlanRuntimePodChange(const model::VehicleSpec& vehicle,
                                          const RuntimePodChange& change,
                                          const IncrementalPodOptions& options, Topology& topology,
                                          plan::Plan& plan, plan::ChangedParts* touched_out) {
  plan::ChangedParts touched;
  const std::string& prefix = options.interface_prefix;
  // First everything that decides between this path and the full one, and
  // every invariant: nothing is touched until the whole change fits.
  std::map<std::string, size_t> leaving;  // segment id -> pods leaving it
  std::set<std::string> removed(change.removed.begin(), change.removed.end());
  for (const auto& name : change.removed) {
    const TopologyNode* n = topology.FindNode(name);
    if (!n || n->kind != NodeKind::kPod) return false;
    ++leaving[n->uplink_segment];
  }
  for (const auto& [id, count] : leaving) {
    const Segment* seg = topology.FindSegment(id);
    bool declared = options.declarative && options.declarative->FindSegment(id);
    // The last runtime pod of a subnet only runtime pods made: its bridge
    // goes too (the full plan knows how).
    if (!seg || (!declared && seg->members.size() <= count)) return false;
  }
  size_t pods = 0;
  for (const auto& n : topology.nodes) pods += n.kind == NodeKind::kPod;
  pods = pods - removed.size() + change.added.size();
  if (pods > options.max_pods) {
    return absl::FailedPreconditionError(StrCat(
        "the pods requested at run time do not fit: the vehicle would have ", pods,
        " pods, the most pharosd takes (--max-pods ", options.max_pods, ")"));
  }
  Claims claims{removed, leaving, {}, {}, {}};
  for (const RuntimePodSpec* want : change.added) {
    const model::PodSpec& pod = want->pod;
    if (!pod.subnet.prefix) return false;
    Segment* seg = PodSegment(topology, want->vm, *pod.subnet.prefix);
    const TopologyNode* vm = topology.FindNode(want->vm);
    if (!seg || !vm || vm->kind != NodeKind::kVm || vm->parent != want->soc ||
        !JoinsAsIs(pod, *seg)) {
      return false;
    }
    const std::string& name = pod.name.value;
    std::string why = Misfit(*want, *seg, topology, plan, prefix, claims);
    if (!why.empty()) {
      return absl::FailedPreconditionError(
          StrCat("the pods requested at run time (RequestNetworkPod) do not fit this "
                 "configuration: pod ",
                 name, ": ", why, "; remove them first"));
    }
  }

  for (const auto& name : change.removed) {
    const TopologyNode* n = topology.FindNode(name);
    if (Segment* seg = const_cast<Segment*>(topology.FindSegment(n->uplink_segment))) {
      std::erase(seg->members, name);
      std::string bridge = plan::BridgeComponentOf(*seg, prefix);
      for (auto& c : plan.components) {
        if (c.name == bridge) std::erase(c.connected_to, name);
      }
    }
    size_t index = static_cast<size_t>(n - topology.nodes.data());
    topology.nodes.erase(topology.nodes.begin() + static_cast<std::ptrdiff_t>(index));
    EraseComponent(plan.namespaces, name, touched);
    EraseComponent(plan.veths, name, touched);
    EraseComponent(plan.addresses, name, touched);
    EraseComponent(plan.routes, name, touched);
    EraseComponent(plan.rules, name, touched);
    std::erase_if(plan.components, [&](const plan::ComponentInfo& c) { return c.name == name; });
  }
  for (const RuntimePodSpec* want : change.added) {
    Segment* seg = PodSegment(topology, want->vm, *want->pod.subnet.prefix);
    TopologyNode node = model::PodNodeOf(want->pod, want->vm);
    node.uplink_segment = seg->id;
    node.ip = want->pod.ip.address;
    node.ip_path = want->pod.ip.path;
    node.ip_mark = want->pod.ip.mark;
    seg->members.push_back(node.name);
    size_t at = EndOfVmGroup(topology, want->vm);
    auto where = topology.nodes.insert(topology.nodes.begin() + static_cast<std::ptrdiff_t>(at),
                                       std::move(node));
    plan::Plan objects = plan::PlanPodObjects(vehicle, topology, *where, {prefix});
    NoteAll(objects, touched);
    auto pos = static_cast<std::ptrdiff_t>(at);
    plan.namespaces.insert(plan.namespaces.begin() + pos, objects.namespaces.begin(),
                           objects.namespaces.end());
    plan.components.insert(plan.components.begin() + pos, objects.components.begin(),
                           objects.components.end());
    InsertSorted(plan.veths, objects.veths);
    InsertSorted(plan.addresses, objects.addresses);
    InsertSorted(plan.routes, objects.routes);
    InsertSorted(plan.rules, objects.rules);
    std::string bridge = plan::BridgeComponentOf(*seg, prefix);
    for (auto& c : plan.components) {
      if (c.name == bridge) c.connected_to.push_back(where->name);
    }
  }
  if (touched_out) *touched_out = std::move(touched);
  return true;
}

}  // namespace pharos::core
