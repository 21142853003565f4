// VSS fields in a feed: pharosd reads them from a real pharos-broker over
// kuksa.val.v2 (a path, and a glob expanded with ListMetadata) and they
// arrive at the cloud with the values a provider published.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "e2e/broker/broker_client.h"
#include "e2e/cloud/cloud_receiver.h"
#include "e2e/daemon_process.h"
#include "e2e/mosquitto.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"

namespace pharos::e2e {
namespace {

using namespace std::chrono_literals;
namespace api = ::pharos::api::v1;

TEST(CloudVssTest, SignalsFromPharosBrokerArriveWithTheirValues) {
  BrokerUnderTest broker;
  ASSERT_TRUE(broker.Start());
  auto val = broker.V2();
  for (auto [path, value] : {std::pair{"Vehicle.Speed", Float(42.5f)},
                             std::pair{"Vehicle.Cabin.Infotainment.Media.Volume", Uint32(17)}}) {
    v2::PublishValueRequest req;
    *req.mutable_signal_id() = ByPath(path);
    *req.mutable_data_point()->mutable_value() = value;
    v2::PublishValueResponse resp;
    grpc::Status s = val->PublishValue(Call().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << path << ": " << s.error_message();
  }
  Mosquitto mqtt;
  ASSERT_TRUE(mqtt.started());
  TempDir dir;
  DaemonProcess pharosd(dir.path(), {"--dataplane=plan", "--callback-endpoint=none",
                                     "--cloud-signal-broker", broker.process().address()});
  ASSERT_TRUE(pharosd.Start()) << pharosd.Log();
  auto stub = api::PharosService::NewStub(
      grpc::CreateChannel(pharosd.address(), grpc::InsecureChannelCredentials()));
  CloudReceiver cloud(mqtt, "", "", "fleet/#");
  api::ConfigureCloudFeedingRequest req;
  req.set_enabled(true);
  req.set_interval_seconds(1);
  for (const char* f : {"Vehicle.Speed", "Vehicle.Cabin.Infotainment.Media.*"}) {
    req.add_data_fields(f);
  }
  req.set_target_endpoint(mqtt.url() + "/fleet/car");
  api::ConfigureCloudFeedingResponse resp;
  grpc::Status s = stub->ConfigureCloudFeeding(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(cloud.WaitFor([](const std::vector<ReceivedBatch>& b) { return !b.empty(); }, 8000ms))
      << cloud.Raw() << pharosd.Log();
  ReceivedBatch first = cloud.Batches()[0];
  EXPECT_EQ(first.topic, "fleet/car/telemetry");
  nlohmann::json values = first.body["items"][0]["data"]["values"];
  EXPECT_DOUBLE_EQ(values["Vehicle.Speed"].get<double>(), 42.5) << values.dump();
  EXPECT_EQ(values["Vehicle.Cabin.Infotainment.Media.Volume"], 17) << values.dump();
  // The glob brought the branch's other signals too (no value yet: null).
  EXPECT_GT(values.size(), 2u) << values.dump();
}

}  // namespace
}  // namespace pharos::e2e
