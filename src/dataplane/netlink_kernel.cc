#include "dataplane/netlink_kernel.h"

#include <fcntl.h>
#include <linux/netfilter.h>
#include <nftables/libnftables.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "dataplane/nat_ruleset.h"
#include "dataplane/nft.h"
#include "netlink/netns.h"

namespace pharos::dataplane {
namespace {

// "default" only: every link made later inherits it. ("all" would also
// reach the loopback, whose ::1 floods nothing, and each path walk through
// /proc/sys/net costs more the more namespaces the machine has.)
constexpr char kIpv6DisableSysctl[] = "/proc/sys/net/ipv6/conf/default/disable_ipv6";
constexpr char kForwardingSysctl[] = "/proc/sys/net/ipv4/ip_forward";

std::string Where(const std::string& ns) { return ns.empty() ? "host namespace" : ns; }

absl::Status Annotate(const absl::Status& s, const std::string& ns, std::string_view what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), StrCat(Where(ns), ": ", what, ": ", s.message()));
}

// Idempotent adds and deletes: "already there" / "already gone" is success.
absl::Status Present(const absl::Status& s, const std::string& ns, std::string_view what) {
  return absl::IsAlreadyExists(s) ? absl::OkStatus() : Annotate(s, ns, what);
}
absl::Status Absent(const absl::Status& s, const std::string& ns, std::string_view what) {
  return absl::IsNotFound(s) ? absl::OkStatus() : Annotate(s, ns, what);
}

}  // namespace

std::string NamespaceMarker(std::string_view interface_prefix) {
  return StrCat(kOwnerAlias, ":", interface_prefix);
}

const netlink::Link* ObservedNamespace::FindLink(std::string_view name) const {
  for (const auto& l : links) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

const netlink::Link* ObservedNamespace::FindLink(int index) const {
  for (const auto& l : links) {
    if (l.index == index) return &l;
  }
  return nullptr;
}

absl::StatusOr<netlink::Socket*> NetlinkKernel::SocketFor(const std::string& ns) {
  auto it = sockets_.find(ns);
  if (it != sockets_.end()) return it->second.get();
  absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(ns);
  if (!inside.ok()) return inside.status();
  absl::StatusOr<std::unique_ptr<netlink::Socket>> socket = netlink::Socket::Open();
  if (!socket.ok()) return socket.status();
  netlink::Socket* raw = socket->get();
  sockets_[ns] = std::move(*socket);
  return raw;
}

absl::StatusOr<netlink::Socket*> NetlinkKernel::NetfilterSocketFor(const std::string& ns) {
  auto it = netfilter_sockets_.find(ns);
  if (it != netfilter_sockets_.end()) return it->second.get();
  absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(ns);
  if (!inside.ok()) return inside.status();
  absl::StatusOr<std::unique_ptr<netlink::Socket>> socket =
      netlink::Socket::Open(0, NETLINK_NETFILTER);
  if (!socket.ok()) return socket.status();
  netlink::Socket* raw = socket->get();
  netfilter_sockets_[ns] = std::move(*socket);
  return raw;
}

void NetlinkKernel::Forget(const std::string& ns) {
  std::lock_guard lock(mu_);
  sockets_.erase(ns);
  netfilter_sockets_.erase(ns);
}

absl::Status NetlinkKernel::WithSocket(const std::string& ns,
                                       const std::function<absl::Status(netlink::Socket&)>& fn) {
  std::lock_guard lock(mu_);
  absl::StatusOr<netlink::Socket*> socket = SocketFor(ns);
  if (!socket.ok()) return Annotate(socket.status(), ns, "open netlink");
  return fn(**socket);
}

absl::StatusOr<int> NetlinkKernel::IndexOf(netlink::Socket& socket, const std::string& ns,
                                           const std::string& name) {
  absl::StatusOr<netlink::Link> link = LinkByName(socket, ns, name);
  if (!link.ok()) return link.status();
  return link->index;
}

absl::StatusOr<std::vector<std::string>> NetlinkKernel::ListNamespaces() {
  return netlink::ListNamedNetns();
}

bool NetlinkKernel::NamespaceExists(const std::string& ns) {
  return ns.empty() || netlink::NamedNetnsExists(ns);
}

absl::Status NetlinkKernel::CreateNamespace(const std::string& ns, const std::string& marker,
                                            const std::string& attach_to) {
  Forget(ns);  // a socket cached for a namespace removed behind our back
  // Marked before it is named: a crash never leaves an unmarked namespace.
  auto mark_inside = [&]() -> absl::Status {
    // The vehicle is planned in IPv4. With IPv6 on, every new link sends
    // router solicitations, MLD reports and DAD probes that a pod bridge
    // floods to every other pod: measured, a pod bridge of 1,000 ports
    // spent most of a pod's setup on that (docs/benchmarks.md). A runtime's
    // namespace (attach_to) is the runtime's to configure.
    if (attach_to.empty()) {
      std::ofstream out(kIpv6DisableSysctl);
      out << "1\n";
    }
    absl::StatusOr<std::unique_ptr<netlink::Socket>> socket = netlink::Socket::Open();
    if (!socket.ok()) return socket.status();
    netlink::Request up = netlink::SetLink(1, std::nullopt, true, marker);  // lo is ifindex 1
    if (absl::Status s = (*socket)->Execute(up); !s.ok()) return s;
    std::lock_guard lock(mu_);
    sockets_[ns] = std::move(*socket);
    return absl::OkStatus();
  };
  absl::Status s = attach_to.empty() ? netlink::CreateNamedNetns(ns, mark_inside)
                                     : netlink::AttachNamedNetns(ns, attach_to, mark_inside);
  if (!s.ok()) Forget(ns);
  return Annotate(s, ns, "create namespace");
}

absl::Status NetlinkKernel::MarkNamespace(const std::string& ns, const std::string& marker) {
  return WithSocket(ns, [&](netlink::Socket& socket) {
    // The loopback is ifindex 1 in every namespace.
    netlink::Request up = netlink::SetLink(1, std::nullopt, true, marker);
    return Annotate(socket.Execute(up), ns, "loopback up");
  });
}

absl::StatusOr<std::string> NetlinkKernel::NamespaceMarkerOf(const std::string& ns) {
  std::lock_guard lock(mu_);
  absl::StatusOr<netlink::Socket*> socket = SocketFor(ns);
  if (!socket.ok()) return socket.status();
  absl::StatusOr<netlink::Link> lo = LinkByName(**socket, ns, "lo");
  if (!lo.ok()) return lo.status();
  return lo->alias;
}

absl::Status NetlinkKernel::DeleteNamespace(const std::string& ns) {
  Forget(ns);
  return Annotate(netlink::DeleteNamedNetns(ns), ns, "delete namespace");
}

absl::StatusOr<std::vector<netlink::Link>> NetlinkKernel::DumpLinks(netlink::Socket& socket) {
  std::vector<netlink::Link> links;
  netlink::Request dump = netlink::DumpLinks();
  absl::Status s = socket.Dump(dump, [&](const nlmsghdr* m) {
    if (auto l = netlink::ParseLink(m)) links.push_back(std::move(*l));
  });
  if (!s.ok()) return s;
  return links;
}

absl::StatusOr<netlink::Link> NetlinkKernel::LinkByName(netlink::Socket& socket,
                                                        const std::string& ns,
                                                        const std::string& name) {
  std::optional<netlink::Link> found;
  netlink::Request get = netlink::GetLink(name);
  absl::Status s = socket.Query(get, [&](const nlmsghdr* m) { found = netlink::ParseLink(m); });
  if (!s.ok()) return Annotate(s, ns, StrCat("link ", name));
  if (!found) return absl::NotFoundError(StrCat(Where(ns), ": no link ", name));
  return *found;
}

absl::StatusOr<ObservedNamespace> NetlinkKernel::Observe(const std::string& ns) {
  ObservedNamespace out;
  {
    std::lock_guard lock(mu_);
    absl::StatusOr<netlink::Socket*> socket = SocketFor(ns);
    if (!socket.ok()) return Annotate(socket.status(), ns, "open netlink");
    absl::StatusOr<std::vector<netlink::Link>> links = DumpLinks(**socket);
    if (!links.ok()) return Annotate(links.status(), ns, "dump links");
    out.links = std::move(*links);
    netlink::Request addrs = netlink::DumpAddresses();
    absl::Status s = (*socket)->Dump(addrs, [&](const nlmsghdr* m) {
      if (auto a = netlink::ParseAddress(m)) out.addresses.push_back(*a);
    });
    if (!s.ok()) return Annotate(s, ns, "dump addresses");
    netlink::Request routes = netlink::DumpRoutes();
    s = (*socket)->Dump(routes, [&](const nlmsghdr* m) {
      auto r = netlink::ParseRoute(m);
      if (r && r->protocol == netlink::kPharosRouteProtocol) out.routes.push_back(*r);
    });
    if (!s.ok()) return Annotate(s, ns, "dump routes");
    netlink::Request rules = netlink::DumpRules();
    s = (*socket)->Dump(rules, [&](const nlmsghdr* m) {
      auto r = netlink::ParseRule(m);
      if (r && r->protocol == netlink::kPharosRouteProtocol) out.rules.push_back(*r);
    });
    if (!s.ok()) return Annotate(s, ns, "dump rules");
    netlink::Request netconf = netlink::GetForwarding();
    s = (*socket)->Query(netconf, [&](const nlmsghdr* m) {
      if (auto f = netlink::ParseForwarding(m)) out.forwarding = *f;
    });
    if (!s.ok()) return Annotate(s, ns, "read forwarding");
  }
  absl::StatusOr<std::optional<std::string>> nat = ObserveNat(ns);
  if (!nat.ok()) return nat.status();
  out.nat_fingerprint = *nat;
  return out;
}

absl::Status NetlinkKernel::SetForwarding(const std::string& ns, bool enabled) {
  absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(ns);
  if (!inside.ok()) return inside.status();
  std::ofstream out(kForwardingSysctl);
  out << (enabled ? "1\n" : "0\n");
  out.flush();
  if (!out) return absl::InternalError(StrCat(Where(ns), ": cannot write ", kForwardingSysctl));
  return absl::OkStatus();
}

absl::Status NetlinkKernel::CreateBridge(const std::string& ns, const std::string& name) {
  return WithSocket(ns, [&](netlink::Socket& socket) {
    netlink::Request r = netlink::NewBridge(name, /*up=*/true);
    return Annotate(socket.Execute(r), ns, StrCat("create bridge ", name));
  });
}

absl::Status NetlinkKernel::CreateVeth(const plan::VethObject& v) {
  const std::string& ns = v.netns;
  const std::string& name = v.name;
  const std::string& master = v.master;
  const std::string& peer_ns = v.peer_netns;
  const std::string& peer = v.peer;
  absl::StatusOr<netlink::UniqueFd> peer_fd = netlink::OpenNetns(peer_ns);
  if (!peer_fd.ok()) return peer_fd.status();
  std::lock_guard lock(mu_);
  absl::StatusOr<netlink::Socket*> socket = SocketFor(ns);
  if (!socket.ok()) return socket.status();
  int master_index = 0;
  if (!master.empty()) {
    absl::StatusOr<netlink::Link> m = LinkByName(**socket, ns, master);
    if (!m.ok()) return m.status();
    master_index = m->index;
  }
  netlink::Request r =
      netlink::NewVeth(name, peer, peer_fd->get(), master_index, /*up=*/true, v.peer_mac);
  if (absl::Status s = (*socket)->Execute(r); !s.ok()) {
    return Annotate(s, ns, StrCat("create veth ", name, " <-> ", Where(peer_ns), ":", peer));
  }
  absl::StatusOr<netlink::Socket*> peer_socket = SocketFor(peer_ns);
  if (!peer_socket.ok()) return peer_socket.status();
  netlink::Request up = netlink::SetLinkUpByName(peer);
  return Annotate((*peer_socket)->Execute(up), peer_ns, StrCat("set ", peer, " up"));
}

absl::Status NetlinkKernel::ConfigureLink(const std::string& ns, const std::string& name,
                                          const std::string& master, bool up) {
  return WithSocket(ns, [&](netlink::Socket& socket) -> absl::Status {
    absl::StatusOr<int> index = IndexOf(socket, ns, name);
    if (!index.ok()) return index.status();
    int master_index = 0;
    if (!master.empty()) {
      absl::StatusOr<int> m = IndexOf(socket, ns, master);
      if (!m.ok()) return m.status();
      master_index = *m;
    }
    netlink::Request r = netlink::SetLink(*index, master_index, up, kOwnerAlias);
    return Annotate(socket.Execute(r), ns, StrCat("configure ", name));
  });
}

absl::Status NetlinkKernel::SetLinkMac(const std::string& ns, const std::string& name,
                                       const MacAddress& mac) {
  return WithSocket(ns, [&](netlink::Socket& socket) -> absl::Status {
    absl::StatusOr<int> index = IndexOf(socket, ns, name);
    if (!index.ok()) return index.status();
    netlink::Request r = netlink::SetLinkMac(*index, mac);
    return Annotate(socket.Execute(r), ns, StrCat("set ", name, "'s MAC to ", mac.ToString()));
  });
}

absl::Status NetlinkKernel::DeleteLink(const std::string& ns, const std::string& name) {
  return WithSocket(ns, [&](netlink::Socket& socket) -> absl::Status {
    absl::StatusOr<int> index = IndexOf(socket, ns, name);
    if (absl::IsNotFound(index.status())) return absl::OkStatus();
    if (!index.ok()) return index.status();
    netlink::Request r = netlink::DeleteLink(*index);
    absl::Status s = socket.Execute(r);
    if (absl::IsNotFound(s)) return absl::OkStatus();  // its peer went first
    return Annotate(s, ns, StrCat("delete link ", name));
  });
}

absl::Status NetlinkKernel::AddAddress(const std::string& ns, const plan::AddressObject& a) {
  return WithSocket(ns, [&](netlink::Socket& socket) -> absl::Status {
    absl::StatusOr<int> index = IndexOf(socket, ns, a.ifname);
    if (!index.ok()) return index.status();
    netlink::Request r = netlink::Address(true, *index, a.address, a.prefix_length);
    return Annotate(socket.Execute(r), ns,
                    StrCat("add address ", a.address.ToString(), "/", a.prefix_length, " to ",
                           a.ifname));
  });
}

absl::Status NetlinkKernel::DeleteAddress(const std::string& ns, const netlink::AddressEntry& a) {
  return WithSocket(ns, [&](netlink::Socket& socket) {
    netlink::Request r = netlink::Address(false, a.ifindex, a.address, a.prefix_length);
    return Absent(socket.Execute(r), ns, StrCat("delete address ", a.address.ToString()));
  });
}

absl::Status NetlinkKernel::AddRoute(const std::string& ns, const plan::RouteObject& route) {
  return WithSocket(ns, [&](netlink::Socket& socket) -> absl::Status {
    netlink::RouteSpec spec{route.destination, route.gateway, 0, route.table, route.metric};
    if (!route.device.empty()) {
      absl::StatusOr<int> index = IndexOf(socket, ns, route.device);
      if (!index.ok()) return index.status();
      spec.ifindex = *index;
    }
    netlink::Request r = netlink::Route(true, spec);
    return Present(socket.Execute(r), ns, StrCat("add route ", route.destination.ToString()));
  });
}

absl::Status NetlinkKernel::DeleteRoute(const std::string& ns, const netlink::RouteEntry& route) {
  return WithSocket(ns, [&](netlink::Socket& socket) {
    netlink::RouteSpec spec{route.destination, route.gateway, route.ifindex, route.table,
                            route.metric, route.protocol};
    netlink::Request r = netlink::Route(false, spec);
    return Absent(socket.Execute(r), ns, StrCat("delete route ", route.destination.ToString()));
  });
}

absl::Status NetlinkKernel::AddRule(const std::string& ns, const plan::RuleObject& rule) {
  return WithSocket(ns, [&](netlink::Socket& socket) {
    netlink::Request r = netlink::Rule(
        true, {rule.source.Normalized(), rule.destination.Normalized(), rule.table, rule.priority});
    return Present(socket.Execute(r), ns, StrCat("add rule to table ", rule.table));
  });
}

absl::Status NetlinkKernel::DeleteRule(const std::string& ns, const netlink::RuleEntry& rule) {
  return WithSocket(ns, [&](netlink::Socket& socket) {
    netlink::Request r = netlink::Rule(
        false, {rule.source, rule.destination, rule.table, rule.priority, rule.protocol});
    return Absent(socket.Execute(r), ns, StrCat("delete rule to table ", rule.table));
  });
}

absl::Status NetlinkKernel::RunNft(const std::string& ns, const std::string& json,
                                   std::string* output) {
  return RunNftInNamespace(ns, json, NftSyntax::kJson, output);
}

absl::StatusOr<std::optional<std::string>> NetlinkKernel::ObserveNat(const std::string& ns) {
  {
    // Most namespaces have no NAT: ask netlink whether the table exists
    // before paying for an nftables context.
    std::lock_guard lock(mu_);
    absl::StatusOr<netlink::Socket*> nf = NetfilterSocketFor(ns);
    if (!nf.ok()) return nf.status();
    netlink::Request get = netlink::GetNftTable(NFPROTO_IPV4, kNatTable);
    absl::Status exists = (*nf)->Execute(get);
    if (absl::IsNotFound(exists)) return std::optional<std::string>();
    if (!exists.ok()) return Annotate(exists, ns, "nftables table lookup");
  }
  std::string output;
  std::string list = StrCat(R"({"nftables":[{"list":{"table":{"family":"ip","name":")",
                            kNatTable, R"("}}}]})");
  absl::Status s = RunNft(ns, list, &output);
  if (!s.ok()) return std::optional<std::string>();  // no such table
  std::string fingerprint;
  nlohmann::json doc = nlohmann::json::parse(output, nullptr, false);
  if (doc.is_object() && doc.contains("nftables")) {
    for (const auto& item : doc["nftables"]) {
      if (!item.contains("rule")) continue;
      std::string comment = item["rule"].value("comment", "");
      fingerprint = comment.substr(comment.rfind(':') + 1);
      break;
    }
  }
  return std::optional<std::string>(fingerprint);
}

absl::Status NetlinkKernel::ReplaceNat(const std::string& ns,
                                       const std::vector<plan::NatObject>& nats) {
  return RunNft(ns, nats.empty() ? NatDeleteJson() : NatRulesetJson(nats), nullptr);
}

absl::StatusOr<netlink::RouteEntry> NetlinkKernel::LookupRoute(const std::string& ns,
                                                               Ipv4Address destination) {
  std::lock_guard lock(mu_);
  absl::StatusOr<netlink::Socket*> socket = SocketFor(ns);
  if (!socket.ok()) return socket.status();
  std::optional<netlink::RouteEntry> found;
  netlink::Request r = netlink::LookupRoute(destination);
  absl::Status s = (*socket)->Query(r, [&](const nlmsghdr* m) { found = netlink::ParseRoute(m); });
  if (!s.ok()) return s;
  if (!found) return absl::NotFoundError(StrCat("no route to ", destination.ToString()));
  return *found;
}

absl::StatusOr<std::vector<netlink::Link>> NetlinkKernel::Links(const std::string& ns) {
  std::lock_guard lock(mu_);
  absl::StatusOr<netlink::Socket*> socket = SocketFor(ns);
  if (!socket.ok()) return socket.status();
  return DumpLinks(**socket);
}

}  // namespace pharos::dataplane
