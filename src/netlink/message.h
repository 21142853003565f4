// rtnetlink messages: building requests and parsing answers. Pure byte
// work (libmnl does the framing), so every message is unit-testable
// against byte fixtures without a kernel.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/ipv4.h"
#include "common/mac_address.h"

namespace pharos::netlink {

// Routes and rules Pharos installs carry this protocol number, so it only
// ever removes its own (iproute2 shows it as "proto 212").
inline constexpr uint8_t kPharosRouteProtocol = 212;

// One netlink request in its own buffer.
class Request {
 public:
  Request(uint16_t type, uint16_t flags);

  // The family header (ifinfomsg, ifaddrmsg, rtmsg, fib_rule_hdr) that
  // follows nlmsghdr; call once, first.
  template <typename T>
  T* PutFamilyHeader() {
    return static_cast<T*>(PutExtraHeader(sizeof(T)));
  }
  void PutU8(uint16_t type, uint8_t value);
  void PutU32(uint16_t type, uint32_t value);
  void PutString(uint16_t type, std::string_view value);  // NUL-terminated
  void PutAddress(uint16_t type, Ipv4Address address);    // network order
  // Nested attributes: Begin returns a token for End.
  struct nlattr* BeginNest(uint16_t type);
  void EndNest(struct nlattr* nest);

  void set_sequence(uint32_t seq);
  uint32_t sequence() const;
  uint16_t type() const;
  struct nlmsghdr* header() { return reinterpret_cast<struct nlmsghdr*>(buffer_.data()); }
  std::span<const uint8_t> bytes() const;

 private:
  void* PutExtraHeader(size_t size);
  std::vector<uint8_t> buffer_;
};

// --- Requests (sequence number 0; the socket assigns one) ---------------
// `up`: created administratively up (one message instead of two).
Request NewBridge(std::string_view name, bool up = false);
// A veth pair: `name` here (enslaved to `master_index` when not 0), `peer`
// in the namespace behind `peer_netns_fd` (-1: same namespace); `up`:
// `name` comes up at creation (the kernel cannot open the peer before the
// pair is joined: bring it up with SetLinkUpByName).
// `peer_mac`: the peer's address (nullopt: the kernel picks one).
Request NewVeth(std::string_view name, std::string_view peer, int peer_netns_fd,
                int master_index = 0, bool up = false,
                const std::optional<MacAddress>& peer_mac = std::nullopt);
// Sets a link's MAC address (a veth takes it while up).
Request SetLinkMac(int ifindex, const MacAddress& mac);
// Sets master (0: none, std::nullopt: unchanged), admin state and alias.
Request SetLink(int ifindex, std::optional<int> master_index, bool up,
                std::optional<std::string_view> alias);
Request DeleteLink(int ifindex);
// Admin up, the link named by IFLA_IFNAME (no index lookup needed).
Request SetLinkUpByName(std::string_view name);
// An 802.1Q VLAN device on `parent_index` (kernels without 8021q refuse it).
Request NewVlan(std::string_view name, int parent_index, int vlan_id);
// A root qdisc of `kind` (e.g. "taprio", "cbs", "etf", "htb") without
// options: only used to ask whether the kernel knows the kind.
Request NewRootQdisc(int ifindex, std::string_view kind);
// RTM_GETLINK for one link by name (its index, kind and state).
Request GetLink(std::string_view name);
Request Address(bool add, int ifindex, Ipv4Address address, int prefix_length);

struct RouteSpec {
  Ipv4Prefix destination;
  std::optional<Ipv4Address> gateway;
  int ifindex = 0;
  int table = 254;
  int metric = 0;
  uint8_t protocol = kPharosRouteProtocol;
};
Request Route(bool add, const RouteSpec& route);

struct RuleSpec {
  Ipv4Prefix source;
  Ipv4Prefix destination;
  int table = 0;
  int priority = 0;
  uint8_t protocol = kPharosRouteProtocol;
};
Request Rule(bool add, const RuleSpec& rule);

// Dump requests.
Request DumpLinks();
Request DumpAddresses();
Request DumpRoutes();
Request DumpRules();
// RTM_GETNETCONF for "all": whether the namespace forwards IPv4 (cheaper
// than /proc/sys, whose lookups slow down with hundreds of namespaces).
Request GetForwarding();
// NFT_MSG_GETTABLE (NETLINK_NETFILTER): does table `name` exist?
Request GetNftTable(uint8_t family, std::string_view name);
// RTM_GETROUTE for one destination: what the FIB would do.
Request LookupRoute(Ipv4Address destination);

// --- Answers -------------------------------------------------------------
struct LinkStats {
  uint64_t rx_bytes = 0, tx_bytes = 0, rx_packets = 0, tx_packets = 0;
  uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;
};

struct Link {
  int index = 0;
  std::string name;
  std::string kind;   // "bridge", "veth", "" (loopback, physical)
  int master = 0;     // ifindex of the bridge, 0 for none
  int peer = 0;       // IFLA_LINK: the veth peer's ifindex (maybe in another netns)
  bool admin_up = false;
  bool carrier = false;  // IFF_LOWER_UP
  std::string alias;
  std::string mac;  // "aa:bb:cc:dd:ee:ff"; "" when the link has none
  LinkStats stats;
};

struct AddressEntry {
  int ifindex = 0;
  Ipv4Address address;
  int prefix_length = 0;
};

struct RouteEntry {
  int table = 0;
  Ipv4Prefix destination;
  std::optional<Ipv4Address> gateway;
  std::optional<Ipv4Address> preferred_source;
  int ifindex = 0;
  int metric = 0;
  uint8_t protocol = 0;
  uint8_t type = 0;  // RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE...
};

struct RuleEntry {
  Ipv4Prefix source;
  Ipv4Prefix destination;
  int table = 0;
  int priority = 0;
  uint8_t protocol = 0;
};

// Each returns nullopt for a message of another type or family.
std::optional<Link> ParseLink(const struct nlmsghdr* message);
std::optional<AddressEntry> ParseAddress(const struct nlmsghdr* message);
std::optional<RouteEntry> ParseRoute(const struct nlmsghdr* message);
std::optional<RuleEntry> ParseRule(const struct nlmsghdr* message);
std::optional<bool> ParseForwarding(const struct nlmsghdr* message);

}  // namespace pharos::netlink
