// sdv.databroker.v1 against the real pharos-broker, the API of Velocitas
// apps on older SDKs: a feeder registers and streams datapoints, an app
// subscribes with a WHERE query and receives only what matches, and an
// actuation made over kuksa.val.v2 reaches the provider — the three APIs on
// one core.
#include <gtest/gtest.h>

#include <thread>

#include "e2e/broker/broker_client.h"
#include "sdv/databroker/v1/broker.grpc.pb.h"
#include "sdv/databroker/v1/collector.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace sdv = ::sdv::databroker::v1;
using grpc::StatusCode;
using namespace std::chrono_literals;

class SdvDatabrokerV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.Start());
    broker_stub_ = sdv::Broker::NewStub(broker_.Channel());
    collector_ = sdv::Collector::NewStub(broker_.Channel());
  }
  BrokerUnderTest broker_;
  std::unique_ptr<sdv::Broker::Stub> broker_stub_;
  std::unique_ptr<sdv::Collector::Stub> collector_;
};

TEST_F(SdvDatabrokerV1Test, AVelocitasAppGetsOnlyTheUpdatesItsQueryAsksFor) {
  // The feeder: register (a known VSS name answers its id) and stream.
  sdv::RegisterDatapointsRequest reg;
  sdv::RegistrationMetadata* speed = reg.add_list();
  speed->set_name("Vehicle.Speed");
  speed->set_data_type(sdv::FLOAT);
  sdv::RegistrationMetadata* custom = reg.add_list();
  custom->set_name("Vehicle.Private.Boost");
  custom->set_data_type(sdv::BOOL);
  custom->set_description("a signal no catalog has");
  sdv::RegisterDatapointsReply ids;
  ASSERT_TRUE(collector_->RegisterDatapoints(Call().get(), reg, &ids).ok());
  int32_t speed_id = ids.results().at("Vehicle.Speed");
  ASSERT_NE(ids.results().at("Vehicle.Private.Boost"), 0);
  speed->set_data_type(sdv::INT32);  // a known name with another type is refused
  sdv::RegisterDatapointsReply refused;
  EXPECT_EQ(collector_->RegisterDatapoints(Call().get(), reg, &refused).error_code(),
            StatusCode::INVALID_ARGUMENT);

  // The app: fast enough to care.
  sdv::SubscribeRequest query;
  query.set_query("SELECT Vehicle.Speed WHERE Vehicle.Speed > 50");
  auto actx = Call("", 10);
  auto app = broker_stub_->Subscribe(actx.get(), query);

  auto fctx = Call("", 10);
  auto feeder = collector_->StreamDatapoints(fctx.get());
  // A first matching value: the app sees it as its current value or as a
  // change, and either way its subscription is in place afterwards.
  sdv::StreamDatapointsRequest first;
  (*first.mutable_datapoints())[speed_id].set_float_value(55.0f);
  ASSERT_TRUE(feeder->Write(first));
  sdv::SubscribeReply reply;
  ASSERT_TRUE(app->Read(&reply));
  EXPECT_EQ(reply.fields().at("Vehicle.Speed").float_value(), 55.0f);
  for (float v : {20.0f, 40.0f, 60.0f, 45.0f, 80.0f}) {
    sdv::StreamDatapointsRequest req;
    (*req.mutable_datapoints())[speed_id].set_float_value(v);
    ASSERT_TRUE(feeder->Write(req));
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(app->Read(&reply));
  EXPECT_EQ(reply.fields().at("Vehicle.Speed").float_value(), 60.0f);
  ASSERT_TRUE(app->Read(&reply));
  EXPECT_EQ(reply.fields().at("Vehicle.Speed").float_value(), 80.0f);  // 45 did not match

  // A refused datapoint is answered on the stream, by id.
  sdv::StreamDatapointsRequest wrong;
  (*wrong.mutable_datapoints())[speed_id].set_string_value("fast");
  (*wrong.mutable_datapoints())[987654].set_float_value(1);
  ASSERT_TRUE(feeder->Write(wrong));
  sdv::StreamDatapointsReply errors;
  ASSERT_TRUE(feeder->Read(&errors));
  EXPECT_EQ(errors.errors().at(speed_id), sdv::INVALID_TYPE);
  EXPECT_EQ(errors.errors().at(987654), sdv::UNKNOWN_DATAPOINT);
  feeder->WritesDone();
  EXPECT_TRUE(feeder->Finish().ok());
  actx->TryCancel();

  // The same values through the other APIs: one core.
  auto v2 = broker_.V2();
  v2::GetValueRequest get;
  *get.mutable_signal_id() = ByPath("Vehicle.Speed");
  v2::GetValueResponse value;
  ASSERT_TRUE(v2->GetValue(Call().get(), get, &value).ok());
  EXPECT_EQ(value.data_point().value().float_(), 80.0f);
}

TEST_F(SdvDatabrokerV1Test, GetSetMetadataAndQueryErrors) {
  sdv::SetDatapointsRequest set;
  (*set.mutable_datapoints())["Vehicle.Cabin.Infotainment.Media.Volume"].set_uint32_value(101);
  (*set.mutable_datapoints())["Vehicle.Speed"].set_float_value(12);
  sdv::SetDatapointsReply set_reply;
  ASSERT_TRUE(broker_stub_->SetDatapoints(Call().get(), set, &set_reply).ok());
  ASSERT_EQ(set_reply.errors_size(), 1);
  EXPECT_EQ(set_reply.errors().at("Vehicle.Cabin.Infotainment.Media.Volume"), sdv::OUT_OF_BOUNDS);

  sdv::GetDatapointsRequest get;
  get.add_datapoints("Vehicle.Speed");
  get.add_datapoints("Vehicle.Powertrain.Transmission.CurrentGear");
  get.add_datapoints("Vehicle.Nope");
  sdv::GetDatapointsReply got;
  ASSERT_TRUE(broker_stub_->GetDatapoints(Call().get(), get, &got).ok());
  EXPECT_EQ(got.datapoints().at("Vehicle.Speed").float_value(), 12.0f);
  EXPECT_EQ(got.datapoints().at("Vehicle.Powertrain.Transmission.CurrentGear").failure_value(),
            sdv::Datapoint::NOT_AVAILABLE);
  EXPECT_EQ(got.datapoints().at("Vehicle.Nope").failure_value(), sdv::Datapoint::UNKNOWN_DATAPOINT);

  sdv::GetMetadataRequest meta;
  meta.add_names("Vehicle.Cabin.Infotainment.Media.Volume");
  meta.add_names("Vehicle.Nope");
  sdv::GetMetadataReply list;
  ASSERT_TRUE(broker_stub_->GetMetadata(Call().get(), meta, &list).ok());
  ASSERT_EQ(list.list_size(), 1);
  EXPECT_EQ(list.list(0).data_type(), sdv::UINT8);
  EXPECT_EQ(list.list(0).entry_type(), sdv::ENTRY_TYPE_ACTUATOR);
  EXPECT_EQ(list.list(0).max().uint32(), 100u);
  sdv::GetMetadataReply all;
  ASSERT_TRUE(broker_stub_->GetMetadata(Call().get(), {}, &all).ok());
  EXPECT_EQ(all.list_size(), 910);

  for (const std::string bad : {"SELECT", "SELECT Vehicle.Nope", "DELETE Vehicle.Speed"}) {
    sdv::SubscribeRequest q;
    q.set_query(bad);
    auto ctx = Call();
    auto reader = broker_stub_->Subscribe(ctx.get(), q);
    sdv::SubscribeReply r;
    EXPECT_FALSE(reader->Read(&r));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_FALSE(s.error_message().empty());
  }
}

TEST_F(SdvDatabrokerV1Test, AnActuationOverV2ReachesTheProviderAndV1AppsSeeItsNewValue) {
  auto v2 = broker_.V2();
  constexpr char kVolume[] = "Vehicle.Cabin.Infotainment.Media.Volume";
  auto pctx = Call("", 10);
  auto provider = v2->OpenProviderStream(pctx.get());
  v2::OpenProviderStreamRequest claim;
  *claim.mutable_provide_actuation_request()->add_actuator_identifiers() = ByPath(kVolume);
  ASSERT_TRUE(provider->Write(claim));
  v2::OpenProviderStreamResponse answer;
  ASSERT_TRUE(provider->Read(&answer));
  std::thread serve([&] {
    v2::OpenProviderStreamResponse msg;
    while (provider->Read(&msg)) {
      if (!msg.has_batch_actuate_stream_request()) continue;
      const auto& r = msg.batch_actuate_stream_request().actuate_requests(0);
      // The provider applies it (publishes the new current value) and acknowledges.
      v2::OpenProviderStreamRequest publish;
      (*publish.mutable_publish_values_request()->mutable_data_points())[r.signal_id().id()]
          .mutable_value()
          ->set_uint32(r.value().uint32());
      ASSERT_TRUE(provider->Write(publish));
      v2::OpenProviderStreamRequest ack;
      *ack.mutable_batch_actuate_stream_response()->mutable_signal_id() = r.signal_id();
      ASSERT_TRUE(provider->Write(ack));
    }
  });
  v2::ActuateRequest actuate;
  *actuate.mutable_signal_id() = ByPath(kVolume);
  actuate.mutable_value()->set_uint32(33);
  v2::ActuateResponse done;
  EXPECT_TRUE(v2->Actuate(Call().get(), actuate, &done).ok());
  // The provider published before it acknowledged: a v1 app reads the new value.
  sdv::GetDatapointsRequest get;
  get.add_datapoints(kVolume);
  sdv::GetDatapointsReply got;
  ASSERT_TRUE(broker_stub_->GetDatapoints(Call().get(), get, &got).ok());
  EXPECT_EQ(got.datapoints().at(kVolume).uint32_value(), 33u);
  provider->WritesDone();
  serve.join();
  EXPECT_TRUE(provider->Finish().ok());
}

}  // namespace
}  // namespace pharos::e2e
