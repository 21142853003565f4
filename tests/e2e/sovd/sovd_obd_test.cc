// OBD via pharos-broker: an ECU whose DIDs are VSS signals (Vehicle.OBD.*),
// answered by pharos-sovd from the real pharos-broker over kuksa.val.v2,
// next to the DoIP ECUs of the same vehicle.
#include <nlohmann/json.hpp>

#include "e2e/sovd/sovd_fixture.h"

namespace pharos::e2e {
namespace {

using nlohmann::json;

class SovdObdTest : public SovdTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() + "/broker");
    broker_ = std::make_unique<DaemonProcess>(dir_.path() + "/broker",
                                              std::vector<std::string>{"--disable-authorization"},
                                              PharosBroker());
    ASSERT_TRUE(broker_->Start());
    StartSim({Ecu("engine")});
    StartSovdWithObd();
  }
  // The sovd.yaml of the fixture plus the vehicle's OBD branch.
  void StartSovdWithObd() {
    std::vector<std::string> args;
    std::filesystem::create_directories(dir_.path() + "/sovd");
    std::string path = dir_.path() + "/sovd/sovd.yaml";
    std::ofstream(path) << "vehicles:\n  - id: " << kVehicle
                        << "\n    entities:\n      - name: gateway\n        host: 127.0.0.1\n"
                           "        port: "
                        << sim_port_ << "\n        ecus: [" << Ecu("engine")
                        << "]\n    obd:\n      broker: " << broker_->address() << "\n      ecus: ["
                        << Ecu("obd") << "]\n";
    args.insert(args.begin(), {"--config", path});
    sovd_ = std::make_unique<DaemonProcess>(dir_.path() + "/sovd", args, PharosSovd());
    ASSERT_TRUE(sovd_->Start());
    stub_ = ::sovd::vehicle::VehicleService::NewStub(
        grpc::CreateChannel(sovd_->address(), grpc::InsecureChannelCredentials()));
  }
  void Publish(const std::string& path, const std::string& value) {
    std::string out;
    ASSERT_EQ(RunCommand(std::string(PHAROSCTL_BINARY) + " signal --broker " + broker_->address() +
                             " set " + path + " " + value,
                         &out),
              0)
        << out;
  }
  std::unique_ptr<DaemonProcess> broker_;
};

TEST_F(SovdObdTest, ObdDataComesFromTheBroker) {
  Publish("Vehicle.OBD.EngineSpeed", "2150");
  Publish("Vehicle.OBD.CoolantTemperature", "88");
  Outcome out =
      Run("ReadDataByID", {{"ecuAddress", "0x7DF"}, {"dataId", R"(["engine_speed", "0xF405"])"}});
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  ASSERT_EQ(out.chunks.size(), 1u);
  json data = json::parse(out.chunks[0].response_payload())["data"];
  ASSERT_EQ(data.size(), 2u) << data.dump();
  EXPECT_EQ(data[0]["name"], "engine_speed");
  EXPECT_EQ(data[0]["value"], 2150);
  EXPECT_EQ(data[0]["raw"], "2198") << "2150 rpm / 0.25 = 0x2198, as the PID encodes it";
  EXPECT_EQ(data[1]["value"], 88);
  EXPECT_EQ(data[1]["unit"], "degC");

  // Without an ECU: every ECU that declares the DID; the broker's too.
  Publish("Vehicle.OBD.EngineSpeed", "900");
  Outcome again = Run("ReadDataByID", {{"dataId", "engine_speed"}});
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  ASSERT_EQ(again.chunks.size(), 2u) << "the engine over DoIP, then OBD from the broker";
  EXPECT_EQ(json::parse(again.chunks[0].response_payload())["ecu"], "engine");
  EXPECT_EQ(json::parse(again.chunks[1].response_payload())["data"][0]["value"], 900);

  // ReadDTC across the vehicle does not ask the broker-backed ECU.
  Outcome dtcs = Run("ReadDTC");
  ASSERT_TRUE(dtcs.status.ok()) << dtcs.status.error_message();
  EXPECT_EQ(dtcs.chunks.size(), 1u);
  Outcome unsupported = Run("ClearDTC", {{"ecuAddress", "0x7DF"}});
  EXPECT_EQ(unsupported.status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
      << unsupported.status.error_message();
}

TEST_F(SovdObdTest, AMissingValueOrBrokerIsUnavailable) {
  Outcome none = Run("ReadDataByID", {{"ecuAddress", "0x7DF"}, {"dataId", "fuel_level"}});
  EXPECT_EQ(none.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(none.status.error_message().find("Vehicle.OBD.FuelLevel"), std::string::npos)
      << none.status.error_message();
  broker_->Stop();
  Outcome down = Run("ReadDataByID", {{"ecuAddress", "0x7DF"}, {"dataId", "engine_speed"}});
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(down.status.error_message().find("pharos-broker"), std::string::npos);
}

}  // namespace
}  // namespace pharos::e2e
