// Every command of pharos-sovd against pharos-ecu-sim over real DoIP, as a
// vehicle backend sees it: the chunks, their order and numbering, the
// decoded payloads.
#include <nlohmann/json.hpp>

#include "e2e/sovd/sovd_fixture.h"

namespace pharos::e2e {
namespace {

using nlohmann::json;

json Payload(const ::sovd::vehicle::CommandResponse& r) {
  return json::parse(r.response_payload());
}

class SovdCommandsTest : public SovdTest {
 protected:
  void SetUp() override {
    StartSim();
    StartSovd();
  }
};

TEST_F(SovdCommandsTest, ReadDtcAcrossTheVehicleIsOneChunkPerEcuInOrder) {
  ASSERT_EQ(Ctl("inject engine P0101"), "ok\n");
  Outcome out = Run("ReadDTC");
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  ASSERT_EQ(out.chunks.size(), 3u);
  const char* order[] = {"engine", "brakes", "body"};
  for (size_t i = 0; i < 3; ++i) {
    const auto& c = out.chunks[i];
    EXPECT_EQ(c.command_id(), kCommand);
    EXPECT_EQ(c.sequence_number(), static_cast<int>(i));
    EXPECT_EQ(c.is_final(), i == 2);
    EXPECT_EQ(Payload(c)["ecu"], order[i]);
    // "2025-10-31T14:30:00.123456"
    EXPECT_EQ(c.timestamp().size(), 26u) << c.timestamp();
    EXPECT_EQ(c.timestamp()[10], 'T');
    EXPECT_EQ(c.timestamp()[19], '.');
  }
  json engine = Payload(out.chunks[0]);
  ASSERT_EQ(engine["dtcs"].size(), 2u) << engine.dump();
  EXPECT_EQ(engine["dtcs"][0]["code"], "P0101");
  EXPECT_EQ(engine["dtcs"][0]["status"], "active");
  EXPECT_EQ(engine["dtcs"][0]["description"],
            "Mass or volume air flow sensor A circuit range/performance");
  EXPECT_EQ(engine["dtcs"][1]["code"], "P0420");
  EXPECT_EQ(engine["dtcs"][1]["status"], "pending");
  json brakes = Payload(out.chunks[1]);
  ASSERT_EQ(brakes["dtcs"].size(), 1u);
  EXPECT_EQ(brakes["dtcs"][0]["code"], "C0110");
  EXPECT_EQ(brakes["dtcs"][0]["status"], "confirmed");
  EXPECT_TRUE(Payload(out.chunks[2])["dtcs"].empty());
}

TEST_F(SovdCommandsTest, ReadDtcByMaskAndClearDtc) {
  ASSERT_EQ(Ctl("inject brakes C0035 0x01"), "ok\n");
  Outcome active = Run("ReadDTC", {{"ecuAddress", "0x20"}, {"dtcMask", "0x01"}});
  ASSERT_TRUE(active.status.ok()) << active.status.error_message();
  ASSERT_EQ(active.chunks.size(), 1u);
  EXPECT_TRUE(active.chunks[0].is_final());
  json p = Payload(active.chunks[0]);
  ASSERT_EQ(p["dtcs"].size(), 1u) << "C0110 (0x08) does not match mask 0x01";
  EXPECT_EQ(p["dtcs"][0]["code"], "C0035");

  Outcome cleared = Run("ClearDTC", {{"ecuAddress", "0x20"}});
  ASSERT_TRUE(cleared.status.ok()) << cleared.status.error_message();
  EXPECT_EQ(Payload(cleared.chunks[0])["cleared"], "all");
  Outcome after = Run("ReadDTC", {{"ecuAddress", "0x20"}});
  ASSERT_TRUE(after.status.ok());
  EXPECT_TRUE(Payload(after.chunks[0])["dtcs"].empty());
  Outcome engine = Run("ReadDTC", {{"ecuAddress", "0x10"}});
  EXPECT_EQ(Payload(engine.chunks[0])["dtcs"].size(), 1u) << "other ECUs keep theirs";
}

TEST_F(SovdCommandsTest, ReadDataByIdDecodesByTheDescription) {
  ASSERT_EQ(Ctl("set engine coolant_temperature 97"), "ok\n");
  Outcome out = Run("ReadDataByID",
                    {{"ecuAddress", "0x10"}, {"dataId", R"(["vin", "0x0105", "engine_speed"])"}});
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  ASSERT_EQ(out.chunks.size(), 1u);
  json data = Payload(out.chunks[0])["data"];
  ASSERT_EQ(data.size(), 3u) << data.dump();
  EXPECT_EQ(data[0]["dataId"], "0xF190");
  EXPECT_EQ(data[0]["value"], "WPHAROS0SEED00001");
  EXPECT_EQ(data[1]["name"], "coolant_temperature");
  EXPECT_EQ(data[1]["value"], 97);
  EXPECT_EQ(data[1]["unit"], "degC");
  EXPECT_EQ(data[1]["raw"], "89");
  EXPECT_EQ(data[2]["value"], 800);
  // Without an ECU: every ECU that declares the DID, in vehicle order.
  Outcome vins = Run("ReadDataByID", {{"dataId", "0xF190"}});
  ASSERT_TRUE(vins.status.ok()) << vins.status.error_message();
  ASSERT_EQ(vins.chunks.size(), 3u);
  EXPECT_EQ(Payload(vins.chunks[2])["ecu"], "body");
  EXPECT_TRUE(vins.chunks[2].is_final());
}

TEST_F(SovdCommandsTest, WriteNeedsSessionAndSecurityAccessAndThenSticks) {
  std::map<std::string, std::string> write = {
      {"ecuAddress", "0x10"}, {"dataId", "idle_speed_target"}, {"value", "820"}};
  Outcome refused = Run("WriteDataByID", write);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << refused.status.error_message();
  EXPECT_NE(refused.status.error_message().find("conditionsNotCorrect"), std::string::npos);
  EXPECT_TRUE(refused.chunks.empty()) << "errors are a status, never a payload";

  Outcome session = Run("DiagnosticSession", {{"ecuAddress", "0x10"}, {"session", "extended"}});
  ASSERT_TRUE(session.status.ok()) << session.status.error_message();
  json s = Payload(session.chunks[0]);
  EXPECT_EQ(s["session"], "extended");
  EXPECT_EQ(s["testerPresent"], true);
  Outcome locked = Run("WriteDataByID", write);
  EXPECT_EQ(locked.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << locked.status.error_message();

  Outcome unlocked = Run("SecurityAccess", {{"ecuAddress", "0x10"}, {"level", "1"}});
  ASSERT_TRUE(unlocked.status.ok()) << unlocked.status.error_message();
  EXPECT_EQ(Payload(unlocked.chunks[0])["unlocked"], true);
  Outcome written = Run("WriteDataByID", write);
  ASSERT_TRUE(written.status.ok()) << written.status.error_message();
  EXPECT_EQ(Payload(written.chunks[0])["written"], true);
  Outcome read = Run("ReadDataByID", {{"ecuAddress", "0x10"}, {"dataId", "idle_speed_target"}});
  EXPECT_EQ(Payload(read.chunks[0])["data"][0]["value"], 820);

  Outcome back = Run("DiagnosticSession", {{"ecuAddress", "0x10"}, {"session", "default"}});
  ASSERT_TRUE(back.status.ok());
  EXPECT_EQ(Payload(back.chunks[0])["testerPresent"], false);
}

TEST_F(SovdCommandsTest, TesterPresentKeepsASessionOpenPastS3) {
  ASSERT_TRUE(
      Run("DiagnosticSession", {{"ecuAddress", "0x10"}, {"session", "extended"}}).status.ok());
  // The simulator drops a silent session after 5 s (S3); pharos-sovd sends
  // tester present every 2 s.
  std::this_thread::sleep_for(std::chrono::milliseconds(6500));
  std::string stats = Ctl("stats engine");
  EXPECT_NE(stats.find("\"session\":3"), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"0x3E\":"), std::string::npos) << stats;
  Outcome routine =
      Run("RoutineControl", {{"ecuAddress", "0x10"}, {"routineId", "injector_self_test"}});
  EXPECT_TRUE(routine.status.ok()) << "still extended: " << routine.status.error_message();
}

TEST_F(SovdCommandsTest, RoutineStartAndResults) {
  ASSERT_TRUE(
      Run("DiagnosticSession", {{"ecuAddress", "0x10"}, {"session", "extended"}}).status.ok());
  Outcome start = Run("RoutineControl", {{"ecuAddress", "0x10"}, {"routineId", "0xFF01"}});
  ASSERT_TRUE(start.status.ok()) << start.status.error_message();
  json s = Payload(start.chunks[0]);
  EXPECT_EQ(s["name"], "injector_self_test");
  EXPECT_EQ(s["action"], "start");
  EXPECT_EQ(s["statusRecord"], "01");
  Outcome early = Run("RoutineControl",
                      {{"ecuAddress", "0x10"}, {"routineId", "0xFF01"}, {"action", "results"}});
  EXPECT_EQ(early.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "requestSequenceError while it runs";
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  Outcome results =
      Run("RoutineControl",
          {{"ecuAddress", "0x10"}, {"routineId", "injector_self_test"}, {"action", "results"}});
  ASSERT_TRUE(results.status.ok()) << results.status.error_message();
  EXPECT_EQ(Payload(results.chunks[0])["statusRecord"], "0001");
}

TEST_F(SovdCommandsTest, FreezeFrameAndReset) {
  ASSERT_EQ(Ctl("set engine engine_speed 3000"), "ok\n");
  ASSERT_EQ(Ctl("inject engine P0300"), "ok\n");
  Outcome frame = Run("ReadFreezeFrame", {{"dtc", "P0300"}});
  ASSERT_TRUE(frame.status.ok()) << frame.status.error_message();
  ASSERT_EQ(frame.chunks.size(), 1u) << "only the engine declares P0300";
  json f = Payload(frame.chunks[0]);
  EXPECT_EQ(f["dtc"]["code"], "P0300");
  ASSERT_EQ(f["records"].size(), 1u) << f.dump();
  EXPECT_EQ(f["records"][0]["data"][0]["name"], "engine_speed");
  EXPECT_EQ(f["records"][0]["data"][0]["value"], 3000);

  ASSERT_TRUE(
      Run("DiagnosticSession", {{"ecuAddress", "0x30"}, {"session", "extended"}}).status.ok());
  Outcome reset = Run("ECUReset", {{"ecuAddress", "0x30"}, {"resetType", "soft"}});
  ASSERT_TRUE(reset.status.ok()) << reset.status.error_message();
  EXPECT_EQ(Payload(reset.chunks[0])["resetType"], "soft");
  std::string stats = Ctl("stats body");
  EXPECT_NE(stats.find("\"resets\":1"), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"session\":1"), std::string::npos) << "a reset ends the session";
}

TEST_F(SovdCommandsTest, ResponsePendingIsWaitedOut) {
  ASSERT_EQ(Ctl("delay brakes 0 2500"), "ok\n");  // 0x78 at once and at 2 s, the answer at 2.5 s
  auto started = std::chrono::steady_clock::now();
  Outcome out = Run("ReadDTC", {{"ecuAddress", "0x20"}});
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2400));
  EXPECT_EQ(out.chunks.size(), 1u);
}

TEST_F(SovdCommandsTest, BusyEcusAreRetried) {
  ASSERT_EQ(Ctl("nrc engine 0x19 0x21"), "ok\n");
  Outcome busy = Run("ReadDTC", {{"ecuAddress", "0x10"}});
  EXPECT_EQ(busy.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(busy.status.error_message().find("busyRepeatRequest"), std::string::npos);
  std::string stats = Ctl("stats engine");
  EXPECT_NE(stats.find("\"0x19\":4"), std::string::npos) << "1 try + 3 retries: " << stats;
}

}  // namespace
}  // namespace pharos::e2e
