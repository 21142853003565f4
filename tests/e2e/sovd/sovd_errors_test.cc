// Every status of the seed's error table, provoked against the real
// processes: bad input, unknown vehicle and ECU, an ECU that is down, a
// command that times out, a client that cancels, a simulator killed in the
// middle of a stream.
#include <signal.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/sovd/sovd_fixture.h"

namespace pharos::e2e {
namespace {

class SovdErrorsTest : public SovdTest {
 protected:
  void SetUp() override {
    StartSim();
    StartSovd({}, "timeouts:\n  commands:\n    ClearDTC: 1500\n");
  }
};

TEST_F(SovdErrorsTest, BadRequestsAreInvalidArgumentNamingTheField) {
  auto bad_command = Request("ReadDTC");
  bad_command.set_command_id("not-a-uuid");
  Outcome a = Run(bad_command);
  EXPECT_EQ(a.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(a.status.error_message().find("command_id"), std::string::npos);
  EXPECT_TRUE(a.chunks.empty());

  Outcome b = Run(Request("ReadDTC", {}, "123E4567-E89B-12D3-A456-426614174000"));
  EXPECT_EQ(b.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(b.status.error_message().find("vehicle_id"), std::string::npos);

  Outcome c = Run("ReadDtc");
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(c.status.error_message().find("ReadDTC, ClearDTC"), std::string::npos)
      << c.status.error_message();

  Outcome d = Run("ReadDTC", {{"dtcMask", "lots"}});
  EXPECT_EQ(d.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(d.status.error_message().find("command_params.dtcMask"), std::string::npos);

  Outcome e = Run("WriteDataByID", {{"dataId", "0xF1A0"}, {"value", "1"}});
  EXPECT_EQ(e.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "which ECU?";
  EXPECT_NE(e.status.error_message().find("ecuAddress"), std::string::npos);

  Outcome f =
      Run("WriteDataByID", {{"ecuAddress", "0x10"}, {"dataId", "0x0105"}, {"value", "1000"}});
  EXPECT_EQ(f.status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << f.status.error_message();
}

TEST_F(SovdErrorsTest, UnknownVehicleEcuAndDidAreNotFound) {
  Outcome v = Run(Request("ReadDTC", {}, "00000000-0000-4000-8000-000000000000"));
  EXPECT_EQ(v.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(v.status.error_message().find("00000000-0000-4000-8000-000000000000"),
            std::string::npos);
  Outcome e = Run("ReadDTC", {{"ecuAddress", "0x99"}});
  EXPECT_EQ(e.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(e.status.error_message().find("engine (0x0010)"), std::string::npos)
      << "lists the ECUs: " << e.status.error_message();
  Outcome d = Run("ReadDataByID", {{"ecuAddress", "0x10"}, {"dataId", "boost_pressure"}});
  EXPECT_EQ(d.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(d.status.error_message().find("coolant_temperature"), std::string::npos);
  Outcome u = Run("ReadDataByID", {{"ecuAddress", "0x10"}, {"dataId", "0x4242"}});
  EXPECT_EQ(u.status.error_code(), grpc::StatusCode::OUT_OF_RANGE)
      << "the ECU answers requestOutOfRange: " << u.status.error_message();
}

TEST_F(SovdErrorsTest, AnEcuThatIsDownIsUnavailable) {
  sim_->Stop();
  Outcome out = Run("ReadDTC");
  EXPECT_EQ(out.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(out.status.error_message().find("gateway"), std::string::npos)
      << out.status.error_message();
  EXPECT_TRUE(out.chunks.empty());
  RestartSim();
  Outcome again = Run("ReadDTC");
  EXPECT_TRUE(again.status.ok()) << "back when the entity is: " << again.status.error_message();
  EXPECT_EQ(again.chunks.size(), 3u);
}

TEST_F(SovdErrorsTest, TimeoutsAreDeadlineExceeded) {
  ASSERT_EQ(Ctl("delay engine 0 30000"), "ok\n");  // pending for 30 s
  auto started = std::chrono::steady_clock::now();
  Outcome caller = Run("ReadDTC", {{"ecuAddress", "0x10"}, {"timeoutMs", "800"}});
  EXPECT_EQ(caller.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << caller.status.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  // The configured per-command timeout (ClearDTC: 1500 ms).
  Outcome configured = Run("ClearDTC", {{"ecuAddress", "0x10"}});
  EXPECT_EQ(configured.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The client's own gRPC deadline.
  Outcome deadline =
      Run(Request("ReadDTC", {{"ecuAddress", "0x10"}}), std::chrono::milliseconds(700));
  EXPECT_EQ(deadline.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_EQ(Ctl("delay engine 0 0"), "ok\n");
  EXPECT_TRUE(Run("ReadDTC", {{"ecuAddress", "0x10"}}).status.ok())
      << "the ECU's turn is free again";
}

TEST_F(SovdErrorsTest, ACancelledCallStopsTheEcuWork) {
  ASSERT_EQ(Ctl("delay brakes 1500"), "ok\n");
  grpc::ClientContext ctx;
  auto reader = stub_->ExecuteCommand(&ctx, Request("ReadDTC"));
  ::sovd::vehicle::CommandResponse first;
  ASSERT_TRUE(reader->Read(&first));  // the engine answered; brakes is working
  EXPECT_EQ(nlohmann::json::parse(first.response_payload())["ecu"], "engine");
  ctx.TryCancel();
  ::sovd::vehicle::CommandResponse more;
  while (reader->Read(&more)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  std::string body = Ctl("stats body");
  EXPECT_EQ(body.find("\"0x19\""), std::string::npos)
      << "the body ECU was never asked after the cancel: " << body;
}

TEST_F(SovdErrorsTest, KillingTheSimulatorMidStreamEndsItUnavailable) {
  ASSERT_EQ(Ctl("delay brakes 3000"), "ok\n");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto reader = stub_->ExecuteCommand(&ctx, Request("ReadDTC"));
  ::sovd::vehicle::CommandResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_FALSE(first.is_final());
  sim_->Kill9();
  ::sovd::vehicle::CommandResponse more;
  int extra = 0;
  while (reader->Read(&more)) ++extra;
  grpc::Status status = reader->Finish();
  EXPECT_EQ(extra, 0);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("closed the connection"), std::string::npos)
      << status.error_message();
  RestartSim();
  Outcome next = Run("ReadDTC");
  EXPECT_TRUE(next.status.ok()) << next.status.error_message();
  ASSERT_EQ(next.chunks.size(), 3u);
  EXPECT_TRUE(next.chunks.back().is_final());
}

TEST_F(SovdErrorsTest, EveryCommandIsAudited) {
  Run("ReadDTC", {{"ecuAddress", "0x10"}});
  Run("ReadDTC", {{"ecuAddress", "0x99"}});
  std::string audit = ReadFile(dir_.path() + "/sovd/audit.log");
  std::vector<nlohmann::json> lines;
  std::istringstream in(audit);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << audit;
  EXPECT_EQ(lines[0]["command"], "ReadDTC");
  EXPECT_EQ(lines[0]["vehicle_id"], kVehicle);
  EXPECT_EQ(lines[0]["result"], "OK");
  EXPECT_EQ(lines[0]["chunks"], 1);
  EXPECT_EQ(lines[0]["ecu"], "0x10");
  EXPECT_NE(lines[0]["caller"].get<std::string>().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(lines[1]["result"], "NOT_FOUND");
}

}  // namespace
}  // namespace pharos::e2e
