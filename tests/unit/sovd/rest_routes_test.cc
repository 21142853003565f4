// The SOVD REST view's routing and shapes, without sockets: which request
// becomes which command, what is answered from the configuration alone,
// and the HTTP statuses of refusals.
#include "sovd/rest/rest_routes.h"

#include <gtest/gtest.h>

namespace pharos::sovd::rest {
namespace {

class RestRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = ecu::LoadEcuDescription(PHAROS_EXAMPLES_DIR "/sovd/ecus/engine.yaml");
    ASSERT_TRUE(engine.ok()) << engine.status();
    vehicle_.id = "123e4567-e89b-12d3-a456-426614174000";
    vehicle_.ecus.push_back({*engine, 0, false});
  }
  absl::StatusOr<Route> Ask(const std::string& method, const std::string& target,
                            const std::string& body = "") {
    return RouteRequest(vehicle_, {method, target, body});
  }
  core::VehicleSpec vehicle_;
};

TEST_F(RestRoutesTest, ListingsComeFromTheConfiguration) {
  auto components = Ask("GET", "/sovd/v1/components");
  ASSERT_TRUE(components.ok());
  const nlohmann::json& body = std::get<Listing>(*components).response.body;
  ASSERT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["items"][0]["id"], "engine");
  auto data = Ask("GET", "/sovd/v1/components/engine/data");
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(std::get<Listing>(*data).response.body["items"].size(), 6u);
  auto ops = Ask("GET", "/sovd/v1/components/0x0010/operations");
  ASSERT_TRUE(ops.ok()) << "an ECU by its logical address";
  EXPECT_EQ(std::get<Listing>(*ops).response.body["items"][1]["routineId"], "0xFF01");
}

TEST_F(RestRoutesTest, ResourcesBecomeCommands) {
  auto faults = Ask("GET", "/sovd/v1/components/engine/faults?mask=0x09");
  ASSERT_TRUE(faults.ok());
  const CommandRoute& run = std::get<CommandRoute>(*faults);
  EXPECT_EQ(run.command.kind, core::CommandKind::kReadDtc);
  EXPECT_EQ(run.command.ecu, 0x0010);
  EXPECT_EQ(std::get<core::ReadDtcArgs>(run.command.args).status_mask, 0x09);
  EXPECT_EQ(
      std::get<CommandRoute>(*Ask("DELETE", "/sovd/v1/components/engine/faults")).command.kind,
      core::CommandKind::kClearDtc);
  auto write =
      Ask("PUT", "/sovd/v1/components/engine/data/idle%5Fspeed%5Ftarget", R"({"data": 800})");
  ASSERT_TRUE(write.ok()) << write.status();
  const auto& args = std::get<core::WriteDataArgs>(std::get<CommandRoute>(*write).command.args);
  EXPECT_EQ(args.did.name, "idle_speed_target") << "%-escapes decoded";
  EXPECT_EQ(args.value, "800");
  auto start = Ask("POST", "/sovd/v1/components/engine/operations/0xFF01/executions",
                   R"({"parameters": {"option": "0A"}})");
  ASSERT_TRUE(start.ok()) << start.status();
  const auto& routine = std::get<core::RoutineArgs>(std::get<CommandRoute>(*start).command.args);
  EXPECT_EQ(routine.routine.id, 0xFF01);
  EXPECT_EQ(routine.option, (std::vector<uint8_t>{0x0A}));
}

TEST_F(RestRoutesTest, RefusalsHaveTheirHttpStatus) {
  auto status_of = [&](const std::string& method, const std::string& target,
                       const std::string& body = "") {
    auto r = Ask(method, target, body);
    return r.ok() ? 200 : HttpStatusOf(r.status().code());
  };
  EXPECT_EQ(status_of("GET", "/other"), 404);
  EXPECT_EQ(status_of("GET", "/sovd/v1/components/gearbox"), 404);
  EXPECT_EQ(status_of("GET", "/sovd/v1/components/engine/nothing"), 404);
  EXPECT_EQ(status_of("POST", "/sovd/v1/components/engine/faults"), 405);
  EXPECT_EQ(status_of("GET", "/sovd/v1/components/engine/faults?mask=0x100"), 400);
  EXPECT_EQ(status_of("PUT", "/sovd/v1/components/engine/data/vin", "{}"), 400);
  EXPECT_EQ(status_of("PUT", "/sovd/v1/components/engine/data/vin", "not json"), 400);
  RestResponse error = ErrorResponse(absl::UnavailableError("ECU gone"));
  EXPECT_EQ(error.status, 503);
  EXPECT_EQ(error.body["error_code"], "UNAVAILABLE");
  EXPECT_EQ(error.body["message"], "ECU gone");
}

TEST_F(RestRoutesTest, FaultsInSovdShape) {
  core::DtcReport report{0xFF, 0xFF, {{0x010100, 0x09, "Mass air flow"}}};
  RestResponse r = Render(Shape::kFaults, core::EcuResult{"engine", 0x10, report});
  ASSERT_EQ(r.status, 200);
  const nlohmann::json& fault = r.body["items"][0];
  EXPECT_EQ(fault["display_code"], "P0101");
  EXPECT_EQ(fault["code"], "0x010100");
  EXPECT_EQ(fault["fault_name"], "Mass air flow");
  EXPECT_EQ(fault["status"]["testFailed"], true);
  EXPECT_EQ(fault["status"]["confirmedDTC"], true);
  EXPECT_FALSE(fault["status"].contains("pendingDTC"));
}

}  // namespace
}  // namespace pharos::sovd::rest
