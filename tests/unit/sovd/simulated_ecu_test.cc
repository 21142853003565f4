// The simulated ECU as a UDS server: sessions and S3, security access with
// lockout, DTCs with freeze frames, writes behind session and security,
// routines, forced NRCs and response pending. A manual clock drives time.
#include "sovd/sim/simulated_ecu.h"

#include <gtest/gtest.h>

#include "sovd/ecu/key_algorithm.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::sim {
namespace {

using std::chrono::milliseconds;

class SimulatedEcuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = ecu::LoadEcuDescription(PHAROS_EXAMPLES_DIR "/sovd/ecus/engine.yaml");
    ASSERT_TRUE(d.ok()) << d.status();
    ecu_ = std::make_unique<SimulatedEcu>(*d, clock_);
  }
  // The one answer to `request` (fails the test when there is not exactly one).
  Bytes Ask(const Bytes& request) {
    std::vector<Reply> replies = ecu_->Handle(request);
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? Bytes{} : replies.back().message;
  }
  Bytes Unlock() {
    Bytes seed = Ask(uds::SecurityAccessRequestSeed(1));
    EXPECT_EQ(seed[0], 0x67);
    Bytes raw(seed.begin() + 2, seed.end());
    auto key = ecu::ComputeKey(*ecu_->description().FindSecurity(1), raw);
    return Ask(uds::SecurityAccessSendKey(1, *key));
  }

  ManualClock clock_;
  std::unique_ptr<SimulatedEcu> ecu_;
};

TEST_F(SimulatedEcuTest, ReadsDtcsByMaskAndClearsThem) {
  Bytes all = Ask(uds::ReadDtcByStatusMask(0xFF));
  // Only P0420 (status 0x24) is present at start.
  EXPECT_EQ(all, (Bytes{0x59, 0x02, 0xFF, 0x04, 0x20, 0x00, 0x24}));
  ASSERT_TRUE(ecu_->InjectDtc(0x010100, 0x09).ok());
  Bytes active = Ask(uds::ReadDtcByStatusMask(0x01));
  EXPECT_EQ(active, (Bytes{0x59, 0x02, 0xFF, 0x01, 0x01, 0x00, 0x09}));
  EXPECT_EQ(Ask(uds::ClearDiagnosticInformation(uds::kAllDtcGroups)), Bytes{0x54});
  EXPECT_EQ(Ask(uds::ReadDtcByStatusMask(0xFF)), (Bytes{0x59, 0x02, 0xFF}));
}

TEST_F(SimulatedEcuTest, FreezeFrameHoldsTheValuesAtInjection) {
  ASSERT_TRUE(ecu_->SetDid("coolant_temperature", "105").ok());
  ASSERT_TRUE(ecu_->InjectDtc(0x010100, 0x09).ok());
  ASSERT_TRUE(ecu_->SetDid("coolant_temperature", "20").ok());
  Bytes frame = Ask(uds::ReadDtcSnapshotByDtc(0x010100, 0xFF));
  // 59 04 P0101 09, record 1 of 2 DIDs: 0105 = 145 (105 degC), 010C = 0C80.
  EXPECT_EQ(frame, (Bytes{0x59, 0x04, 0x01, 0x01, 0x00, 0x09, 0x01, 0x02, 0x01, 0x05, 145, 0x01,
                          0x0C, 0x0C, 0x80}));
  EXPECT_EQ(Ask(uds::ReadDtcSnapshotByDtc(0x123400, 0xFF)), (Bytes{0x7F, 0x19, 0x31}));
}

TEST_F(SimulatedEcuTest, WritesNeedTheSessionAndTheKey) {
  uint8_t value[] = {0x03, 0x20};
  EXPECT_EQ(Ask(uds::WriteDataByIdentifier(0xF1A0, value)), (Bytes{0x7F, 0x2E, 0x22}))
      << "conditionsNotCorrect outside the extended session";
  EXPECT_EQ(Ask(uds::DiagnosticSessionControl(uds::kExtendedSession))[0], 0x50);
  EXPECT_EQ(Ask(uds::WriteDataByIdentifier(0xF1A0, value)), (Bytes{0x7F, 0x2E, 0x33}))
      << "securityAccessDenied while locked";
  EXPECT_EQ(Unlock(), (Bytes{0x67, 0x02}));
  EXPECT_EQ(Ask(uds::WriteDataByIdentifier(0xF1A0, value)), (Bytes{0x6E, 0xF1, 0xA0}));
  uint16_t did[] = {0xF1A0};
  EXPECT_EQ(Ask(uds::ReadDataByIdentifier(did)), (Bytes{0x62, 0xF1, 0xA0, 0x03, 0x20}));
  EXPECT_EQ(Ask(uds::WriteDataByIdentifier(0xF190, value)), (Bytes{0x7F, 0x2E, 0x31}))
      << "the VIN is read-only";
}

TEST_F(SimulatedEcuTest, TheSessionEndsWithoutTesterPresent) {
  Ask(uds::DiagnosticSessionControl(uds::kExtendedSession));
  EXPECT_EQ(Unlock(), (Bytes{0x67, 0x02}));
  clock_.Advance(milliseconds(4000));
  EXPECT_TRUE(ecu_->Handle(uds::TesterPresent(true)).empty()) << "suppressed positive response";
  clock_.Advance(milliseconds(4000));
  EXPECT_EQ(ecu_->Stats().session, 0x03) << "tester present kept it";
  Ask(uds::TesterPresent(false));
  clock_.Advance(milliseconds(5001));
  uint8_t value[] = {0x03, 0x20};
  EXPECT_EQ(Ask(uds::WriteDataByIdentifier(0xF1A0, value)), (Bytes{0x7F, 0x2E, 0x22}))
      << "S3 expired: back in the default session";
  EXPECT_EQ(ecu_->Stats().session, 0x01);
  EXPECT_EQ(ecu_->Stats().unlocked_level, 0);
}

TEST_F(SimulatedEcuTest, WrongKeysLockTheEcuOut) {
  Ask(uds::DiagnosticSessionControl(uds::kExtendedSession));
  uint8_t wrong[] = {0, 0, 0, 0};
  Ask(uds::SecurityAccessRequestSeed(1));
  EXPECT_EQ(Ask(uds::SecurityAccessSendKey(1, wrong)), (Bytes{0x7F, 0x27, 0x35}));
  Ask(uds::SecurityAccessRequestSeed(1));
  EXPECT_EQ(Ask(uds::SecurityAccessSendKey(1, wrong)), (Bytes{0x7F, 0x27, 0x35}));
  Ask(uds::SecurityAccessRequestSeed(1));
  EXPECT_EQ(Ask(uds::SecurityAccessSendKey(1, wrong)), (Bytes{0x7F, 0x27, 0x36}));
  EXPECT_EQ(Ask(uds::SecurityAccessRequestSeed(1)), (Bytes{0x7F, 0x27, 0x37}));
  clock_.Advance(milliseconds(10001));  // S3 ended the session meanwhile
  Ask(uds::DiagnosticSessionControl(uds::kExtendedSession));
  EXPECT_EQ(Unlock(), (Bytes{0x67, 0x02}));
  EXPECT_EQ(Ask(uds::SecurityAccessSendKey(1, wrong)), (Bytes{0x7F, 0x27, 0x24}))
      << "a key without a seed is out of sequence";
}

TEST_F(SimulatedEcuTest, RoutinesRunForTheirDuration) {
  Ask(uds::DiagnosticSessionControl(uds::kExtendedSession));
  EXPECT_EQ(Ask(uds::RoutineControl(uds::kStartRoutine, 0xFF01, {})),
            (Bytes{0x71, 0x01, 0xFF, 0x01, 0x01}));
  EXPECT_EQ(Ask(uds::RoutineControl(uds::kRequestRoutineResults, 0xFF01, {})),
            (Bytes{0x7F, 0x31, 0x24}));
  clock_.Advance(milliseconds(301));
  EXPECT_EQ(Ask(uds::RoutineControl(uds::kRequestRoutineResults, 0xFF01, {})),
            (Bytes{0x71, 0x03, 0xFF, 0x01, 0x00, 0x01}));
  EXPECT_EQ(Ask(uds::RoutineControl(uds::kStartRoutine, 0x9999, {})), (Bytes{0x7F, 0x31, 0x31}));
}

TEST_F(SimulatedEcuTest, ForcedNrcsDelaysAndResponsePending) {
  ecu_->ForceNrc(0x19, 0x22);
  EXPECT_EQ(Ask(uds::ReadDtcByStatusMask(0xFF)), (Bytes{0x7F, 0x19, 0x22}));
  ecu_->ForceNrc(0x19, std::nullopt);
  ecu_->SetDelay(milliseconds(10), milliseconds(4500));
  std::vector<Reply> replies = ecu_->Handle(uds::ReadDtcByStatusMask(0xFF));
  // 0x78 at 10 ms, 2010 ms and 4010 ms, then the answer at 4510 ms.
  ASSERT_EQ(replies.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(replies[i].message, (Bytes{0x7F, 0x19, 0x78}));
    EXPECT_EQ(replies[i].after, milliseconds(10 + 2000 * i));
  }
  EXPECT_EQ(replies[3].message[0], 0x59);
  EXPECT_EQ(replies[3].after, milliseconds(4510));
  EXPECT_EQ(ecu_->Stats().requests.at(0x19), 2u);
}

TEST_F(SimulatedEcuTest, MalformedRequestsGetTheirNrc) {
  EXPECT_EQ(Ask(Bytes{0x19}), (Bytes{0x7F, 0x19, 0x13}));
  EXPECT_EQ(Ask(Bytes{0x22, 0xF1}), (Bytes{0x7F, 0x22, 0x13}));
  EXPECT_EQ(Ask(Bytes{0x10, 0x05}), (Bytes{0x7F, 0x10, 0x12}));
  EXPECT_EQ(Ask(Bytes{0x34, 0x00}), (Bytes{0x7F, 0x34, 0x11}));
  EXPECT_EQ(Ask(Bytes{0x27, 0x01}), (Bytes{0x7F, 0x27, 0x7F})) << "not in the default session";
}

}  // namespace
}  // namespace pharos::sovd::sim
