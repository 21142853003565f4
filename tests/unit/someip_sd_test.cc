// SOME/IP-SD codec against hand-written bytes (laid out from the AUTOSAR
// SOME/IP-SD specification, field by field).
#include "discovery/someip_sd.h"

#include <gtest/gtest.h>

namespace pharos::discovery {
namespace {

// OfferService 0x1234/0x5678 v1.10, TTL 3 s, at 10.2.1.2 UDP 30490.
const std::vector<uint8_t> kOffer = {
    0xFF, 0xFF, 0x81, 0x00,  // message id: SD
    0x00, 0x00, 0x00, 0x30,  // length: 48 = everything after this field
    0x00, 0x00, 0x00, 0x01,  // client 0, session 1
    0x01, 0x01, 0x02, 0x00,  // protocol 1, interface 1, NOTIFICATION, E_OK
    0xC0, 0x00, 0x00, 0x00,  // flags: reboot, unicast
    0x00, 0x00, 0x00, 0x10,  // entries: 16 bytes
    0x01, 0x00, 0x00, 0x10,  // OfferService, option run 1 at 0 with 1 option
    0x12, 0x34, 0x56, 0x78,  // service, instance
    0x01, 0x00, 0x00, 0x03,  // major 1, TTL 3
    0x00, 0x00, 0x00, 0x0A,  // minor 10
    0x00, 0x00, 0x00, 0x0C,  // options: 12 bytes
    0x00, 0x09, 0x04, 0x00,  // length 9, IPv4 endpoint, reserved
    0x0A, 0x02, 0x01, 0x02,  // 10.2.1.2
    0x00, 0x11, 0x77, 0x1A,  // reserved, UDP, port 30490
};

std::vector<uint8_t> With(std::vector<uint8_t> bytes, size_t at, std::vector<uint8_t> patch) {
  std::copy(patch.begin(), patch.end(), bytes.begin() + at);
  return bytes;
}

TEST(SomeIpSdTest, ParsesAnOfferWithItsEndpoint) {
  absl::StatusOr<SdMessage> m = ParseSomeIpSd(kOffer);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->session_id, 1);
  EXPECT_TRUE(m->reboot);
  EXPECT_TRUE(m->unicast);
  ASSERT_EQ(m->entries.size(), 1u);
  const SdEntry& e = m->entries[0];
  EXPECT_EQ(e.type, SdEntryType::kOfferService);
  EXPECT_EQ(e.service_id, 0x1234);
  EXPECT_EQ(e.instance_id, 0x5678);
  EXPECT_EQ(e.major_version, 1);
  EXPECT_EQ(e.minor_version, 10u);
  EXPECT_EQ(e.ttl, 3u);
  EXPECT_FALSE(e.IsStopOffer());
  ASSERT_EQ(e.endpoints.size(), 1u);
  EXPECT_EQ(e.endpoints[0].address.ToString(), "10.2.1.2");
  EXPECT_EQ(e.endpoints[0].l4_protocol, kL4Udp);
  EXPECT_EQ(e.endpoints[0].port, 30490);
  EXPECT_FALSE(e.endpoints[0].multicast);
}

TEST(SomeIpSdTest, BuildsTheSameBytes) {
  SdMessage m;
  m.session_id = 1;
  m.reboot = true;
  m.unicast = true;
  SdEntry e;
  e.service_id = 0x1234;
  e.instance_id = 0x5678;
  e.major_version = 1;
  e.minor_version = 10;
  e.ttl = 3;
  e.endpoints.push_back({*Ipv4Address::Parse("10.2.1.2"), kL4Udp, 30490, false});
  m.entries.push_back(e);
  EXPECT_EQ(BuildSomeIpSd(m), kOffer);
}

TEST(SomeIpSdTest, TtlZeroIsAStopOffer) {
  absl::StatusOr<SdMessage> m = ParseSomeIpSd(With(kOffer, 33, {0x00, 0x00, 0x00}));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->entries[0].IsStopOffer());
}

TEST(SomeIpSdTest, SeveralEntriesRoundTripWithTcpAndMulticastEndpoints) {
  SdMessage m;
  m.session_id = 0x0102;
  m.reboot = false;
  for (uint16_t i = 0; i < 3; ++i) {
    SdEntry e;
    e.service_id = static_cast<uint16_t>(0x100 + i);
    e.instance_id = 1;
    e.major_version = 2;
    e.minor_version = i;
    e.ttl = 0xFFFFFF;
    e.endpoints.push_back(
        {*Ipv4Address::Parse("10.2.1.3"), kL4Tcp, static_cast<uint16_t>(30500 + i), false});
    if (i == 1) e.endpoints.push_back({*Ipv4Address::Parse("239.1.1.1"), kL4Udp, 30600, true});
    m.entries.push_back(e);
  }
  SdEntry subscribe;
  subscribe.type = SdEntryType::kSubscribeEventgroup;
  subscribe.service_id = 0x100;
  subscribe.instance_id = 1;
  subscribe.major_version = 2;
  subscribe.ttl = 5;
  subscribe.counter = 3;
  subscribe.eventgroup_id = 0x0042;
  m.entries.push_back(subscribe);
  absl::StatusOr<SdMessage> back = ParseSomeIpSd(BuildSomeIpSd(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
}

TEST(SomeIpSdTest, UnknownEntriesAndOptionsAreSkipped) {
  std::vector<uint8_t> bytes = kOffer;
  bytes[24] = 0x05;  // the only entry becomes an unknown type
  absl::StatusOr<SdMessage> m = ParseSomeIpSd(bytes);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->entries.empty());
  // The endpoint option becomes a configuration option (0x01): no endpoint.
  m = ParseSomeIpSd(With(kOffer, 46, {0x01}));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->entries.size(), 1u);
  EXPECT_TRUE(m->entries[0].endpoints.empty());
}

TEST(SomeIpSdTest, MalformedMessagesAreRefusedWithTheOffset) {
  struct Case {
    std::vector<uint8_t> bytes;
    std::string says;
  } cases[] = {
      {std::vector<uint8_t>(kOffer.begin(), kOffer.begin() + 27), "shorter than"},
      {With(kOffer, 0, {0x12, 0x34}), "message id"},
      {With(kOffer, 4, {0x00, 0x00, 0x01, 0x00}), "length 256"},
      {With(kOffer, 12, {0x02}), "protocol version"},
      {With(kOffer, 14, {0x00}), "NOTIFICATION"},
      {With(kOffer, 20, {0x00, 0x00, 0x00, 0x11}), "not a multiple of 16"},
      {With(kOffer, 20, {0x00, 0x00, 0x00, 0x30}), "runs past"},
      {With(kOffer, 40, {0x00, 0x00, 0x00, 0x40}), "options length 64"},
      {With(kOffer, 44, {0x00, 0x20}), "option length 32"},
      {With(kOffer, 44, {0x00, 0x05}), "IPv4 option length is 5"},
      {With(kOffer, 27, {0x20}), "refers to options 0..1"},
      {With(kOffer, 53, {0x99}), "L4 protocol 153"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<SdMessage> m = ParseSomeIpSd(c.bytes);
    ASSERT_FALSE(m.ok()) << c.says;
    EXPECT_NE(std::string(m.status().message()).find(c.says), std::string::npos)
        << m.status().message();
    EXPECT_NE(std::string(m.status().message()).find("at byte"), std::string::npos);
  }
}

}  // namespace
}  // namespace pharos::discovery
