#include "netlink/message.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/netconf.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/veth.h>

#include <cstdio>
#include <cstring>

namespace pharos::netlink {
namespace {

// Large enough for any single request Pharos sends (the biggest, a veth
// pair, is under 100 bytes).
constexpr size_t kRequestBufferSize = 1024;

uint32_t NetworkOrder(Ipv4Address a) { return htonl(a.value()); }
Ipv4Address FromNetworkOrder(const void* data) {
  uint32_t v;
  std::memcpy(&v, data, sizeof(v));
  return Ipv4Address(ntohl(v));
}

}  // namespace

Request::Request(uint16_t type, uint16_t flags) : buffer_(kRequestBufferSize, 0) {
  nlmsghdr* h = mnl_nlmsg_put_header(buffer_.data());
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | flags;
}

void* Request::PutExtraHeader(size_t size) { return mnl_nlmsg_put_extra_header(header(), size); }
void Request::PutU8(uint16_t type, uint8_t value) { mnl_attr_put_u8(header(), type, value); }
void Request::PutU32(uint16_t type, uint32_t value) { mnl_attr_put_u32(header(), type, value); }
void Request::PutString(uint16_t type, std::string_view value) {
  std::string s(value);
  mnl_attr_put_strz(header(), type, s.c_str());
}
void Request::PutAddress(uint16_t type, Ipv4Address address) {
  mnl_attr_put_u32(header(), type, NetworkOrder(address));
}
nlattr* Request::BeginNest(uint16_t type) { return mnl_attr_nest_start(header(), type); }
void Request::EndNest(nlattr* nest) { mnl_attr_nest_end(header(), nest); }
void Request::set_sequence(uint32_t seq) { header()->nlmsg_seq = seq; }
uint32_t Request::sequence() const {
  return reinterpret_cast<const nlmsghdr*>(buffer_.data())->nlmsg_seq;
}
uint16_t Request::type() const {
  return reinterpret_cast<const nlmsghdr*>(buffer_.data())->nlmsg_type;
}
std::span<const uint8_t> Request::bytes() const {
  const auto* h = reinterpret_cast<const nlmsghdr*>(buffer_.data());
  return {buffer_.data(), h->nlmsg_len};
}

namespace {

constexpr uint16_t kCreate = NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;

Request NewLinkWithName(std::string_view name, bool up) {
  Request r(RTM_NEWLINK, kCreate);
  auto* ifi = r.PutFamilyHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  if (up) {
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
  }
  r.PutString(IFLA_IFNAME, name);
  return r;
}

}  // namespace

Request NewBridge(std::string_view name, bool up) {
  Request r = NewLinkWithName(name, up);
  nlattr* info = r.BeginNest(IFLA_LINKINFO);
  r.PutString(IFLA_INFO_KIND, "bridge");
  r.EndNest(info);
  return r;
}

Request NewVeth(std::string_view name, std::string_view peer, int peer_netns_fd, int master_index,
                bool up, const std::optional<MacAddress>& peer_mac) {
  Request r = NewLinkWithName(name, up);
  if (master_index > 0) r.PutU32(IFLA_MASTER, static_cast<uint32_t>(master_index));
  nlattr* info = r.BeginNest(IFLA_LINKINFO);
  r.PutString(IFLA_INFO_KIND, "veth");
  nlattr* data = r.BeginNest(IFLA_INFO_DATA);
  nlattr* peer_info = r.BeginNest(VETH_INFO_PEER);
  // The peer's attributes follow its own ifinfomsg.
  auto* peer_ifi = static_cast<ifinfomsg*>(
      mnl_nlmsg_get_payload_tail(r.header()));
  r.header()->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
  std::memset(peer_ifi, 0, sizeof(ifinfomsg));
  peer_ifi->ifi_family = AF_UNSPEC;
  r.PutString(IFLA_IFNAME, peer);
  if (peer_netns_fd >= 0) r.PutU32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  if (peer_mac)
    mnl_attr_put(r.header(), IFLA_ADDRESS, peer_mac->bytes.size(), peer_mac->bytes.data());
  r.EndNest(peer_info);
  r.EndNest(data);
  r.EndNest(info);
  return r;
}

Request NewVlan(std::string_view name, int parent_index, int vlan_id) {
  Request r = NewLinkWithName(name, false);
  r.PutU32(IFLA_LINK, static_cast<uint32_t>(parent_index));
  nlattr* info = r.BeginNest(IFLA_LINKINFO);
  r.PutString(IFLA_INFO_KIND, "vlan");
  nlattr* data = r.BeginNest(IFLA_INFO_DATA);
  mnl_attr_put_u16(r.header(), IFLA_VLAN_ID, static_cast<uint16_t>(vlan_id));
  r.EndNest(data);
  r.EndNest(info);
  return r;
}

Request NewRootQdisc(int ifindex, std::string_view kind) {
  Request r(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  auto* tc = r.PutFamilyHeader<tcmsg>();
  tc->tcm_family = AF_UNSPEC;
  tc->tcm_ifindex = ifindex;
  tc->tcm_parent = TC_H_ROOT;
  r.PutString(TCA_KIND, kind);
  return r;
}

Request SetLink(int ifindex, std::optional<int> master_index, bool up,
                std::optional<std::string_view> alias) {
  Request r(RTM_NEWLINK, NLM_F_ACK);
  auto* ifi = r.PutFamilyHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  if (master_index) r.PutU32(IFLA_MASTER, static_cast<uint32_t>(*master_index));
  if (alias) r.PutString(IFLA_IFALIAS, *alias);
  return r;
}

Request SetLinkMac(int ifindex, const MacAddress& mac) {
  Request r(RTM_NEWLINK, NLM_F_ACK);
  auto* ifi = r.PutFamilyHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  mnl_attr_put(r.header(), IFLA_ADDRESS, mac.bytes.size(), mac.bytes.data());
  return r;
}

Request SetLinkUpByName(std::string_view name) {
  Request r(RTM_NEWLINK, NLM_F_ACK);
  auto* ifi = r.PutFamilyHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = IFF_UP;
  r.PutString(IFLA_IFNAME, name);
  return r;
}

Request DeleteLink(int ifindex) {
  Request r(RTM_DELLINK, NLM_F_ACK);
  auto* ifi = r.PutFamilyHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return r;
}

Request GetLink(std::string_view name) {
  Request r(RTM_GETLINK, 0);
  auto* ifi = r.PutFamilyHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  r.PutString(IFLA_IFNAME, name);
  return r;
}

Request Address(bool add, int ifindex, Ipv4Address address, int prefix_length) {
  Request r(add ? RTM_NEWADDR : RTM_DELADDR,
            add ? (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK) : NLM_F_ACK);
  auto* ifa = r.PutFamilyHeader<ifaddrmsg>();
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_length);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<uint32_t>(ifindex);
  r.PutAddress(IFA_LOCAL, address);
  r.PutAddress(IFA_ADDRESS, address);
  if (add && prefix_length < 31) {
    r.PutAddress(IFA_BROADCAST, Ipv4Prefix(address, prefix_length).broadcast());
  }
  return r;
}

Request Route(bool add, const RouteSpec& route) {
  Request r(add ? RTM_NEWROUTE : RTM_DELROUTE,
            add ? (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK) : NLM_F_ACK);
  auto* rtm = r.PutFamilyHeader<rtmsg>();
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = static_cast<uint8_t>(route.destination.length());
  rtm->rtm_table = route.table < 256 ? static_cast<uint8_t>(route.table) : RT_TABLE_UNSPEC;
  rtm->rtm_protocol = route.protocol;
  rtm->rtm_scope = route.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  if (route.destination.length() > 0) r.PutAddress(RTA_DST, route.destination.network());
  if (route.gateway) r.PutAddress(RTA_GATEWAY, *route.gateway);
  if (route.ifindex > 0) r.PutU32(RTA_OIF, static_cast<uint32_t>(route.ifindex));
  if (route.metric > 0) r.PutU32(RTA_PRIORITY, static_cast<uint32_t>(route.metric));
  if (route.table >= 256) r.PutU32(RTA_TABLE, static_cast<uint32_t>(route.table));
  return r;
}

Request Rule(bool add, const RuleSpec& rule) {
  Request r(add ? RTM_NEWRULE : RTM_DELRULE,
            add ? (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK) : NLM_F_ACK);
  auto* frh = r.PutFamilyHeader<fib_rule_hdr>();
  frh->family = AF_INET;
  frh->src_len = static_cast<uint8_t>(rule.source.length());
  frh->dst_len = static_cast<uint8_t>(rule.destination.length());
  frh->table = rule.table < 256 ? static_cast<uint8_t>(rule.table) : RT_TABLE_UNSPEC;
  frh->action = FR_ACT_TO_TBL;
  if (rule.source.length() > 0) r.PutAddress(FRA_SRC, rule.source.network());
  if (rule.destination.length() > 0) r.PutAddress(FRA_DST, rule.destination.network());
  if (rule.priority > 0) r.PutU32(FRA_PRIORITY, static_cast<uint32_t>(rule.priority));
  r.PutU32(FRA_TABLE, static_cast<uint32_t>(rule.table));
  r.PutU8(FRA_PROTOCOL, rule.protocol);
  return r;
}

namespace {
template <typename Header>
Request Dump(uint16_t type, uint8_t family) {
  Request r(type, NLM_F_DUMP);
  auto* h = r.PutFamilyHeader<Header>();
  // The family is the first byte of every rtnetlink family header.
  *reinterpret_cast<uint8_t*>(h) = family;
  return r;
}
}  // namespace

Request DumpLinks() { return Dump<ifinfomsg>(RTM_GETLINK, AF_UNSPEC); }
Request DumpAddresses() { return Dump<ifaddrmsg>(RTM_GETADDR, AF_INET); }
Request DumpRoutes() { return Dump<rtmsg>(RTM_GETROUTE, AF_INET); }
Request DumpRules() { return Dump<fib_rule_hdr>(RTM_GETRULE, AF_INET); }

Request GetForwarding() {
  Request r(RTM_GETNETCONF, 0);
  auto* ncm = r.PutFamilyHeader<netconfmsg>();
  ncm->ncm_family = AF_INET;
  r.PutU32(NETCONFA_IFINDEX, static_cast<uint32_t>(NETCONFA_IFINDEX_ALL));
  return r;
}

Request GetNftTable(uint8_t family, std::string_view name) {
  Request r(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE), 0);
  auto* nfg = r.PutFamilyHeader<nfgenmsg>();
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  r.PutString(NFTA_TABLE_NAME, name);
  return r;
}

Request LookupRoute(Ipv4Address destination) {
  Request r(RTM_GETROUTE, 0);
  auto* rtm = r.PutFamilyHeader<rtmsg>();
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 32;
  r.PutAddress(RTA_DST, destination);
  return r;
}

// --- Parsing -------------------------------------------------------------
namespace {

// Attributes of one message (or nest), indexed by type; unknown types and
// types above `max_type` are skipped.
template <size_t N>
struct Attributes {
  std::array<const nlattr*, N> at{};
  const nlattr* operator[](int type) const {
    return type >= 0 && static_cast<size_t>(type) < N ? at[type] : nullptr;
  }
};

template <size_t N>
int CollectAttribute(const nlattr* attr, void* data) {
  auto* attrs = static_cast<Attributes<N>*>(data);
  int type = mnl_attr_get_type(attr);
  if (type >= 0 && static_cast<size_t>(type) < N) attrs->at[type] = attr;
  return MNL_CB_OK;
}

template <size_t N>
Attributes<N> ParseAttributes(const nlmsghdr* message, size_t header_size) {
  Attributes<N> attrs;
  mnl_attr_parse(message, static_cast<unsigned>(header_size), CollectAttribute<N>, &attrs);
  return attrs;
}

template <size_t N>
Attributes<N> ParseNest(const nlattr* nest) {
  Attributes<N> attrs;
  mnl_attr_parse_nested(nest, CollectAttribute<N>, &attrs);
  return attrs;
}

std::string StringOf(const nlattr* a) {
  if (!a) return "";
  const char* s = static_cast<const char*>(mnl_attr_get_payload(a));
  size_t len = mnl_attr_get_payload_len(a);
  return std::string(s, strnlen(s, len));
}

uint32_t U32Of(const nlattr* a) { return a ? mnl_attr_get_u32(a) : 0; }

}  // namespace

std::optional<Link> ParseLink(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWLINK) return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(message));
  auto attrs = ParseAttributes<IFLA_MAX + 1>(message, sizeof(ifinfomsg));
  Link link;
  link.index = ifi->ifi_index;
  link.name = StringOf(attrs[IFLA_IFNAME]);
  link.master = static_cast<int>(U32Of(attrs[IFLA_MASTER]));
  link.peer = static_cast<int>(U32Of(attrs[IFLA_LINK]));
  link.admin_up = (ifi->ifi_flags & IFF_UP) != 0;
  link.carrier = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
  link.alias = StringOf(attrs[IFLA_IFALIAS]);
  if (const nlattr* a = attrs[IFLA_ADDRESS]; a && mnl_attr_get_payload_len(a) == 6) {
    const auto* b = static_cast<const uint8_t*>(mnl_attr_get_payload(a));
    char mac[18];
    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
             b[5]);
    link.mac = mac;
  }
  if (const nlattr* info = attrs[IFLA_LINKINFO]) {
    auto nested = ParseNest<IFLA_INFO_MAX + 1>(info);
    link.kind = StringOf(nested[IFLA_INFO_KIND]);
  }
  if (const nlattr* s = attrs[IFLA_STATS64];
      s && mnl_attr_get_payload_len(s) >= sizeof(rtnl_link_stats64)) {
    rtnl_link_stats64 st;
    std::memcpy(&st, mnl_attr_get_payload(s), sizeof(st));
    link.stats = {st.rx_bytes,  st.tx_bytes,  st.rx_packets, st.tx_packets,
                  st.rx_errors, st.tx_errors, st.rx_dropped, st.tx_dropped};
  }
  return link;
}

std::optional<AddressEntry> ParseAddress(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWADDR) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(message));
  if (ifa->ifa_family != AF_INET) return std::nullopt;
  auto attrs = ParseAttributes<IFA_MAX + 1>(message, sizeof(ifaddrmsg));
  const nlattr* a = attrs[IFA_LOCAL] ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS];
  if (!a || mnl_attr_get_payload_len(a) < 4) return std::nullopt;
  return AddressEntry{static_cast<int>(ifa->ifa_index), FromNetworkOrder(mnl_attr_get_payload(a)),
                      ifa->ifa_prefixlen};
}

std::optional<RouteEntry> ParseRoute(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWROUTE) return std::nullopt;
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(message));
  if (rtm->rtm_family != AF_INET) return std::nullopt;
  auto attrs = ParseAttributes<RTA_MAX + 1>(message, sizeof(rtmsg));
  RouteEntry r;
  r.table = attrs[RTA_TABLE] ? static_cast<int>(U32Of(attrs[RTA_TABLE])) : rtm->rtm_table;
  Ipv4Address dst;
  if (attrs[RTA_DST]) dst = FromNetworkOrder(mnl_attr_get_payload(attrs[RTA_DST]));
  r.destination = Ipv4Prefix(dst, rtm->rtm_dst_len);
  if (attrs[RTA_GATEWAY]) r.gateway = FromNetworkOrder(mnl_attr_get_payload(attrs[RTA_GATEWAY]));
  if (attrs[RTA_PREFSRC]) {
    r.preferred_source = FromNetworkOrder(mnl_attr_get_payload(attrs[RTA_PREFSRC]));
  }
  r.ifindex = static_cast<int>(U32Of(attrs[RTA_OIF]));
  r.metric = static_cast<int>(U32Of(attrs[RTA_PRIORITY]));
  r.protocol = rtm->rtm_protocol;
  r.type = rtm->rtm_type;
  return r;
}

std::optional<RuleEntry> ParseRule(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWRULE) return std::nullopt;
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(message));
  if (frh->family != AF_INET) return std::nullopt;
  auto attrs = ParseAttributes<FRA_MAX + 1>(message, sizeof(fib_rule_hdr));
  RuleEntry r;
  Ipv4Address src, dst;
  if (attrs[FRA_SRC]) src = FromNetworkOrder(mnl_attr_get_payload(attrs[FRA_SRC]));
  if (attrs[FRA_DST]) dst = FromNetworkOrder(mnl_attr_get_payload(attrs[FRA_DST]));
  r.source = Ipv4Prefix(src, frh->src_len);
  r.destination = Ipv4Prefix(dst, frh->dst_len);
  r.table = attrs[FRA_TABLE] ? static_cast<int>(U32Of(attrs[FRA_TABLE])) : frh->table;
  r.priority = static_cast<int>(U32Of(attrs[FRA_PRIORITY]));
  r.protocol = attrs[FRA_PROTOCOL] ? mnl_attr_get_u8(attrs[FRA_PROTOCOL]) : 0;
  return r;
}

std::optional<bool> ParseForwarding(const nlmsghdr* message) {
  if (message->nlmsg_type != RTM_NEWNETCONF) return std::nullopt;
  auto attrs = ParseAttributes<NETCONFA_MAX + 1>(message, sizeof(netconfmsg));
  if (!attrs[NETCONFA_FORWARDING]) return std::nullopt;
  return U32Of(attrs[NETCONFA_FORWARDING]) != 0;
}

}  // namespace pharos::netlink
