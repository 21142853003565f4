// rtnetlink encoding and decoding against byte fixtures written out by
// hand from the kernel ABI (linux/netlink.h, linux/rtnetlink.h): no kernel
// involved, so a wrong attribute or flag shows up here first.
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <vector>

#include "netlink/message.h"

namespace pharos::netlink {
namespace {

std::vector<uint8_t> Bytes(const Request& r) {
  auto span = r.bytes();
  return {span.begin(), span.end()};
}

TEST(NetlinkMessage, NewBridge) {
  const std::vector<uint8_t> expected = {
      0x38, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x06,  // len 56, RTM_NEWLINK, REQ|ACK|EXCL|CREATE
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq 0, port 0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // ifinfomsg: family, type, index
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //            flags, change
      0x08, 0x00, 0x03, 0x00, 'b',  'r',  '0',  0x00,  // IFLA_IFNAME "br0"
      0x10, 0x00, 0x12, 0x80,                          // IFLA_LINKINFO | NLA_F_NESTED
      0x0b, 0x00, 0x01, 0x00, 'b',  'r',  'i',  'd',   //   IFLA_INFO_KIND "bridge"
      'g',  'e',  0x00, 0x00};
  EXPECT_EQ(Bytes(NewBridge("br0")), expected);
}

TEST(NetlinkMessage, AddAddressWithBroadcast) {
  const std::vector<uint8_t> expected = {
      0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x06,  // len 48, RTM_NEWADDR
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x02, 0x18, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,  // AF_INET /24, scope universe, ifindex 7
      0x08, 0x00, 0x02, 0x00, 0x0a, 0x02, 0x01, 0x02,  // IFA_LOCAL 10.2.1.2
      0x08, 0x00, 0x01, 0x00, 0x0a, 0x02, 0x01, 0x02,  // IFA_ADDRESS 10.2.1.2
      0x08, 0x00, 0x04, 0x00, 0x0a, 0x02, 0x01, 0xff,  // IFA_BROADCAST 10.2.1.255
  };
  EXPECT_EQ(Bytes(Address(true, 7, *Ipv4Address::Parse("10.2.1.2"), 24)), expected);
}

TEST(NetlinkMessage, AddRouteViaGatewayWithPharosProtocol) {
  RouteSpec spec{*Ipv4Prefix::Parse("10.2.1.0/24"), Ipv4Address::Parse("10.2.0.10"), 3, 254, 0};
  const std::vector<uint8_t> expected = {
      0x34, 0x00, 0x00, 0x00, 0x18, 0x00, 0x05, 0x06,  // len 52, RTM_NEWROUTE
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x02, 0x18, 0x00, 0x00, 0xfe, 0xd4, 0x00, 0x01,  // AF_INET /24, table main, proto 212,
      0x00, 0x00, 0x00, 0x00,                          // scope universe, unicast; flags
      0x08, 0x00, 0x01, 0x00, 0x0a, 0x02, 0x01, 0x00,  // RTA_DST 10.2.1.0
      0x08, 0x00, 0x05, 0x00, 0x0a, 0x02, 0x00, 0x0a,  // RTA_GATEWAY 10.2.0.10
      0x08, 0x00, 0x04, 0x00, 0x03, 0x00, 0x00, 0x00,  // RTA_OIF 3
  };
  EXPECT_EQ(Bytes(Route(true, spec)), expected);
}

TEST(NetlinkMessage, DefaultRouteHasNoDestinationAttribute) {
  RouteSpec spec{Ipv4Prefix(), Ipv4Address::Parse("10.2.1.1"), 0, 254, 0};
  std::vector<uint8_t> bytes = Bytes(Route(true, spec));
  ASSERT_EQ(bytes.size(), 16u + 12u + 8u);
  EXPECT_EQ(bytes[17], 0);     // rtm_dst_len
  EXPECT_EQ(bytes[30], 0x05);  // the only attribute is RTA_GATEWAY
}

TEST(NetlinkMessage, VethCarriesThePeerNamespaceDescriptor) {
  std::vector<uint8_t> bytes = Bytes(NewVeth("a", "b", 42));
  // ... IFLA_INFO_DATA { VETH_INFO_PEER { ifinfomsg, IFLA_IFNAME "b", IFLA_NET_NS_FD 42 } }
  const std::vector<uint8_t> tail = {0x06, 0x00, 0x03, 0x00, 'b', 0x00, 0x00, 0x00,
                                     0x08, 0x00, 0x1c, 0x00, 42,  0x00, 0x00, 0x00};
  ASSERT_GE(bytes.size(), tail.size());
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), bytes.end() - tail.size()));
}

TEST(NetlinkMessage, ParsesALinkAnswer) {
  // RTM_NEWLINK for "eth0", index 4, up with carrier, master 5, peer 9,
  // kind veth, alias "pharos".
  std::vector<uint8_t> m = {
      0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x09, 0x00, 0x03, 0x00, 'e',  't',  'h',  '0',  0x00, 0x00, 0x00, 0x00,  // IFLA_IFNAME
      0x08, 0x00, 0x0a, 0x00, 0x05, 0x00, 0x00, 0x00,                          // IFLA_MASTER 5
      0x08, 0x00, 0x05, 0x00, 0x09, 0x00, 0x00, 0x00,                          // IFLA_LINK 9
      0x0b, 0x00, 0x14, 0x00, 'p',  'h',  'a',  'r',  'o',  's',  0x00, 0x00,  // IFLA_IFALIAS
      0x10, 0x00, 0x12, 0x00, 0x09, 0x00, 0x01, 0x00, 'v',  'e',  't',  'h',  0x00, 0x00, 0x00, 0x00,
  };
  m[0] = static_cast<uint8_t>(m.size());
  auto link = ParseLink(reinterpret_cast<const nlmsghdr*>(m.data()));
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->index, 4);
  EXPECT_EQ(link->name, "eth0");
  EXPECT_EQ(link->master, 5);
  EXPECT_EQ(link->peer, 9);
  EXPECT_EQ(link->kind, "veth");
  EXPECT_EQ(link->alias, "pharos");
  EXPECT_TRUE(link->admin_up);
  EXPECT_TRUE(link->carrier);
}

TEST(NetlinkMessage, ParsesARouteAnswerAndIgnoresOtherTypes) {
  std::vector<uint8_t> m = {
      0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x02, 0x10, 0x00, 0x00, 0xfe, 0xd4, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
      0x08, 0x00, 0x01, 0x00, 0x0a, 0x09, 0x00, 0x00,  // RTA_DST 10.9.0.0
      0x08, 0x00, 0x05, 0x00, 0x0a, 0x01, 0x00, 0x01,  // RTA_GATEWAY 10.1.0.1
      0x08, 0x00, 0x06, 0x00, 0x64, 0x00, 0x00, 0x00,  // RTA_PRIORITY 100
  };
  m[0] = static_cast<uint8_t>(m.size());
  auto route = ParseRoute(reinterpret_cast<const nlmsghdr*>(m.data()));
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->destination.ToString(), "10.9.0.0/16");
  EXPECT_EQ(route->gateway->ToString(), "10.1.0.1");
  EXPECT_EQ(route->metric, 100);
  EXPECT_EQ(route->protocol, kPharosRouteProtocol);
  EXPECT_EQ(route->table, 254);
  m[4] = RTM_NEWLINK;
  EXPECT_FALSE(ParseRoute(reinterpret_cast<const nlmsghdr*>(m.data())).has_value());
}

}  // namespace
}  // namespace pharos::netlink
