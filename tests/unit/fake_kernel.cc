#include "fake_kernel.h"

#include "common/strings.h"
#include "dataplane/nat_ruleset.h"

namespace pharos::testing {

FakeKernel::FakeNs* FakeKernel::Find(const std::string& ns) {
  auto it = namespaces.find(ns);
  return it == namespaces.end() ? nullptr : &it->second;
}

absl::StatusOr<std::vector<std::string>> FakeKernel::ListNamespaces() {
  std::vector<std::string> out;
  for (const auto& [name, ns] : namespaces) out.push_back(name);
  return out;
}

absl::Status FakeKernel::CreateNamespace(const std::string& ns, const std::string& marker,
                                         const std::string& attach_to) {
  calls.push_back(StrCat("CreateNamespace ", ns, attach_to.empty() ? "" : " attached to ",
                         attach_to));
  if (namespaces.count(ns)) return absl::AlreadyExistsError(ns);
  namespaces[ns].marker = marker;
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeKernel::NamespaceMarkerOf(const std::string& ns) {
  FakeNs* n = Find(ns);
  if (!n) return absl::NotFoundError(ns);
  return n->marker;
}

absl::Status FakeKernel::MarkNamespace(const std::string& ns, const std::string& marker) {
  calls.push_back(StrCat("MarkNamespace ", ns));
  Find(ns)->marker = marker;
  return absl::OkStatus();
}

absl::Status FakeKernel::DeleteNamespace(const std::string& ns) {
  calls.push_back(StrCat("DeleteNamespace ", ns));
  // As the kernel does: a veth with an end in the namespace goes with it,
  // both ends.
  if (FakeNs* n = Find(ns)) {
    for (const auto& [name, l] : n->links) {
      if (l.peer.empty()) continue;
      if (FakeNs* p = Find(l.peer_ns)) p->links.erase(l.peer);
    }
  }
  namespaces.erase(ns);
  return absl::OkStatus();
}

absl::StatusOr<dataplane::ObservedNamespace> FakeKernel::Observe(const std::string& ns) {
  calls.push_back(StrCat("Observe ", ns));
  FakeNs* n = Find(ns);
  if (!n) return absl::NotFoundError(ns);
  dataplane::ObservedNamespace o;
  o.links.push_back({1, "lo", "", 0, 0, true, true, n->marker});
  for (const auto& [name, l] : n->links) {
    netlink::Link link;
    link.index = l.index;
    link.name = name;
    link.kind = l.kind;
    link.admin_up = l.up;
    link.carrier = l.up;
    link.alias = l.alias;
    link.mac = l.mac;
    if (!l.master.empty()) link.master = n->links[l.master].index;
    if (!l.peer.empty()) {
      FakeNs* p = Find(l.peer_ns);
      if (p && p->links.count(l.peer)) link.peer = p->links[l.peer].index;
    }
    o.links.push_back(link);
  }
  for (const auto& [ifname, ip, len] : n->addresses) {
    o.addresses.push_back({n->links[ifname].index, Ipv4Address(ip), len});
  }
  o.routes = n->routes;
  o.rules = n->rules;
  o.forwarding = n->forwarding;
  o.nat_fingerprint = n->nat;
  return o;
}

absl::Status FakeKernel::SetForwarding(const std::string& ns, bool enabled) {
  calls.push_back(StrCat("SetForwarding ", ns));
  Find(ns)->forwarding = enabled;
  return absl::OkStatus();
}

absl::Status FakeKernel::CreateBridge(const std::string& ns, const std::string& name) {
  calls.push_back(StrCat("CreateBridge ", ns, " ", name));
  FakeLink& l = Find(ns)->links[name];
  l = {next_index_++, "bridge", "", "", "", "", true};
  return absl::OkStatus();
}

absl::Status FakeKernel::CreateVeth(const plan::VethObject& v) {
  calls.push_back(StrCat("CreateVeth ", v.netns, " ", v.name));
  FakeNs* a = Find(v.netns);
  FakeNs* b = Find(v.peer_netns);
  if (!a || !b) return absl::NotFoundError("namespace");
  if (a->links.count(v.name) || b->links.count(v.peer)) return absl::AlreadyExistsError(v.name);
  a->links[v.name] = {next_index_++, "veth", v.master, v.peer_netns, v.peer, "", true};
  b->links[v.peer] = {next_index_++, "veth", "", v.netns, v.name, "", true};
  if (v.peer_mac) b->links[v.peer].mac = v.peer_mac->ToString();
  return absl::OkStatus();
}

absl::Status FakeKernel::SetLinkMac(const std::string& ns, const std::string& name,
                                    const MacAddress& mac) {
  calls.push_back(StrCat("SetLinkMac ", ns, " ", name, " ", mac.ToString()));
  Find(ns)->links.at(name).mac = mac.ToString();
  return absl::OkStatus();
}

absl::Status FakeKernel::ConfigureLink(const std::string& ns, const std::string& name,
                                       const std::string& master, bool up) {
  calls.push_back(StrCat("ConfigureLink ", ns, " ", name));
  FakeLink& l = Find(ns)->links.at(name);
  l.master = master;
  l.up = up;
  l.alias = dataplane::kOwnerAlias;
  return absl::OkStatus();
}

absl::Status FakeKernel::DeleteLink(const std::string& ns, const std::string& name) {
  calls.push_back(StrCat("DeleteLink ", ns, " ", name));
  FakeNs* n = Find(ns);
  auto it = n->links.find(name);
  if (it == n->links.end()) return absl::OkStatus();
  if (!it->second.peer.empty()) {
    if (FakeNs* p = Find(it->second.peer_ns)) p->links.erase(it->second.peer);
  }
  std::erase_if(n->addresses, [&](const auto& a) { return std::get<0>(a) == name; });
  n->links.erase(it);
  return absl::OkStatus();
}

absl::Status FakeKernel::AddAddress(const std::string& ns, const plan::AddressObject& a) {
  calls.push_back(StrCat("AddAddress ", ns, " ", a.address.ToString()));
  Find(ns)->addresses.insert({a.ifname, a.address.value(), a.prefix_length});
  return absl::OkStatus();
}

absl::Status FakeKernel::DeleteAddress(const std::string& ns, const netlink::AddressEntry& a) {
  calls.push_back(StrCat("DeleteAddress ", ns, " ", a.address.ToString()));
  std::erase_if(Find(ns)->addresses, [&](const auto& x) { return std::get<1>(x) == a.address.value(); });
  return absl::OkStatus();
}

absl::Status FakeKernel::AddRoute(const std::string& ns, const plan::RouteObject& r) {
  calls.push_back(StrCat("AddRoute ", ns, " ", r.destination.ToString()));
  FakeNs* n = Find(ns);
  netlink::RouteEntry e;
  e.table = r.table;
  e.destination = r.destination.Normalized();
  e.gateway = r.gateway;
  e.ifindex = r.device.empty() ? 0 : n->links.at(r.device).index;
  e.metric = r.metric;
  e.protocol = netlink::kPharosRouteProtocol;
  n->routes.push_back(e);
  return absl::OkStatus();
}

absl::Status FakeKernel::DeleteRoute(const std::string& ns, const netlink::RouteEntry& r) {
  calls.push_back(StrCat("DeleteRoute ", ns, " ", r.destination.ToString()));
  std::erase_if(Find(ns)->routes, [&](const auto& x) {
    return x.destination == r.destination && x.table == r.table && x.gateway == r.gateway;
  });
  return absl::OkStatus();
}

absl::Status FakeKernel::AddRule(const std::string& ns, const plan::RuleObject& r) {
  calls.push_back(StrCat("AddRule ", ns));
  Find(ns)->rules.push_back({r.source.Normalized(), r.destination.Normalized(), r.table,
                             r.priority, netlink::kPharosRouteProtocol});
  return absl::OkStatus();
}

absl::Status FakeKernel::DeleteRule(const std::string& ns, const netlink::RuleEntry& r) {
  calls.push_back(StrCat("DeleteRule ", ns));
  std::erase_if(Find(ns)->rules, [&](const auto& x) { return x.table == r.table; });
  return absl::OkStatus();
}

absl::Status FakeKernel::ReplaceNat(const std::string& ns,
                                    const std::vector<plan::NatObject>& nats) {
  calls.push_back(StrCat("ReplaceNat ", ns));
  FakeNs* n = Find(ns);
  if (nats.empty()) {
    n->nat.reset();
  } else {
    n->nat = dataplane::NatFingerprint(nats);
  }
  return absl::OkStatus();
}

}  // namespace pharos::testing
