// kuksa.val.v2 against the real pharos-broker, through stubs generated from
// KUKSA's own protos: every RPC, the status codes the proto comments give,
// providers and actuation, tokens, and a kill -9.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "e2e/broker/broker_client.h"
#include "e2e/generic_calls.h"

namespace pharos::e2e {
namespace {

using namespace std::chrono_literals;
using grpc::StatusCode;

constexpr char kVolume[] = "Vehicle.Cabin.Infotainment.Media.Volume";    // uint8 actuator 0..100
constexpr char kWiping[] = "Vehicle.Body.Windshield.Front.Wiping.Mode";  // string actuator
constexpr char kSpeed[] = "Vehicle.Speed";                               // float sensor
constexpr char kVin[] = "Vehicle.VehicleIdentification.VIN";             // string attribute

class KuksaValV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.Start());
    stub_ = broker_.V2();
  }
  grpc::Status Publish(const std::string& path, const v2::Value& value) {
    v2::PublishValueRequest req;
    *req.mutable_signal_id() = ByPath(path);
    *req.mutable_data_point()->mutable_value() = value;
    v2::PublishValueResponse resp;
    return stub_->PublishValue(Call().get(), req, &resp);
  }
  grpc::Status Get(const v2::SignalID& id, v2::Datapoint* out) {
    v2::GetValueRequest req;
    *req.mutable_signal_id() = id;
    v2::GetValueResponse resp;
    grpc::Status s = stub_->GetValue(Call().get(), req, &resp);
    *out = resp.data_point();
    return s;
  }
  int32_t IdOf(const std::string& path) {
    v2::ListMetadataRequest req;
    req.set_root(path);
    v2::ListMetadataResponse resp;
    EXPECT_TRUE(stub_->ListMetadata(Call().get(), req, &resp).ok());
    return resp.metadata_size() == 1 ? resp.metadata(0).id() : -1;
  }

  BrokerUnderTest broker_;
  std::unique_ptr<v2::VAL::Stub> stub_;
};

TEST_F(KuksaValV2Test, ServerInfoHealthAndReflection) {
  v2::GetServerInfoResponse info;
  ASSERT_TRUE(stub_->GetServerInfo(Call().get(), {}, &info).ok());
  EXPECT_EQ(info.name(), "pharos-broker");
  EXPECT_FALSE(info.version().empty());
  grpc::GenericStub generic(broker_.Channel());
  GenericAnswer health =
      CallGeneric(generic, Call().get(), "/grpc.health.v1.Health/Check", "", false);
  EXPECT_TRUE(health.status.ok()) << health.status.error_message();
  std::vector<std::string> services = ReflectedServices(broker_.Channel());
  EXPECT_NE(std::find(services.begin(), services.end(), "kuksa.val.v2.VAL"), services.end());
}

TEST_F(KuksaValV2Test, GetAndPublishWithTheProtosStatusCodes) {
  v2::Datapoint dp;
  // Exists without a value: a Datapoint whose value is None.
  ASSERT_TRUE(Get(ByPath(kSpeed), &dp).ok());
  EXPECT_FALSE(dp.has_value());
  ASSERT_TRUE(Publish(kSpeed, Float(87.5f)).ok());
  ASSERT_TRUE(Get(ByPath(kSpeed), &dp).ok());
  EXPECT_EQ(dp.value().float_(), 87.5f);
  EXPECT_GT(dp.timestamp().seconds(), 1'700'000'000);
  ASSERT_TRUE(Get(ById(IdOf(kSpeed)), &dp).ok());
  EXPECT_EQ(dp.value().float_(), 87.5f);

  grpc::Status missing = Get(ByPath("Vehicle.NoSuchSignal"), &dp);
  EXPECT_EQ(missing.error_code(), StatusCode::NOT_FOUND);
  EXPECT_NE(missing.error_message().find("Vehicle.NoSuchSignal"), std::string::npos);
  EXPECT_EQ(Get(ByPath(std::string(1001, 'V')), &dp).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get(v2::SignalID(), &dp).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get(ById(12345), &dp).error_code(), StatusCode::NOT_FOUND);

  grpc::Status wrong_type = Publish(kSpeed, String("fast"));
  EXPECT_EQ(wrong_type.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(wrong_type.error_message(),
            "Vehicle.Speed is of type float; the value given is string");
  grpc::Status too_loud = Publish(kVolume, Uint32(101));
  EXPECT_EQ(too_loud.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(too_loud.error_message(), std::string(kVolume) + ": 101 is above the maximum 100");
  grpc::Status not_allowed = Publish(kWiping, String("TURBO"));
  EXPECT_EQ(not_allowed.error_code(), StatusCode::INVALID_ARGUMENT);

  // GetValues keeps the request's order and is all or nothing.
  v2::GetValuesRequest many;
  *many.add_signal_ids() = ByPath("Vehicle.Cabin.DoorCount");
  *many.add_signal_ids() = ByPath(kSpeed);
  v2::GetValuesResponse values;
  ASSERT_TRUE(stub_->GetValues(Call().get(), many, &values).ok());
  ASSERT_EQ(values.data_points_size(), 2);
  EXPECT_EQ(values.data_points(0).value().uint32(), 4u);  // the attribute's VSS default
  EXPECT_EQ(values.data_points(1).value().float_(), 87.5f);
  *many.add_signal_ids() = ByPath("Vehicle.Nope");
  EXPECT_EQ(stub_->GetValues(Call().get(), many, &values).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GetValues(Call().get(), {}, &values).error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(KuksaValV2Test, ListMetadataUnderABranchAndOfOneSignal) {
  v2::ListMetadataRequest req;
  req.set_root(kVolume);
  v2::ListMetadataResponse resp;
  ASSERT_TRUE(stub_->ListMetadata(Call().get(), req, &resp).ok());
  ASSERT_EQ(resp.metadata_size(), 1);
  const v2::Metadata& m = resp.metadata(0);
  EXPECT_EQ(m.path(), kVolume);
  EXPECT_EQ(m.data_type(), v2::DATA_TYPE_UINT8);
  EXPECT_EQ(m.entry_type(), v2::ENTRY_TYPE_ACTUATOR);
  EXPECT_EQ(m.min().uint32(), 0u);
  EXPECT_EQ(m.max().uint32(), 100u);
  EXPECT_EQ(m.unit(), "percent");

  req.set_root("Vehicle.Body.Windshield.Front.Wiping");
  ASSERT_TRUE(stub_->ListMetadata(Call().get(), req, &resp).ok());
  EXPECT_GT(resp.metadata_size(), 3);
  bool has_allowed = false;
  for (const auto& meta : resp.metadata()) {
    EXPECT_EQ(meta.path().rfind("Vehicle.Body.Windshield.Front.Wiping.", 0), 0u) << meta.path();
    if (meta.path() == kWiping)
      has_allowed = meta.allowed_values().string_array().values_size() == 6;
  }
  EXPECT_TRUE(has_allowed);
  req.set_root("Vehicle.*.DoorCount");
  ASSERT_TRUE(stub_->ListMetadata(Call().get(), req, &resp).ok());
  EXPECT_EQ(resp.metadata_size(), 1);
  req.set_root("Vehicle.Nowhere");
  EXPECT_EQ(stub_->ListMetadata(Call().get(), req, &resp).error_code(), StatusCode::NOT_FOUND);
  req.set_root("Vehicle..Speed");
  EXPECT_EQ(stub_->ListMetadata(Call().get(), req, &resp).error_code(),
            StatusCode::INVALID_ARGUMENT);
}

TEST_F(KuksaValV2Test, SubscribeAnswersCurrentValuesFirstThenChanges) {
  ASSERT_TRUE(Publish(kSpeed, Float(10.0f)).ok());
  v2::SubscribeRequest req;
  req.add_signal_paths(kSpeed);
  req.add_signal_paths("Vehicle.Powertrain.Transmission.CurrentGear");
  auto ctx = Call("", 10);
  auto reader = stub_->Subscribe(ctx.get(), req);
  v2::SubscribeResponse first;
  ASSERT_TRUE(reader->Read(&first));
  ASSERT_EQ(first.entries_size(), 2);
  EXPECT_EQ(first.entries().at(kSpeed).value().float_(), 10.0f);
  EXPECT_FALSE(first.entries().at("Vehicle.Powertrain.Transmission.CurrentGear").has_value());
  ASSERT_TRUE(Publish(kSpeed, Float(11.0f)).ok());
  ASSERT_TRUE(Publish(kVin, String("WVW00000000000001")).ok());  // not subscribed
  v2::SubscribeResponse next;
  ASSERT_TRUE(reader->Read(&next));
  ASSERT_EQ(next.entries_size(), 1);
  EXPECT_EQ(next.entries().at(kSpeed).value().float_(), 11.0f);
  ctx->TryCancel();

  // By id, with a duration: the stream ends by itself, OK.
  v2::SubscribeByIdRequest by_id;
  by_id.add_signal_ids(IdOf(kSpeed));
  by_id.mutable_filter()->set_duration_ms(300);
  auto ctx2 = Call("", 10);
  auto started = std::chrono::steady_clock::now();
  auto reader2 = stub_->SubscribeById(ctx2.get(), by_id);
  v2::SubscribeByIdResponse r2;
  ASSERT_TRUE(reader2->Read(&r2));
  EXPECT_EQ(r2.entries().at(IdOf(kSpeed)).value().float_(), 11.0f);
  while (reader2->Read(&r2)) {
  }
  EXPECT_TRUE(reader2->Finish().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);

  // The errors come before any message.
  v2::SubscribeRequest bad;
  bad.add_signal_paths("Vehicle.Nope");
  auto ctx3 = Call();
  auto r3 = stub_->Subscribe(ctx3.get(), bad);
  v2::SubscribeResponse ignored;
  EXPECT_FALSE(r3->Read(&ignored));
  EXPECT_EQ(r3->Finish().error_code(), StatusCode::NOT_FOUND);
  bad.Clear();
  bad.add_signal_paths(kSpeed);
  bad.set_buffer_size(1001);
  auto ctx4 = Call();
  auto r4 = stub_->Subscribe(ctx4.get(), bad);
  EXPECT_FALSE(r4->Read(&ignored));
  EXPECT_EQ(r4->Finish().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(KuksaValV2Test, MinSampleIntervalThinsUpdates) {
  v2::SubscribeRequest req;
  req.add_signal_paths(kSpeed);
  req.mutable_filter()->mutable_min_sample_interval()->set_interval_ms(200);
  auto ctx = Call("", 10);
  auto reader = stub_->Subscribe(ctx.get(), req);
  v2::SubscribeResponse msg;
  ASSERT_TRUE(reader->Read(&msg));  // current value
  std::atomic<bool> done = false;
  std::thread feeder([&] {
    for (int i = 1; i <= 50 && !done; ++i) {
      Publish(kSpeed, Float(float(i)));
      std::this_thread::sleep_for(10ms);
    }
  });
  int updates = 0;
  float last = 0;
  auto until = std::chrono::steady_clock::now() + 700ms;
  while (std::chrono::steady_clock::now() < until && reader->Read(&msg)) {
    ++updates;
    last = msg.entries().at(kSpeed).value().float_();
    if (last == 50.0f) break;
  }
  done = true;
  feeder.join();
  ctx->TryCancel();
  // 50 changes over ~0.5 s at most one per 200 ms: a handful, never 50.
  EXPECT_GE(updates, 1);
  EXPECT_LE(updates, 5);
}

TEST_F(KuksaValV2Test, ActuationReachesTheProviderAndReturnsWhenItAccepts) {
  v2::ActuateRequest actuate;
  *actuate.mutable_signal_id() = ByPath(kVolume);
  *actuate.mutable_value() = Uint32(40);
  v2::ActuateResponse ok;
  grpc::Status no_provider = stub_->Actuate(Call().get(), actuate, &ok);
  EXPECT_EQ(no_provider.error_code(), StatusCode::UNAVAILABLE);

  ProviderStream provider(*stub_);
  v2::OpenProviderStreamResponse answer;
  ASSERT_TRUE(provider.ClaimActuator(kVolume, &answer));
  EXPECT_TRUE(answer.has_provide_actuation_response());
  ProviderStream rival(*stub_);
  v2::OpenProviderStreamResponse refused;
  EXPECT_FALSE(rival.ClaimActuator(kVolume, &refused));
  EXPECT_EQ(rival.Close().error_code(), StatusCode::ALREADY_EXISTS);

  // The provider acknowledges what it receives.
  int32_t volume_id = IdOf(kVolume);
  std::atomic<int> received = 0;
  std::thread serve([&] {
    v2::OpenProviderStreamResponse msg;
    while (provider.stream().Read(&msg)) {
      if (!msg.has_batch_actuate_stream_request()) continue;
      for (const auto& r : msg.batch_actuate_stream_request().actuate_requests()) {
        EXPECT_EQ(r.signal_id().id(), volume_id);
        EXPECT_EQ(r.value().uint32(), 40u);
        ++received;
        provider.Acknowledge(r.signal_id().id());
      }
    }
  });
  EXPECT_TRUE(stub_->Actuate(Call().get(), actuate, &ok).ok());
  EXPECT_EQ(received, 1);
  // Checked before anything is sent.
  *actuate.mutable_value() = Uint32(101);
  EXPECT_EQ(stub_->Actuate(Call().get(), actuate, &ok).error_code(), StatusCode::INVALID_ARGUMENT);
  *actuate.mutable_signal_id() = ByPath(kSpeed);
  *actuate.mutable_value() = Float(1);
  EXPECT_EQ(stub_->Actuate(Call().get(), actuate, &ok).error_code(), StatusCode::INVALID_ARGUMENT);

  // BatchActuate: one actuator without a provider, so none is actuated.
  v2::BatchActuateRequest batch;
  auto* a = batch.add_actuate_requests();
  *a->mutable_signal_id() = ByPath(kVolume);
  *a->mutable_value() = Uint32(10);
  auto* b = batch.add_actuate_requests();
  *b->mutable_signal_id() = ByPath(kWiping);
  *b->mutable_value() = String("FAST");
  v2::BatchActuateResponse batch_ok;
  EXPECT_EQ(stub_->BatchActuate(Call().get(), batch, &batch_ok).error_code(),
            StatusCode::UNAVAILABLE);
  EXPECT_EQ(received, 1);

  // ActuateStream: each request routed in turn.
  auto ctx = Call();
  v2::ActuateResponse stream_ok;
  auto writer = stub_->ActuateStream(ctx.get(), &stream_ok);
  for (uint32_t v : {40u, 40u}) {
    v2::ActuateRequest r;
    *r.mutable_signal_id() = ById(volume_id);
    *r.mutable_value() = Uint32(v);
    ASSERT_TRUE(writer->Write(r));
  }
  writer->WritesDone();
  EXPECT_TRUE(writer->Finish().ok());
  EXPECT_EQ(received, 3);

  provider.stream().WritesDone();
  serve.join();  // its reads end once the broker closes the stream
  EXPECT_TRUE(provider.Finish().ok());
  // Its claim went with it.
  *actuate.mutable_signal_id() = ByPath(kVolume);
  *actuate.mutable_value() = Uint32(40);
  EXPECT_EQ(stub_->Actuate(Call().get(), actuate, &ok).error_code(), StatusCode::UNAVAILABLE);
}

TEST_F(KuksaValV2Test, ProviderStreamPublishesAndReportsRefusalsPerSignal) {
  int32_t speed = IdOf(kSpeed);
  v2::SubscribeRequest sub;
  sub.add_signal_paths(kSpeed);
  auto sctx = Call("", 10);
  auto reader = stub_->Subscribe(sctx.get(), sub);
  v2::SubscribeResponse msg;
  ASSERT_TRUE(reader->Read(&msg));

  ProviderStream provider(*stub_);
  v2::OpenProviderStreamResponse answer;
  ASSERT_TRUE(provider.ClaimSignal(speed, &answer));
  EXPECT_TRUE(answer.has_provide_signal_response());
  ASSERT_TRUE(provider.PublishValue(1, speed, Float(55.0f)));
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.entries().at(kSpeed).value().float_(), 55.0f);
  // A wrong type is refused in the stream, naming the signal; the stream goes on.
  ASSERT_TRUE(provider.PublishValue(2, speed, String("x")));
  ASSERT_TRUE(provider.stream().Read(&answer));
  ASSERT_TRUE(answer.has_publish_values_response());
  EXPECT_EQ(answer.publish_values_response().request_id(), 2u);
  EXPECT_EQ(answer.publish_values_response().status().at(speed).code(),
            v2::ERROR_CODE_INVALID_ARGUMENT);
  ASSERT_TRUE(provider.PublishValue(3, speed, Float(56.0f)));
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.entries().at(kSpeed).value().float_(), 56.0f);
  // A signal it never claimed ends the stream with ABORTED.
  ASSERT_TRUE(provider.PublishValue(4, IdOf(kVolume), Uint32(1)));
  EXPECT_EQ(provider.Close().error_code(), StatusCode::ABORTED);
  sctx->TryCancel();
}

class KuksaTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MakeKeyPair(keys_.path(), "rsa", "rsa"));
    ASSERT_TRUE(MakeKeyPair(keys_.path(), "other", "rsa"));
  }
  std::string Key(const std::string& name) { return keys_.path() + "/" + name; }
  TempDir keys_;
};

TEST_F(KuksaTokensTest, KuksaTokensAreHonouredAndTheirScopesEnforced) {
  BrokerUnderTest broker({"--jwt-public-key", Key("rsa.pub")});
  ASSERT_TRUE(broker.Start());
  auto stub = broker.V2();
  v2::GetValueRequest get;
  *get.mutable_signal_id() = ByPath(kSpeed);
  v2::GetValueResponse got;
  auto code = [&](const std::string& token) {
    return stub->GetValue(Call(token).get(), get, &got).error_code();
  };
  EXPECT_EQ(code(""), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(code("not-a-jwt"), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(code(KuksaToken(Key("rsa.key"), "read", -10)), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(code(KuksaToken(Key("other.key"), "read")), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(code(KuksaToken(Key("rsa.key"), "read", 600, "someone.else")),
            StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(code(KuksaToken(Key("rsa.key"), "read")), StatusCode::OK);
  EXPECT_EQ(code(KuksaToken(Key("rsa.key"), "read:Vehicle.Speed")), StatusCode::OK);
  EXPECT_EQ(code(KuksaToken(Key("rsa.key"), "read:Vehicle.Cabin.*")),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(code(KuksaToken(Key("rsa.key"), "provide:Vehicle.Speed")), StatusCode::OK);

  v2::PublishValueRequest publish;
  *publish.mutable_signal_id() = ByPath(kSpeed);
  *publish.mutable_data_point()->mutable_value() = Float(3);
  v2::PublishValueResponse published;
  EXPECT_EQ(stub->PublishValue(Call(KuksaToken(Key("rsa.key"), "read")).get(), publish, &published)
                .error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub->PublishValue(Call(KuksaToken(Key("rsa.key"), "provide:Vehicle.Speed")).get(),
                                 publish, &published)
                  .ok());
  v2::ActuateRequest actuate;
  *actuate.mutable_signal_id() = ByPath(kVolume);
  *actuate.mutable_value() = Uint32(3);
  v2::ActuateResponse actuated;
  EXPECT_EQ(
      stub->Actuate(Call(KuksaToken(Key("rsa.key"), "read provide")).get(), actuate, &actuated)
          .error_code(),
      StatusCode::PERMISSION_DENIED);
  // Allowed, but nobody provides it.
  EXPECT_EQ(stub->Actuate(Call(KuksaToken(Key("rsa.key"), "actuate:Vehicle.Cabin.**")).get(),
                          actuate, &actuated)
                .error_code(),
            StatusCode::UNAVAILABLE);
}

TEST_F(KuksaTokensTest, EcdsaAndEd25519KeysWorkToo) {
  for (const std::string kind : {"ec256", "ec384", "ed25519"}) {
    ASSERT_TRUE(MakeKeyPair(keys_.path(), kind, kind));
    BrokerUnderTest broker({"--jwt-public-key", Key(kind + ".pub")});
    ASSERT_TRUE(broker.Start());
    auto stub = broker.V2();
    v2::GetServerInfoResponse info;
    EXPECT_TRUE(
        stub->GetServerInfo(Call(KuksaToken(Key(kind + ".key"), "read")).get(), {}, &info).ok())
        << kind;
    EXPECT_EQ(
        stub->GetServerInfo(Call(KuksaToken(Key("rsa.key"), "read")).get(), {}, &info).error_code(),
        StatusCode::UNAUTHENTICATED)
        << kind;
  }
}

TEST(BrokerRestartTest, AKill9KeepsPersistedValuesAndIds) {
  BrokerUnderTest broker({"--persist", "Vehicle.Speed"});
  ASSERT_TRUE(broker.Start());
  auto stub = broker.V2();
  auto publish = [&](const std::string& path, const v2::Value& v) {
    v2::PublishValueRequest req;
    *req.mutable_signal_id() = ByPath(path);
    *req.mutable_data_point()->mutable_value() = v;
    v2::PublishValueResponse resp;
    return stub->PublishValue(Call().get(), req, &resp);
  };
  ASSERT_TRUE(publish(kVin, String("WVWZZZ1JZXW000001")).ok());  // an attribute: persists
  ASSERT_TRUE(publish(kSpeed, Float(42)).ok());                  // --persist
  ASSERT_TRUE(publish("Vehicle.Powertrain.Transmission.CurrentGear",
                      [] {
                        v2::Value v;
                        v.set_int32(3);
                        return v;
                      }())
                  .ok());  // a sensor: does not
  v2::ListMetadataRequest list;
  list.set_root("Vehicle");
  v2::ListMetadataResponse before;
  ASSERT_TRUE(stub->ListMetadata(Call().get(), list, &before).ok());

  broker.process().Kill9();
  ASSERT_TRUE(broker.process().Start());
  stub = broker.V2();
  v2::ListMetadataResponse after;
  ASSERT_TRUE(stub->ListMetadata(Call().get(), list, &after).ok());
  ASSERT_EQ(before.metadata_size(), after.metadata_size());
  for (int i = 0; i < before.metadata_size(); ++i) {
    ASSERT_EQ(before.metadata(i).id(), after.metadata(i).id()) << before.metadata(i).path();
  }
  // A subscriber that reconnects gets the current values first.
  v2::SubscribeRequest sub;
  sub.add_signal_paths(kVin);
  sub.add_signal_paths(kSpeed);
  sub.add_signal_paths("Vehicle.Powertrain.Transmission.CurrentGear");
  auto ctx = Call();
  auto reader = stub->Subscribe(ctx.get(), sub);
  v2::SubscribeResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.entries().at(kVin).value().string(), "WVWZZZ1JZXW000001");
  EXPECT_EQ(first.entries().at(kSpeed).value().float_(), 42.0f);
  EXPECT_FALSE(first.entries().at("Vehicle.Powertrain.Transmission.CurrentGear").has_value());
  ctx->TryCancel();
}

TEST(BrokerCommandLineTest, RefusesUnsafeOrBrokenSetupsWithAClearError) {
  TempDir dir;
  std::string out;
  std::string broker = PHAROS_BROKER_BINARY;
  EXPECT_EQ(RunCommand(broker + " --address 0.0.0.0 --port 0", &out), 2);
  EXPECT_NE(out.find("without authorization"), std::string::npos) << out;
  std::ofstream(dir.path() + "/bad.json")
      << R"({"Vehicle": {"type": "branch", "children": {"X": {"type": "sensor"}}}})";
  EXPECT_EQ(RunCommand(broker + " --port 0 --vss " + dir.path() + "/bad.json", &out), 2);
  EXPECT_NE(out.find("bad.json: $.Vehicle.children.X.datatype: missing"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(broker + " --port 0 --vss " + dir.path() + "/none.json", &out), 2);
  EXPECT_NE(out.find("cannot read the VSS catalog"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(broker + " --port 0 --tls-cert x.pem", &out), 2);
  EXPECT_NE(out.find("--tls-cert and --tls-private-key go together"), std::string::npos) << out;
}

}  // namespace
}  // namespace pharos::e2e
