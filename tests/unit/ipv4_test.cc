#include "common/ipv4.h"

#include <gtest/gtest.h>

#include "common/mac_address.h"
#include "common/text.h"

namespace pharos {
namespace {

TEST(Ipv4AddressTest, ParsesDottedQuad) {
  auto a = Ipv4Address::Parse("10.2.1.5");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value(), 0x0a020105u);
  EXPECT_EQ(a->ToString(), "10.2.1.5");
}

TEST(Ipv4AddressTest, RejectsMalformedWithReason) {
  std::string why;
  EXPECT_FALSE(Ipv4Address::Parse("10.2.1", &why));
  EXPECT_NE(why.find("3 parts"), std::string::npos);
  EXPECT_FALSE(Ipv4Address::Parse("10.2.1.256", &why));
  EXPECT_NE(why.find("above 255"), std::string::npos);
  EXPECT_FALSE(Ipv4Address::Parse("10.2.1.05", &why));
  EXPECT_NE(why.find("leading zero"), std::string::npos);
  EXPECT_FALSE(Ipv4Address::Parse("10.2.x.1", &why));
  EXPECT_FALSE(Ipv4Address::Parse("", &why));
  EXPECT_FALSE(Ipv4Address::Parse("1.2.3.4.", &why));
}

TEST(MacAddressTest, DerivedFromAnAddressIsLocalUnicastAndRoundTrips) {
  MacAddress mac = MacAddress::DerivedFrom(*Ipv4Address::Parse("10.2.1.5"));
  EXPECT_EQ(mac.ToString(), "02:50:0a:02:01:05");
  EXPECT_EQ(mac.bytes[0] & 0x01, 0) << "multicast";
  EXPECT_EQ(mac.bytes[0] & 0x02, 0x02) << "not locally administered";
  EXPECT_NE(MacAddress::DerivedFrom(*Ipv4Address::Parse("10.2.1.6")), mac);
  EXPECT_EQ(MacAddress::Parse("02:50:0A:02:01:05"), mac);
  EXPECT_FALSE(MacAddress::Parse("02:50:0a:02:01"));
  EXPECT_FALSE(MacAddress::Parse("02-50-0a-02-01-05"));
  EXPECT_FALSE(MacAddress::Parse("02:50:0a:02:01:0g"));
}

TEST(Ipv4PrefixTest, ContainsOverlapsAndHosts) {
  auto p = Ipv4Prefix::Parse("10.2.1.0/24");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->Contains(*Ipv4Address::Parse("10.2.1.200")));
  EXPECT_FALSE(p->Contains(*Ipv4Address::Parse("10.2.2.1")));
  EXPECT_EQ(p->HostCount(), 254u);
  EXPECT_EQ(p->Host(0)->ToString(), "10.2.1.1");
  EXPECT_EQ(p->Host(253)->ToString(), "10.2.1.254");
  EXPECT_FALSE(p->Host(254));
  EXPECT_TRUE(p->IsNetworkOrBroadcast(*Ipv4Address::Parse("10.2.1.255")));
  EXPECT_TRUE(p->Overlaps(*Ipv4Prefix::Parse("10.2.0.0/16")));
  EXPECT_FALSE(p->Overlaps(*Ipv4Prefix::Parse("10.2.0.0/24")));
  EXPECT_TRUE(Ipv4Prefix().Contains(*p));  // 0.0.0.0/0
}

TEST(Ipv4PrefixTest, RejectsBadLengthAndKeepsHostBits) {
  EXPECT_FALSE(Ipv4Prefix::Parse("10.0.0.0/33"));
  EXPECT_FALSE(Ipv4Prefix::Parse("10.0.0.0"));
  EXPECT_FALSE(Ipv4Prefix::Parse("10.0.0.0/"));
  auto p = Ipv4Prefix::Parse("10.2.1.7/24");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->HasHostBits());
  EXPECT_EQ(p->Normalized().ToString(), "10.2.1.0/24");
}

TEST(TextTest, GlobMatches) {
  EXPECT_TRUE(GlobMatch("*-pod", "perception-pod"));
  EXPECT_TRUE(GlobMatch("soc?", "soc1"));
  EXPECT_FALSE(GlobMatch("soc?", "soc10"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("vm*", "soc1"));
}

TEST(TextTest, Sha256IsStandard) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace pharos
