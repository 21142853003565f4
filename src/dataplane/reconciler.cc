#include "dataplane/reconciler.h"

#include <tuple>

#include "common/strings.h"
#include "dataplane/nat_ruleset.h"

namespace pharos::dataplane {

std::map<std::string, NamespaceSlice> SliceByNamespace(const plan::Plan& plan,
                                                       const std::set<std::string>* only) {
  std::map<std::string, NamespaceSlice> slices;
  auto in = [&](const std::string& ns) { return !only || only->count(ns) > 0; };
  for (const auto& o : plan.namespaces) {
    if (in(o.name)) slices[o.name].ns = o;
  }
  for (const auto& o : plan.bridges) {
    if (in(o.netns)) slices[o.netns].bridges.push_back(o);
  }
  for (const auto& o : plan.veths) {
    if (in(o.netns)) slices[o.netns].veths.push_back(o);
    if (in(o.peer_netns)) slices[o.peer_netns].peer_veths.push_back(o);
  }
  for (const auto& o : plan.addresses) {
    if (in(o.netns)) slices[o.netns].addresses.push_back(o);
  }
  for (const auto& o : plan.routes) {
    if (in(o.netns)) slices[o.netns].routes.push_back(o);
  }
  for (const auto& o : plan.rules) {
    if (in(o.netns)) slices[o.netns].rules.push_back(o);
  }
  for (const auto& o : plan.nats) {
    if (in(o.netns)) slices[o.netns].nats.push_back(o);
  }
  return slices;
}

namespace {

// FNV-1a over the fields, object after object.
class Digest {
 public:
  void Add(std::string_view s) {
    for (unsigned char c : s) Mix(c);
    Mix(0xff);  // field separator
  }
  void Add(uint64_t v) {
    for (int i = 0; i < 8; ++i) Mix(static_cast<unsigned char>(v >> (i * 8)));
  }
  void Add(const std::optional<Ipv4Prefix>& p) { Add(p ? p->ToString() : std::string()); }
  void Add(const std::optional<Ipv4Address>& a) { Add(a ? a->value() + 1 : 0); }
  uint64_t value() const { return h_; }

 private:
  void Mix(unsigned char c) { h_ = (h_ ^ c) * 1099511628211ull; }
  uint64_t h_ = 1469598103934665603ull;
};

}  // namespace

ChildLinkDigest ChildLinkDigestOf(const plan::VethObject& o) {
  Digest link;
  link.Add("veth");
  link.Add(o.netns);
  link.Add(o.name);
  link.Add(o.master);
  link.Add(o.peer_netns);
  link.Add(o.peer);
  link.Add(o.component);
  return {link.value(), o.peer_netns};
}

std::map<std::string, NamespaceDigest> DigestByNamespace(const plan::Plan& plan,
                                                         const std::set<std::string>* only) {
  std::map<std::string, Digest> d;
  std::map<std::string, NamespaceDigest> out;
  auto wanted = [only](const std::string& ns) { return !only || only->count(ns) > 0; };
  for (const auto& o : plan.namespaces) {
    if (!wanted(o.name)) continue;
    Digest& x = d[o.name];
    x.Add("ns");
    x.Add(o.component);
    x.Add(o.forwarding);
    x.Add(o.attach_to);
    out[o.name].attached = !o.attach_to.empty();
  }
  for (const auto& o : plan.bridges) {
    if (!wanted(o.netns)) continue;
    Digest& x = d[o.netns];
    x.Add("br");
    x.Add(o.name);
    x.Add(o.component);
  }
  for (const auto& o : plan.veths) {
    if (!wanted(o.netns) && !wanted(o.peer_netns)) continue;
    ChildLinkDigest link = ChildLinkDigestOf(o);
    if (wanted(o.peer_netns)) {
      // The peer's MAC is set and checked from the peer's side: a pod
      // given a new address does not make its VM observed.
      Digest& peer = d[o.peer_netns];
      peer.Add(link.digest);
      peer.Add(o.peer_mac ? o.peer_mac->ToString() : "");
    }
    if (!wanted(o.netns)) continue;
    d[o.netns];  // the namespace exists in the digest even with nothing else
    out[o.netns].children[o.name] = std::move(link);
  }
  for (const auto& o : plan.addresses) {
    if (!wanted(o.netns)) continue;
    Digest& x = d[o.netns];
    x.Add("addr");
    x.Add(o.ifname);
    x.Add(o.address.value());
    x.Add(o.prefix_length);
    x.Add(o.component);
  }
  for (const auto& o : plan.routes) {
    if (!wanted(o.netns)) continue;
    Digest& x = d[o.netns];
    x.Add("route");
    x.Add(o.destination.ToString());
    x.Add(o.gateway);
    x.Add(o.device);
    x.Add(o.table);
    x.Add(o.metric);
    x.Add(o.component);
  }
  for (const auto& o : plan.rules) {
    if (!wanted(o.netns)) continue;
    Digest& x = d[o.netns];
    x.Add("rule");
    x.Add(o.source.ToString());
    x.Add(o.destination.ToString());
    x.Add(o.table);
    x.Add(o.priority);
  }
  for (const auto& o : plan.nats) {
    if (!wanted(o.netns)) continue;
    Digest& x = d[o.netns];
    x.Add("nat");
    x.Add(o.name);
    x.Add(o.type);
    x.Add(o.source);
    x.Add(o.destination);
    x.Add(o.protocol);
    x.Add(o.port);
    x.Add(o.to_address);
    x.Add(o.to_port);
    x.Add(o.out_device);
    x.Add(o.component);
  }
  for (const auto& [ns, digest] : d) out[ns].own = digest.value();
  return out;
}

namespace {

using RouteKey = std::tuple<int, Ipv4Prefix, std::optional<Ipv4Address>, std::string, int>;
using RuleKey = std::tuple<Ipv4Prefix, Ipv4Prefix, int, int>;
using AddressKey = std::tuple<std::string, Ipv4Address, int>;

std::string InNs(const std::string& ns) { return ns.empty() ? "the host namespace" : ns; }

// One pass of Converge: holds what it observed and what it changed.
class Pass {
 public:
  Pass(Kernel& kernel, const std::string& marker, bool manage_namespaces,
       const std::map<std::string, NamespaceSlice>& slices, ReconcileReport& report)
      : kernel_(kernel), marker_(marker), manage_namespaces_(manage_namespaces),
        slices_(slices), report_(report) {}

  absl::Status EnsureNamespace(const std::string& ns) {
    if (!manage_namespaces_ || ns.empty()) return absl::OkStatus();
    const std::string& component = ComponentOf(ns);
    if (!kernel_.NamespaceExists(ns)) {
      const auto& planned = slices_.at(ns).ns;
      std::string attach_to = planned ? planned->attach_to : "";
      if (auto s = kernel_.CreateNamespace(ns, marker_, attach_to); !s.ok()) return s;
      Record(component, attach_to.empty() ? StrCat("create namespace ", ns)
                                          : StrCat("name namespace ", attach_to, " ", ns));
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> marker = kernel_.NamespaceMarkerOf(ns);
    if (!marker.ok()) return marker.status();
    if (*marker == marker_) return absl::OkStatus();
    // Unmarked and empty: Pharos was stopped between creating and marking
    // it. Anything else belongs to someone else.
    absl::StatusOr<ObservedNamespace> seen = kernel_.Observe(ns);
    if (!seen.ok()) return seen.status();
    if (marker->empty() && seen->links.size() == 1 && seen->addresses.size() <= 1) {
      if (auto s = kernel_.MarkNamespace(ns, marker_); !s.ok()) return s;
      Record(component, StrCat("adopt namespace ", ns));
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(StrCat(
        "network namespace ", ns, " exists but was not created by this Pharos (marker '",
        *marker, "'); remove it or choose another --interface-prefix"));
  }

  absl::Status ObserveNamespace(const std::string& ns) {
    absl::StatusOr<ObservedNamespace> seen = kernel_.Observe(ns);
    if (!seen.ok()) return seen.status();
    observed_[ns] = std::move(*seen);
    return absl::OkStatus();
  }

  absl::Status ConvergeLinks(const std::string& ns) {
    const NamespaceSlice& slice = slices_.at(ns);
    const ObservedNamespace& obs = observed_.at(ns);
    bool forwarding = slice.ns && slice.ns->forwarding;
    if (obs.forwarding != forwarding) {
      if (auto s = kernel_.SetForwarding(ns, forwarding); !s.ok()) return s;
      Record(ComponentOf(ns), StrCat(forwarding ? "enable" : "disable", " forwarding in ", InNs(ns)));
    }
    for (const auto& b : slice.bridges) {
      const netlink::Link* link = obs.FindLink(b.name);
      bool created = false;
      if (link && link->kind != "bridge") {
        if (auto s = RemoveForeignOrStale(ns, *link, "bridge"); !s.ok()) return s;
        link = nullptr;
        touched_.insert(ns);
      }
      if (!link) {
        if (auto s = kernel_.CreateBridge(ns, b.name); !s.ok()) return s;
        Record(b.component, StrCat("create bridge ", b.name, " in ", InNs(ns)));
        recreated_.insert({ns, b.name});
        created = true;
      }
      if (created ? NeedsAlias()
                  : (!link->admin_up || link->master != 0 || MissingAlias(*link))) {
        if (auto s = kernel_.ConfigureLink(ns, b.name, "", true); !s.ok()) return s;
        if (!created) Record(b.component, StrCat("set bridge ", b.name, " up in ", InNs(ns)));
      }
    }
    return absl::OkStatus();
  }

  // After every bridge exists: a veth may be enslaved to a bridge of
  // another namespace in scope.
  absl::Status ConvergeVeths(const std::string& ns) {
    const NamespaceSlice& slice = slices_.at(ns);
    // Both ends' namespaces converge a pair: a pod whose namespace was
    // recreated must get its link back even if its VM was not in scope.
    for (const auto* list : {&slice.veths, &slice.peer_veths}) {
      for (const auto& v : *list) {
        if (!veths_done_.insert({v.netns, v.name}).second) continue;
        if (auto s = ConvergeVeth(v); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ConvergeAddresses(const std::string& ns) {
    const NamespaceSlice& slice = slices_.at(ns);
    const ObservedNamespace& obs = observed_.at(ns);
    std::set<AddressKey> desired;
    for (const auto& a : slice.addresses) desired.insert({a.ifname, a.address, a.prefix_length});
    std::set<AddressKey> present;
    for (const auto& a : obs.addresses) {
      const netlink::Link* link = obs.FindLink(a.ifindex);
      if (!link || !Owned(ns, *link) || recreated_.count({ns, link->name})) continue;
      AddressKey key{link->name, a.address, a.prefix_length};
      if (desired.count(key)) {
        present.insert(key);
        continue;
      }
      if (auto s = kernel_.DeleteAddress(ns, a); !s.ok()) return s;
      Record(ComponentOf(ns), StrCat("remove address ", a.address.ToString(), " from ", link->name,
                                     " in ", InNs(ns)));
      touched_.insert(ns);
    }
    for (const auto& a : slice.addresses) {
      if (present.count({a.ifname, a.address, a.prefix_length})) continue;
      if (auto s = kernel_.AddAddress(ns, a); !s.ok()) return s;
      Record(a.component, StrCat("add address ", a.address.ToString(), "/", a.prefix_length,
                                 " to ", a.ifname, " in ", InNs(ns)));
    }
    return absl::OkStatus();
  }

  // A removed address or a replaced link took routes with it: look again
  // before routes are compared. (New links and addresses cannot appear in
  // the old observation, so they need no second look.)
  absl::Status RefreshIfTouched(const std::string& ns) {
    if (!touched_.count(ns)) return absl::OkStatus();
    return ObserveNamespace(ns);
  }

  absl::Status ConvergeRoutesRulesNat(const std::string& ns) {
    const NamespaceSlice& slice = slices_.at(ns);
    const ObservedNamespace& obs = observed_.at(ns);
    std::map<RouteKey, const plan::RouteObject*> desired;
    for (const auto& r : slice.routes) {
      desired[{r.table, r.destination.Normalized(), r.gateway, r.device, r.metric}] = &r;
    }
    std::set<RouteKey> present;
    for (const auto& r : obs.routes) {
      const netlink::Link* link = obs.FindLink(r.ifindex);
      RouteKey key{r.table, r.destination, r.gateway, link ? link->name : "", r.metric};
      if (desired.count(key)) {
        present.insert(key);
        continue;
      }
      if (auto s = kernel_.DeleteRoute(ns, r); !s.ok()) return s;
      Record(ComponentOf(ns), StrCat("remove route ", r.destination.ToString(), " in ", InNs(ns)));
    }
    for (const auto& [key, r] : desired) {
      if (present.count(key)) continue;
      if (auto s = kernel_.AddRoute(ns, *r); !s.ok()) return s;
      Record(r->component, StrCat("add route ", r->destination.ToString(), " in ", InNs(ns)));
    }

    std::map<RuleKey, const plan::RuleObject*> desired_rules;
    for (const auto& r : slice.rules) {
      desired_rules[{r.source.Normalized(), r.destination.Normalized(), r.table, r.priority}] = &r;
    }
    std::set<RuleKey> present_rules;
    for (const auto& r : obs.rules) {
      RuleKey key{r.source, r.destination, r.table, r.priority};
      if (desired_rules.count(key)) {
        present_rules.insert(key);
        continue;
      }
      if (auto s = kernel_.DeleteRule(ns, r); !s.ok()) return s;
      Record(ComponentOf(ns), StrCat("remove rule to table ", r.table, " in ", InNs(ns)));
    }
    for (const auto& [key, r] : desired_rules) {
      if (present_rules.count(key)) continue;
      if (auto s = kernel_.AddRule(ns, *r); !s.ok()) return s;
      Record(r->component, StrCat("add rule to table ", r->table, " in ", InNs(ns)));
    }

    std::optional<std::string> nat;
    if (!slice.nats.empty()) nat = NatFingerprint(slice.nats);
    if (obs.nat_fingerprint != nat) {
      if (auto s = kernel_.ReplaceNat(ns, slice.nats); !s.ok()) return s;
      Record(slice.nats.empty() ? ComponentOf(ns) : slice.nats.front().component,
             StrCat(nat ? "install" : "remove", " NAT table in ", InNs(ns)));
    }
    return absl::OkStatus();
  }

  absl::Status RemoveExtraLinks(const std::string& ns) {
    const NamespaceSlice& slice = slices_.at(ns);
    std::set<std::string> wanted{"lo"};
    for (const auto& b : slice.bridges) wanted.insert(b.name);
    for (const auto& v : slice.veths) wanted.insert(v.name);
    for (const auto& v : slice.peer_veths) wanted.insert(v.peer);
    for (const auto& link : observed_.at(ns).links) {
      if (wanted.count(link.name) || !Owned(ns, link)) continue;
      if (auto s = kernel_.DeleteLink(ns, link.name); !s.ok()) return s;
      Record(ComponentOf(ns), StrCat("remove link ", link.name, " from ", InNs(ns)));
    }
    return absl::OkStatus();
  }

  absl::Status RemoveNamespace(const std::string& ns) {
    if (!manage_namespaces_ || ns.empty()) return absl::OkStatus();
    // Not a namespace (a name file left by an interrupted creation, or
    // nothing at all): only the name to clear.
    if (!kernel_.NamespaceExists(ns)) return kernel_.DeleteNamespace(ns);
    absl::StatusOr<std::string> marker = kernel_.NamespaceMarkerOf(ns);
    if (!marker.ok() || *marker != marker_) return absl::OkStatus();  // not ours: never touch
    if (auto s = kernel_.DeleteNamespace(ns); !s.ok()) return s;
    Record(ComponentOf(ns), StrCat("remove namespace ", ns));
    return absl::OkStatus();
  }

  absl::Status Unlink(const LinkRef& link) {
    if (auto s = kernel_.DeleteLink(link.netns, link.name); !s.ok()) return s;
    Record(link.component, StrCat("remove link ", link.name, " from ", InNs(link.netns)));
    return absl::OkStatus();
  }

  void SetComponentNames(std::map<std::string, std::string> names) { names_ = std::move(names); }

 private:
  const std::string& ComponentOf(const std::string& ns) {
    auto it = names_.find(ns);
    return it != names_.end() ? it->second : ns;
  }

  void Record(const std::string& component, std::string action) {
    report_.changed_components.insert(component);
    report_.actions_by_component[component].push_back(action);
    report_.actions.push_back(std::move(action));
  }

  // Outside its own namespaces (host mode) Pharos marks every link it
  // makes with its alias; inside them the namespace's marker is enough.
  bool NeedsAlias() const { return !manage_namespaces_; }
  bool MissingAlias(const netlink::Link& link) const {
    return NeedsAlias() && link.alias != kOwnerAlias;
  }

  // In a namespace Pharos created, every link but lo is its own; elsewhere
  // only links carrying its alias.
  bool Owned(const std::string& ns, const netlink::Link& link) const {
    if (link.name == "lo") return false;
    return link.alias == kOwnerAlias || (manage_namespaces_ && !ns.empty());
  }

  absl::Status RemoveForeignOrStale(const std::string& ns, const netlink::Link& link,
                                    std::string_view wanted_kind) {
    if (!Owned(ns, link)) {
      return absl::FailedPreconditionError(StrCat(
          "link ", link.name, " in ", InNs(ns), " exists, is not Pharos's, and is not a ",
          wanted_kind, "; rename it or choose another --interface-prefix"));
    }
    if (auto s = kernel_.DeleteLink(ns, link.name); !s.ok()) return s;
    Record(ComponentOf(ns), StrCat("remove stale link ", link.name, " from ", InNs(ns)));
    return absl::OkStatus();
  }

  // A pair is checked from the side(s) in scope. A namespace out of scope
  // is trusted (the monitor marks it dirty when it changes); a veth end
  // cannot exist without its peer, so one side in scope is enough.
  absl::Status ConvergeVeth(const plan::VethObject& v) {
    auto here_it = observed_.find(v.netns);
    auto there_it = observed_.find(v.peer_netns);
    const ObservedNamespace* here = here_it == observed_.end() ? nullptr : &here_it->second;
    const ObservedNamespace* there = there_it == observed_.end() ? nullptr : &there_it->second;
    const netlink::Link* a = here ? here->FindLink(v.name) : nullptr;
    const netlink::Link* b = there ? there->FindLink(v.peer) : nullptr;
    bool paired;
    if (here && there) {
      paired = a && b && a->kind == "veth" && b->kind == "veth" && a->peer == b->index &&
               b->peer == a->index;
    } else if (here) {
      paired = a && a->kind == "veth" && a->peer != 0;
    } else {
      paired = b && b->kind == "veth" && b->peer != 0;
    }
    bool created = false;
    if (!paired) {
      if (auto s = RemoveEnd(v.netns, here, a, v.name); !s.ok()) return s;
      if (auto s = RemoveEnd(v.peer_netns, there, b, v.peer); !s.ok()) return s;
      if (auto s = kernel_.CreateVeth(v); !s.ok()) return s;
      Record(v.component, StrCat("create veth ", v.name, " in ", InNs(v.netns), " <-> ", v.peer,
                                 " in ", InNs(v.peer_netns)));
      recreated_.insert({v.netns, v.name});
      recreated_.insert({v.peer_netns, v.peer});
      // Routes through an end that existed before died with it.
      if (a) touched_.insert(v.netns);
      if (b) touched_.insert(v.peer_netns);
      created = true;
    }
    if (created ? NeedsAlias() : here != nullptr) {
      std::string master;
      if (!created && a->master) {
        const netlink::Link* m = here->FindLink(a->master);
        master = m ? m->name : "?";
      }
      if (created || master != v.master || !a->admin_up || MissingAlias(*a)) {
        if (auto s = kernel_.ConfigureLink(v.netns, v.name, v.master, true); !s.ok()) return s;
        if (!created) {
          Record(v.component, StrCat("set ", v.name, " up", v.master.empty() ? "" : " on ",
                                     v.master, " in ", InNs(v.netns)));
        }
      }
    }
    if (created ? NeedsAlias() : there != nullptr) {
      if (created || !b->admin_up || MissingAlias(*b) || b->master != 0) {
        if (auto s = kernel_.ConfigureLink(v.peer_netns, v.peer, "", true); !s.ok()) return s;
        if (!created) Record(v.component, StrCat("set ", v.peer, " up in ", InNs(v.peer_netns)));
      }
      // A pod whose address changed takes the MAC of its new address: the
      // old one will be derived again for the next pod given that address.
      if (!created && v.peer_mac && b->mac != v.peer_mac->ToString()) {
        if (auto s = kernel_.SetLinkMac(v.peer_netns, v.peer, *v.peer_mac); !s.ok()) return s;
        Record(v.component, StrCat("set ", v.peer, "'s MAC to ", v.peer_mac->ToString(), " in ",
                                   InNs(v.peer_netns)));
      }
    }
    return absl::OkStatus();
  }

  // Removes a stale end before a pair is recreated: through what was
  // observed when its namespace is in scope, by name otherwise.
  absl::Status RemoveEnd(const std::string& ns, const ObservedNamespace* observed,
                         const netlink::Link* link, const std::string& name) {
    if (observed) {
      return link ? RemoveForeignOrStale(ns, *link, "veth") : absl::OkStatus();
    }
    if (!manage_namespaces_) return absl::OkStatus();  // host mode: never blind
    return kernel_.DeleteLink(ns, name);
  }

  Kernel& kernel_;
  const std::string& marker_;
  bool manage_namespaces_;
  const std::map<std::string, NamespaceSlice>& slices_;
  ReconcileReport& report_;
  std::map<std::string, ObservedNamespace> observed_;
  std::set<std::pair<std::string, std::string>> recreated_;  // (ns, link) made this pass
  std::set<std::string> touched_;  // ns where the kernel dropped routes behind us
  std::set<std::pair<std::string, std::string>> veths_done_;
  std::map<std::string, std::string> names_;
};

}  // namespace

absl::StatusOr<ReconcileReport> Reconciler::Converge(const plan::Plan& desired,
                                                     const std::set<std::string>& scope,
                                                     const plan::Plan* previous) {
  std::map<std::string, std::string> names;
  for (const plan::Plan* p : {previous, &desired}) {
    if (!p) continue;
    for (const auto& n : p->namespaces) names[n.name] = n.component;
  }
  return Converge(SliceByNamespace(desired), scope, names);
}

absl::StatusOr<ReconcileReport> Reconciler::Converge(
    const std::map<std::string, NamespaceSlice>& slices, const std::set<std::string>& scope,
    const std::map<std::string, std::string>& components, const std::vector<LinkRef>& unlink) {
  ReconcileReport report;
  Pass pass(kernel_, marker_, manage_namespaces_, slices, report);
  pass.SetComponentNames(components);

  std::vector<std::string> live, gone;
  for (const auto& ns : scope) (slices.count(ns) ? live : gone).push_back(ns);
  // Every namespace exists before links are made between them.
  for (const auto& ns : live) {
    if (auto s = pass.EnsureNamespace(ns); !s.ok()) return s;
  }
  for (const auto& ns : live) {
    if (auto s = pass.ObserveNamespace(ns); !s.ok()) return s;
  }
  for (const auto& ns : live) {
    if (auto s = pass.ConvergeLinks(ns); !s.ok()) return s;
  }
  for (const auto& ns : live) {
    if (auto s = pass.ConvergeVeths(ns); !s.ok()) return s;
  }
  for (const auto& ns : live) {
    if (auto s = pass.ConvergeAddresses(ns); !s.ok()) return s;
  }
  for (const auto& ns : live) {
    if (auto s = pass.RefreshIfTouched(ns); !s.ok()) return s;
    if (auto s = pass.ConvergeRoutesRulesNat(ns); !s.ok()) return s;
  }
  for (const auto& ns : live) {
    if (auto s = pass.RemoveExtraLinks(ns); !s.ok()) return s;
  }
  for (const auto& link : unlink) {
    if (auto s = pass.Unlink(link); !s.ok()) return s;
  }
  for (const auto& ns : gone) {
    if (auto s = pass.RemoveNamespace(ns); !s.ok()) return s;
  }
  return report;
}

}  // namespace pharos::dataplane
