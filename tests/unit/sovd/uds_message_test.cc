// UDS (ISO 14229-1) requests and responses byte for byte, the DTC format
// (SAE J2012) and the NRC names.
#include "sovd/uds/uds_message.h"

#include <gtest/gtest.h>

namespace pharos::sovd::uds {
namespace {

Bytes B(std::initializer_list<int> v) {
  Bytes out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

TEST(UdsMessage, Requests) {
  EXPECT_EQ(DiagnosticSessionControl(kExtendedSession), B({0x10, 0x03}));
  EXPECT_EQ(EcuReset(0x01), B({0x11, 0x01}));
  EXPECT_EQ(ClearDiagnosticInformation(kAllDtcGroups), B({0x14, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(ReadDtcByStatusMask(0xFF), B({0x19, 0x02, 0xFF}));
  EXPECT_EQ(ReadDtcSnapshotByDtc(0x010100, 0xFF), B({0x19, 0x04, 0x01, 0x01, 0x00, 0xFF}));
  EXPECT_EQ(ReadDtcExtDataByDtc(0x042000, 0x01), B({0x19, 0x06, 0x04, 0x20, 0x00, 0x01}));
  uint16_t dids[] = {0xF190, 0x0105};
  EXPECT_EQ(ReadDataByIdentifier(dids), B({0x22, 0xF1, 0x90, 0x01, 0x05}));
  uint8_t value[] = {0x02, 0xEE};
  EXPECT_EQ(WriteDataByIdentifier(0xF1A0, value), B({0x2E, 0xF1, 0xA0, 0x02, 0xEE}));
  EXPECT_EQ(SecurityAccessRequestSeed(0x01), B({0x27, 0x01}));
  uint8_t key[] = {0xAA, 0xBB};
  EXPECT_EQ(SecurityAccessSendKey(0x01, key), B({0x27, 0x02, 0xAA, 0xBB}));
  EXPECT_EQ(RoutineControl(kStartRoutine, 0xFF01, {}), B({0x31, 0x01, 0xFF, 0x01}));
  EXPECT_EQ(TesterPresent(true), B({0x3E, 0x80}));
  EXPECT_EQ(TesterPresent(false), B({0x3E, 0x00}));
  EXPECT_EQ(ControlDtcSetting(false), B({0x85, 0x02}));
}

TEST(UdsMessage, PositiveAndNegativeResponses) {
  auto pos = ParseResponse(B({0x62, 0xF1, 0x90, 0x41}));
  ASSERT_TRUE(pos.ok());
  EXPECT_TRUE(pos->positive);
  EXPECT_EQ(pos->service, 0x22);
  EXPECT_EQ(pos->data, B({0xF1, 0x90, 0x41}));
  auto neg = ParseResponse(B({0x7F, 0x22, 0x31}));
  ASSERT_TRUE(neg.ok());
  EXPECT_FALSE(neg->positive);
  EXPECT_EQ(neg->service, 0x22);
  EXPECT_EQ(neg->nrc, 0x31);
  EXPECT_FALSE(ParseResponse(B({0x7F, 0x22})).ok());
  EXPECT_FALSE(ParseResponse(B({})).ok());
  EXPECT_FALSE(ParseResponse(B({0x22, 0xF1, 0x90})).ok()) << "a request SID is no response";
}

TEST(UdsMessage, NrcNamesAreTheStandardsMnemonics) {
  EXPECT_EQ(NrcName(0x22), "conditionsNotCorrect");
  EXPECT_EQ(NrcName(0x33), "securityAccessDenied");
  EXPECT_EQ(NrcName(0x78), "requestCorrectlyReceived-ResponsePending");
  EXPECT_EQ(NrcName(0x7F), "serviceNotSupportedInActiveSession");
  EXPECT_EQ(NrcName(0x21), "busyRepeatRequest");
  EXPECT_EQ(NrcName(0x94), "resourceTemporarilyNotAvailable");
  EXPECT_EQ(NrcName(0x01), "reserved");
}

TEST(UdsMessage, SessionResponseTiming) {
  // 50 03, P2 = 0x0032 (50 ms), P2* = 0x01F4 (500 × 10 ms).
  auto r = ParseResponse(B({0x50, 0x03, 0x00, 0x32, 0x01, 0xF4}));
  ASSERT_TRUE(r.ok());
  auto t = ParseSessionResponse(*r);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->session, 0x03);
  EXPECT_EQ(t->p2_ms, 50u);
  EXPECT_EQ(t->p2_star_ms, 5000u);
}

TEST(UdsMessage, DtcListByStatusMask) {
  // 59 02, availability 0xFF, P0101 status 0x09, C0035-1F status 0x24.
  auto r = ParseResponse(B({0x59, 0x02, 0xFF, 0x01, 0x01, 0x00, 0x09, 0x40, 0x35, 0x1F, 0x24}));
  ASSERT_TRUE(r.ok());
  auto list = ParseDtcByStatusMask(*r);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->availability_mask, 0xFF);
  ASSERT_EQ(list->dtcs.size(), 2u);
  EXPECT_EQ(DtcCode(list->dtcs[0].dtc), "P0101");
  EXPECT_EQ(DtcStatusText(list->dtcs[0].status), "active");
  EXPECT_EQ(DtcCode(list->dtcs[1].dtc), "C0035");
  EXPECT_EQ(list->dtcs[1].dtc & 0xFF, 0x1Fu);
  EXPECT_EQ(DtcStatusText(list->dtcs[1].status), "pending");
  auto truncated = ParseResponse(B({0x59, 0x02, 0xFF, 0x01, 0x01}));
  EXPECT_FALSE(ParseDtcByStatusMask(*truncated).ok());
}

TEST(UdsMessage, J2012Codes) {
  EXPECT_EQ(DtcCode(0x010100), "P0101");
  EXPECT_EQ(DtcCode(0x042000), "P0420");
  EXPECT_EQ(DtcCode(0x400000 | 0x3500), "C0035");
  EXPECT_EQ(DtcCode(0x900000), "B1000");
  EXPECT_EQ(DtcCode(0xC10000), "U0100");
  EXPECT_EQ(*ParseDtc("P0101"), 0x010100u);
  EXPECT_EQ(*ParseDtc("u0100"), 0xC10000u);
  EXPECT_EQ(*ParseDtc("C0035-1F"), 0x40351Fu);
  EXPECT_EQ(*ParseDtc("0xFFFFFF"), 0xFFFFFFu);
  EXPECT_FALSE(ParseDtc("P4101").ok()) << "the second character is 0..3";
  EXPECT_FALSE(ParseDtc("X0101").ok());
  EXPECT_FALSE(ParseDtc("P01").ok());
  EXPECT_FALSE(ParseDtc("0x1000000").ok());
  for (uint32_t dtc : {0x010100u, 0x7FFF00u, 0xC12300u, 0x80AB00u}) {
    EXPECT_EQ(*ParseDtc(DtcCode(dtc)), dtc);
  }
}

TEST(UdsMessage, StatusFlags) {
  auto flags = DtcStatusFlags(0x09);
  ASSERT_EQ(flags.size(), 2u);
  EXPECT_EQ(flags[0], "testFailed");
  EXPECT_EQ(flags[1], "confirmedDTC");
  EXPECT_EQ(DtcStatusText(0x08), "confirmed");
  EXPECT_EQ(DtcStatusText(0x00), "inactive");
}

TEST(UdsMessage, ReadDataSplitsByTheDescribedLengths) {
  auto r = ParseResponse(B({0x62, 0x01, 0x05, 0x82, 0x01, 0x0C, 0x0C, 0x80}));
  uint16_t asked[] = {0x0105, 0x010C};
  auto lengths = [](uint16_t did) -> std::optional<size_t> {
    if (did == 0x0105) return 1;
    if (did == 0x010C) return 2;
    return std::nullopt;
  };
  auto records = ParseReadDataByIdentifier(*r, asked, lengths);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].data, B({0x82}));
  EXPECT_EQ((*records)[1].data, B({0x0C, 0x80}));
  uint16_t wrong[] = {0x0105, 0x0200};
  EXPECT_FALSE(ParseReadDataByIdentifier(*r, wrong, lengths).ok());
  uint16_t unknown_first[] = {0x0999};
  auto single = ParseResponse(B({0x62, 0x09, 0x99, 1, 2, 3}));
  auto one = ParseReadDataByIdentifier(*single, unknown_first, lengths);
  ASSERT_TRUE(one.ok()) << "a lone DID takes the rest, known length or not";
  EXPECT_EQ((*one)[0].data, B({1, 2, 3}));
}

TEST(UdsMessage, SnapshotRecords) {
  // 59 04 P0101 status 09, record 01 with 2 DIDs: 0105 = 82, 010C = 0C80.
  auto r = ParseResponse(B(
      {0x59, 0x04, 0x01, 0x01, 0x00, 0x09, 0x01, 0x02, 0x01, 0x05, 0x82, 0x01, 0x0C, 0x0C, 0x80}));
  auto lengths = [](uint16_t did) -> std::optional<size_t> { return did == 0x0105 ? 1 : 2; };
  auto snap = ParseSnapshotResponse(*r, lengths);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->dtc, 0x010100u);
  ASSERT_EQ(snap->records.size(), 1u);
  ASSERT_EQ(snap->records[0].values.size(), 2u);
  EXPECT_EQ(snap->records[0].values[1].data, B({0x0C, 0x80}));
}

TEST(UdsMessage, Hex) {
  EXPECT_EQ(Hex(B({0x0A, 0xFF})), "0AFF");
  EXPECT_EQ(*ParseHex("0x0a ff"), B({0x0A, 0xFF}));
  EXPECT_FALSE(ParseHex("ABC").ok());
  EXPECT_FALSE(ParseHex("zz").ok());
}

}  // namespace
}  // namespace pharos::sovd::uds
