// The seed's request rules (UUIDs, command names, parameters per command,
// JSON-encoded values) and the chunker of large answers.
#include "sovd/grpc/conversions.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pharos::sovd::grpc_api {
namespace {

::sovd::vehicle::CommandRequest Request(const std::string& name,
                                        std::map<std::string, std::string> params = {}) {
  ::sovd::vehicle::CommandRequest r;
  r.set_command_id("550e8400-e29b-41d4-a716-446655440000");
  r.set_vehicle_id("123e4567-e89b-12d3-a456-426614174000");
  r.set_command_name(name);
  for (auto& [k, v] : params) (*r.mutable_command_params())[k] = v;
  return r;
}

std::string Refusal(const ::sovd::vehicle::CommandRequest& r) {
  auto c = CommandFromRequest(r);
  EXPECT_FALSE(c.ok());
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(SovdConversions, TheSeedsExampleRequest) {
  auto c = CommandFromRequest(Request("ReadDTC", {{"ecuAddress", "0x10"}, {"dtcMask", "0xFF"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, core::CommandKind::kReadDtc);
  EXPECT_EQ(c->ecu, 0x10);
  EXPECT_EQ(std::get<core::ReadDtcArgs>(c->args).status_mask, 0xFF);
}

TEST(SovdConversions, UuidsAreChecked) {
  auto r = Request("ReadDTC");
  r.set_command_id("550E8400-E29B-41D4-A716-446655440000");
  EXPECT_NE(Refusal(r).find("command_id"), std::string::npos) << "upper case is refused";
  r = Request("ReadDTC");
  r.set_vehicle_id("123e4567e89b12d3a456426614174000");
  EXPECT_NE(Refusal(r).find("vehicle_id"), std::string::npos);
  r = Request("ReadDTC");
  r.set_command_id("");
  EXPECT_NE(Refusal(r).find("command_id"), std::string::npos);
}

TEST(SovdConversions, UnknownCommandsListTheKnownOnes) {
  std::string m = Refusal(Request("FlashEcu"));
  EXPECT_NE(m.find("command_name"), std::string::npos);
  EXPECT_NE(m.find("ReadDTC, ClearDTC, ReadDataByID"), std::string::npos) << m;
}

TEST(SovdConversions, ParametersAreCheckedPerCommand) {
  std::string m = Refusal(Request("ReadDTC", {{"dataId", "0xF190"}}));
  EXPECT_NE(m.find("command_params.dataId"), std::string::npos) << m;
  EXPECT_NE(m.find("dtcMask"), std::string::npos) << "names what it takes: " << m;
  EXPECT_NE(Refusal(Request("ReadDTC", {{"dtcMask", "0x100"}})).find("dtcMask"), std::string::npos);
  EXPECT_NE(Refusal(Request("ReadDTC", {{"ecuAddress", "engine"}})).find("ecuAddress"),
            std::string::npos);
  EXPECT_NE(Refusal(Request("ReadDataByID")).find("dataId"), std::string::npos);
  EXPECT_NE(Refusal(Request("DiagnosticSession", {{"session", "turbo"}})).find("session"),
            std::string::npos);
  EXPECT_NE(Refusal(Request("SecurityAccess", {{"level", "2"}})).find("odd"), std::string::npos);
  EXPECT_NE(Refusal(Request("WriteDataByID", {{"dataId", "0xF1A0"}})).find("value"),
            std::string::npos);
  EXPECT_NE(
      Refusal(Request("RoutineControl", {{"routineId", "1"}, {"action", "pause"}})).find("action"),
      std::string::npos);
  EXPECT_NE(Refusal(Request("ReadDTC", {{"timeoutMs", "0"}})).find("timeoutMs"), std::string::npos);
}

TEST(SovdConversions, JsonEncodedValuesAreDecoded) {
  auto c = CommandFromRequest(
      Request("ReadDataByID", {{"dataId", R"(["0xF190", "coolant_temperature", 265])"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  const auto& dids = std::get<core::ReadDataArgs>(c->args).dids;
  ASSERT_EQ(dids.size(), 3u);
  EXPECT_EQ(dids[0].id, 0xF190);
  EXPECT_EQ(dids[1].name, "coolant_temperature");
  EXPECT_EQ(dids[2].id, 265);
  auto w = CommandFromRequest(
      Request("WriteDataByID",
              {{"ecuAddress", "16"}, {"dataId", "\"idle_speed_target\""}, {"value", "800"}}));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->ecu, 16);
  EXPECT_EQ(std::get<core::WriteDataArgs>(w->args).value, "800");
  EXPECT_EQ(std::get<core::WriteDataArgs>(w->args).did.name, "idle_speed_target");
  auto t = CommandFromRequest(Request("ReadDTC", {{"timeoutMs", "1500"}}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->timeout, std::chrono::milliseconds(1500));
}

core::EcuResult ManyDtcs(int n) {
  core::DtcReport report;
  for (int i = 0; i < n; ++i) {
    report.dtcs.push_back({static_cast<uint32_t>(0x010000 + (i << 8)), 0x09, "a description"});
  }
  return core::EcuResult{"engine", 0x0010, report};
}

TEST(SovdConversions, SmallAnswersAreOneChunk) {
  auto payloads = Payloads(ManyDtcs(2), 1'000'000);
  ASSERT_EQ(payloads.size(), 1u);
  auto j = nlohmann::json::parse(payloads[0]);
  EXPECT_EQ(j["ecu"], "engine");
  EXPECT_EQ(j["ecuAddress"], "0x0010");
  EXPECT_EQ(j["dtcs"].size(), 2u);
  EXPECT_EQ(j["dtcs"][0]["code"], "P0100");
  EXPECT_EQ(j["dtcs"][0]["status"], "active");
  EXPECT_FALSE(j.contains("part"));
}

TEST(SovdConversions, LargeAnswersSplitBelowTheLimitAndLoseNothing) {
  core::EcuResult big = ManyDtcs(500);
  for (size_t limit : {512u, 2000u, 20000u}) {
    auto payloads = Payloads(big, limit);
    ASSERT_GT(payloads.size(), 1u) << limit;
    size_t total = 0;
    for (size_t i = 0; i < payloads.size(); ++i) {
      EXPECT_LE(payloads[i].size(), limit);
      auto j = nlohmann::json::parse(payloads[i]);
      EXPECT_EQ(j["part"], i + 1);
      EXPECT_EQ(j["parts"], payloads.size());
      EXPECT_EQ(j["ecu"], "engine");
      total += j["dtcs"].size();
    }
    EXPECT_EQ(total, 500u);
  }
}

TEST(SovdConversions, TimestampsAreTheSeedsFormat) {
  using namespace std::chrono;
  system_clock::time_point t =
      sys_days{year{2025} / 10 / 31} + hours(14) + minutes(30) + microseconds(123456);
  EXPECT_EQ(SeedTimestamp(t), "2025-10-31T14:30:00.123456");
}

}  // namespace
}  // namespace pharos::sovd::grpc_api
