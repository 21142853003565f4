// DoIP (ISO 13400-2) messages byte for byte: the generic header, each
// payload type's layout, and the header checks an entity applies.
#include "sovd/doip/doip_message.h"

#include <gtest/gtest.h>

namespace pharos::sovd::doip {
namespace {

Bytes B(std::initializer_list<int> v) {
  Bytes out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(DoipMessage, VehicleIdentificationRequestIsAHeaderOnly) {
  // ISO 13400-2: 0xFF/0x00 may be used in vehicle identification requests.
  EXPECT_EQ(Encode(VehicleIdRequest{}, kVersionAny), B({0xFF, 0x00, 0x00, 0x01, 0, 0, 0, 0}));
  EXPECT_EQ(Encode(VehicleIdRequest{}), B({0x02, 0xFD, 0x00, 0x01, 0, 0, 0, 0}));
}

TEST(DoipMessage, RoutingActivationRequestLayout) {
  // Tester 0x0E00, default activation, the 4 reserved bytes, no OEM field.
  Bytes wire = Encode(RoutingActivationRequest{0x0E00, 0x00, std::nullopt});
  EXPECT_EQ(wire, B({0x02, 0xFD, 0x00, 0x05, 0x00, 0x00, 0x00, 0x07, 0x0E, 0x00, 0x00, 0x00, 0x00,
                     0x00, 0x00}));
  Bytes with_oem = Encode(RoutingActivationRequest{0x0E80, 0xE0, 0x11223344});
  EXPECT_EQ(with_oem.size(), 8u + 11u);
  auto back = Decode(with_oem, 4096);
  ASSERT_TRUE(back.ok()) << back.status();
  auto& ra = std::get<RoutingActivationRequest>(*back);
  EXPECT_EQ(ra.source_address, 0x0E80);
  EXPECT_EQ(ra.activation_type, 0xE0);
  EXPECT_EQ(ra.oem, 0x11223344u);
}

TEST(DoipMessage, RoutingActivationResponseLayout) {
  Bytes wire = Encode(RoutingActivationResponse{0x0E00, 0x1000, 0x10, std::nullopt});
  EXPECT_EQ(wire, B({0x02, 0xFD, 0x00, 0x06, 0x00, 0x00, 0x00, 0x09, 0x0E, 0x00, 0x10, 0x00, 0x10,
                     0x00, 0x00, 0x00, 0x00}));
  EXPECT_EQ(RoutingCodeName(0x10), "routing successfully activated");
  EXPECT_EQ(RoutingCodeName(0x00), "denied: unknown source address");
}

TEST(DoipMessage, DiagnosticMessageCarriesTheUdsBytes) {
  // Tester 0x0E00 to ECU 0x0010: ReadDataByIdentifier 0xF190 (22 F1 90).
  Bytes wire = Encode(DiagnosticMessage{0x0E00, 0x0010, B({0x22, 0xF1, 0x90})});
  EXPECT_EQ(wire, B({0x02, 0xFD, 0x80, 0x01, 0x00, 0x00, 0x00, 0x07, 0x0E, 0x00, 0x00, 0x10, 0x22,
                     0xF1, 0x90}));
  auto back = Decode(wire, 4096);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<DiagnosticMessage>(*back).user_data, B({0x22, 0xF1, 0x90}));
}

TEST(DoipMessage, DiagnosticAckAndNack) {
  EXPECT_EQ(Encode(DiagnosticAck{true, 0x0010, 0x0E00, 0x00, {}}),
            B({0x02, 0xFD, 0x80, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10, 0x0E, 0x00, 0x00}));
  Bytes nack = Encode(DiagnosticAck{false, 0x0010, 0x0E00, 0x03, {}});
  EXPECT_EQ(nack[2], 0x80);
  EXPECT_EQ(nack[3], 0x03);
  auto back = Decode(nack, 4096);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(std::get<DiagnosticAck>(*back).positive);
  EXPECT_EQ(DiagnosticNackName(0x03), "unknown target address");
}

TEST(DoipMessage, VehicleAnnouncementLayout) {
  VehicleAnnouncement a;
  a.vin = "WPHAROS0SEED00001";
  a.logical_address = 0x1000;
  a.eid = {1, 2, 3, 4, 5, 6};
  a.gid = {1, 2, 3, 4, 5, 6};
  Bytes wire = Encode(a);
  ASSERT_EQ(wire.size(), 8u + 32u);
  EXPECT_EQ(wire[7], 32);
  EXPECT_EQ(std::string(wire.begin() + 8, wire.begin() + 25), "WPHAROS0SEED00001");
  EXPECT_EQ(wire[25], 0x10);
  EXPECT_EQ(wire[26], 0x00);
  auto back = Decode(wire, 4096);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<VehicleAnnouncement>(*back).vin, a.vin);
  EXPECT_FALSE(std::get<VehicleAnnouncement>(*back).sync_status.has_value());
}

TEST(DoipMessage, AliveCheckAndStatus) {
  EXPECT_EQ(Encode(AliveCheckRequest{}), B({0x02, 0xFD, 0x00, 0x07, 0, 0, 0, 0}));
  EXPECT_EQ(Encode(AliveCheckResponse{0x0E00}),
            B({0x02, 0xFD, 0x00, 0x08, 0, 0, 0, 2, 0x0E, 0x00}));
  EXPECT_EQ(Encode(EntityStatusResponse{0x00, 16, 1, 65536}),
            B({0x02, 0xFD, 0x40, 0x02, 0, 0, 0, 7, 0x00, 16, 1, 0x00, 0x01, 0x00, 0x00}));
  EXPECT_EQ(Encode(PowerModeResponse{0x01}), B({0x02, 0xFD, 0x40, 0x04, 0, 0, 0, 1, 0x01}));
}

HeaderNack NackOf(const Bytes& header, uint32_t max = 4096) {
  auto r = DecodeHeader(header, max);
  EXPECT_TRUE(std::holds_alternative<HeaderError>(r));
  return std::holds_alternative<HeaderError>(r) ? std::get<HeaderError>(r).nack
                                                : HeaderNack::kOutOfMemory;
}

TEST(DoipMessage, HeaderChecksGiveTheStandardsNackCodes) {
  // Inverse version wrong: incorrect pattern (0x00).
  EXPECT_EQ(NackOf(B({0x02, 0xFC, 0x80, 0x01, 0, 0, 0, 5})), HeaderNack::kIncorrectPattern);
  // Version 0x04 does not exist.
  EXPECT_EQ(NackOf(B({0x04, 0xFB, 0x80, 0x01, 0, 0, 0, 5})), HeaderNack::kIncorrectPattern);
  // Payload type 0x1234: unknown (0x01).
  EXPECT_EQ(NackOf(B({0x02, 0xFD, 0x12, 0x34, 0, 0, 0, 0})), HeaderNack::kUnknownPayloadType);
  // Larger than the receiver takes: message too large (0x02).
  EXPECT_EQ(NackOf(B({0x02, 0xFD, 0x80, 0x01, 0, 1, 0, 0}), 4096), HeaderNack::kMessageTooLarge);
  // A routing activation request of 5 bytes: invalid payload length (0x04).
  EXPECT_EQ(NackOf(B({0x02, 0xFD, 0x00, 0x05, 0, 0, 0, 5})), HeaderNack::kInvalidPayloadLength);
  // A diagnostic message needs source, target and at least one byte.
  EXPECT_EQ(NackOf(B({0x02, 0xFD, 0x80, 0x01, 0, 0, 0, 4})), HeaderNack::kInvalidPayloadLength);
  auto ok = DecodeHeader(B({0x03, 0xFC, 0x80, 0x01, 0, 0, 0, 5}), 4096);
  ASSERT_TRUE(std::holds_alternative<Header>(ok));
  EXPECT_EQ(std::get<Header>(ok).version, kVersion2019);
}

TEST(DoipMessage, DecodeRefusesAMismatchedLength) {
  Bytes wire = Encode(AliveCheckResponse{0x0E00});
  wire.push_back(0);
  EXPECT_FALSE(Decode(wire, 4096).ok());
  wire.resize(9);
  EXPECT_FALSE(Decode(wire, 4096).ok());
  EXPECT_FALSE(Decode(B({0x02, 0xFD}), 4096).ok());
}

TEST(DoipMessage, EveryMessageSurvivesARoundTrip) {
  std::vector<Message> all = {
      GenericNack{HeaderNack::kUnknownPayloadType},
      VehicleIdRequest{},
      VehicleIdRequestEid{{1, 2, 3, 4, 5, 6}},
      VehicleIdRequestVin{"WPHAROS0SEED00001"},
      RoutingActivationResponse{0x0E00, 0x1000, 0x10, 0xCAFEBABE},
      AliveCheckRequest{},
      EntityStatusRequest{},
      EntityStatusResponse{0x01, 4, 2, std::nullopt},
      PowerModeRequest{},
      DiagnosticAck{true, 1, 2, 0, B({0x22, 0xF1})},
  };
  for (const Message& m : all) {
    auto back = Decode(Encode(m), 4096);
    ASSERT_TRUE(back.ok()) << PayloadTypeName(TypeOf(m)) << ": " << back.status();
    EXPECT_EQ(Encode(*back), Encode(m)) << PayloadTypeName(TypeOf(m));
  }
}

}  // namespace
}  // namespace pharos::sovd::doip
