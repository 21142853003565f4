// VISS v3's gRPC service on the real pharos-broker, driven by a client
// generated from the standard's own proto (vissv3.0.proto, vendored byte
// for byte as proto/viss/v3/viss.proto).
#include <gtest/gtest.h>

#include "e2e/broker/viss_fixture.h"
#include "viss/v3/viss.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace pb = ::grpcProtobufMessages;
using Variant = pb::FilterExpressions::FilterExpression;

class VissGrpcTest : public VissTest {
 protected:
  explicit VissGrpcTest(std::vector<std::string> extra = {}) : VissTest(std::move(extra)) {}
  void SetUp() override {
    VissTest::SetUp();
    viss_stub_ = pb::VISS::NewStub(broker_.Channel());
  }
  pb::GetResponseMessage Get(const std::string& path, const std::string& token = "",
                             std::optional<Variant> filter = std::nullopt) {
    pb::GetRequestMessage req;
    req.set_path(path);
    req.set_requestid("g");
    if (filter) *req.mutable_filter()->add_filterexp() = *filter;
    pb::GetResponseMessage resp;
    grpc::Status s = viss_stub_->GetRequest(Call(token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();  // errors travel in the message
    return resp;
  }
  std::unique_ptr<pb::VISS::Stub> viss_stub_;
};

Variant Filter(Variant::FilterVariant v) {
  Variant f;
  f.set_variant(v);
  return f;
}

TEST_F(VissGrpcTest, GetAnswersDataMetadataAndErrorsInTheMessage) {
  ASSERT_TRUE(Publish(kSpeed, Float(42.5)).ok());
  ASSERT_TRUE(Publish(kDoor, Bool(true)).ok());
  pb::GetResponseMessage speed = Get(kSpeed);
  EXPECT_EQ(speed.status(), pb::SUCCESS);
  EXPECT_EQ(speed.requestid(), "g");
  ASSERT_EQ(speed.successresponse().datapack().data_size(), 1);
  EXPECT_EQ(speed.successresponse().datapack().data(0).path(), kSpeed);
  EXPECT_EQ(speed.successresponse().datapack().data(0).dp(0).value(), "42.5");
  EXPECT_FALSE(speed.ts().empty());

  Variant paths = Filter(Variant::PATHS);
  paths.mutable_value()->mutable_valuepaths()->add_relativepath("*.*.IsOpen");
  pb::GetResponseMessage doors = Get("Vehicle.Cabin.Door", "", paths);
  ASSERT_EQ(doors.successresponse().datapack().data_size(), 1);
  EXPECT_EQ(doors.successresponse().datapack().data(0).path(), kDoor);
  EXPECT_EQ(doors.successresponse().datapack().data(0).dp(0).value(), "true");

  Variant meta = Filter(Variant::METADATA);
  meta.mutable_value()->mutable_valuemetadata()->set_tree("unit");
  pb::GetResponseMessage unit = Get(kSpeed, "", meta);
  ASSERT_EQ(unit.status(), pb::SUCCESS);
  EXPECT_EQ(json::parse(unit.successresponse().metadata())["Speed"]["unit"], "km/h");

  pb::GetResponseMessage missing = Get("Vehicle.NoSuchThing");
  EXPECT_EQ(missing.status(), pb::ERROR);
  EXPECT_EQ(missing.errorresponse().number(), "404");
  EXPECT_EQ(missing.errorresponse().reason(), "unavailable_data");
  EXPECT_FALSE(missing.errorresponse().description().empty());
  EXPECT_EQ(Get("").errorresponse().reason(), "bad_request");
  EXPECT_EQ(Get(kSpeed, "", Filter(Variant::TIMEBASED)).errorresponse().reason(), "bad_request");

  pb::SetRequestMessage set;
  set.set_path(kSpeed);
  set.set_value("1");
  pb::SetResponseMessage set_resp;
  ASSERT_TRUE(viss_stub_->SetRequest(Call().get(), set, &set_resp).ok());
  EXPECT_EQ(set_resp.status(), pb::ERROR);
  EXPECT_EQ(set_resp.errorresponse().number(), "403");  // a sensor
  set.set_path(kVolume);
  set.set_value("30");
  ASSERT_TRUE(viss_stub_->SetRequest(Call().get(), set, &set_resp).ok());
  EXPECT_EQ(set_resp.errorresponse().number(), "503");  // no provider
}

TEST_F(VissGrpcTest, ASubscriptionStreamsEventsUntilUnsubscribed) {
  ASSERT_TRUE(Publish(kSpeed, Float(7)).ok());
  pb::SubscribeRequestMessage req;
  req.set_path(kSpeed);
  req.set_requestid("s");
  Variant tick = Filter(Variant::TIMEBASED);
  tick.mutable_value()->mutable_valuetimebased()->set_period("100");
  *req.mutable_filter()->add_filterexp() = tick;
  auto ctx = Call("", 10);
  auto reader = viss_stub_->SubscribeRequest(ctx.get(), req);
  pb::SubscribeStreamMessage m;
  ASSERT_TRUE(reader->Read(&m));
  EXPECT_EQ(m.mtype(), pb::RESPONSE);
  ASSERT_EQ(m.status(), pb::SUCCESS) << m.DebugString();
  std::string id = m.response().subscriptionid();
  EXPECT_EQ(id.size(), 16u);  // not guessable
  EXPECT_EQ(m.response().requestid(), "s");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(reader->Read(&m));
    EXPECT_EQ(m.mtype(), pb::EVENT);
    EXPECT_EQ(m.event().subscriptionid(), id);
    EXPECT_EQ(m.event().successresponse().datapack().data(0).dp(0).value(), "7");
  }
  pb::UnsubscribeRequestMessage unsub;
  unsub.set_subscriptionid(id);
  pb::UnsubscribeResponseMessage done;
  ASSERT_TRUE(viss_stub_->UnsubscribeRequest(Call().get(), unsub, &done).ok());
  EXPECT_EQ(done.status(), pb::SUCCESS);
  while (reader->Read(&m)) {
  }  // events already on their way, then the end
  EXPECT_TRUE(reader->Finish().ok());
  ASSERT_TRUE(viss_stub_->UnsubscribeRequest(Call().get(), unsub, &done).ok());
  EXPECT_EQ(done.status(), pb::ERROR);
  EXPECT_EQ(done.errorresponse().number(), "404");

  // A refused subscription is one RESPONSE with the error, and the end.
  req.set_path("Vehicle.NoSuchThing");
  auto refused_ctx = Call();
  auto refused = viss_stub_->SubscribeRequest(refused_ctx.get(), req);
  ASSERT_TRUE(refused->Read(&m));
  EXPECT_EQ(m.status(), pb::ERROR);
  EXPECT_EQ(m.response().errorresponse().reason(), "unavailable_data");
  EXPECT_FALSE(refused->Read(&m));
}

class SecuredVissGrpcTest : public VissGrpcTest {
 protected:
  SecuredVissGrpcTest() : VissGrpcTest({"--jwt-public-key", JwtKey() + ".pub"}) {}
};

TEST_F(SecuredVissGrpcTest, TheTokenComesInTheMessageOrTheCallsMetadata) {
  std::string reader = KuksaToken(JwtKey() + ".key", "read:Vehicle.Speed");
  Variant meta = Filter(Variant::METADATA);
  meta.mutable_value()->mutable_valuemetadata()->set_tree("unit");
  pb::GetResponseMessage none = Get(kSpeed, "", meta);
  EXPECT_EQ(none.status(), pb::ERROR);
  EXPECT_EQ(none.errorresponse().number(), "401");
  EXPECT_EQ(none.errorresponse().reason(), "invalid_token");   // v3's one 401 reason
  EXPECT_EQ(Get(kSpeed, reader, meta).status(), pb::SUCCESS);  // metadata: Bearer
  pb::GetRequestMessage req;
  req.set_path(kSpeed);
  *req.mutable_filter()->add_filterexp() = meta;
  req.set_authorization(reader);
  pb::GetResponseMessage resp;
  ASSERT_TRUE(viss_stub_->GetRequest(Call().get(), req, &resp).ok());
  EXPECT_EQ(resp.status(), pb::SUCCESS) << resp.DebugString();
  EXPECT_EQ(Get("Vehicle.Cabin.DoorCount", reader).errorresponse().number(), "403");
}

}  // namespace
}  // namespace pharos::e2e
