// kuksa.val.v1 against the real pharos-broker: Get with views and fields,
// Set of values and targets (all or nothing), Subscribe to values and
// targets, StreamedUpdate, and v1's per-entry error codes.
#include <gtest/gtest.h>

#include "e2e/broker/broker_client.h"
#include "kuksa/val/v1/val.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = ::kuksa::val::v1;
using grpc::StatusCode;

constexpr char kVolume[] = "Vehicle.Cabin.Infotainment.Media.Volume";  // uint8 actuator 0..100
constexpr char kSpeed[] = "Vehicle.Speed";

class KuksaValV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(broker_.Start());
    stub_ = v1::VAL::NewStub(broker_.Channel());
  }
  v1::SetResponse Set(const std::string& path, float value) {
    v1::SetRequest req;
    v1::EntryUpdate* u = req.add_updates();
    u->mutable_entry()->set_path(path);
    u->mutable_entry()->mutable_value()->set_float_(value);
    u->add_fields(v1::FIELD_VALUE);
    v1::SetResponse resp;
    EXPECT_TRUE(stub_->Set(Call().get(), req, &resp).ok());
    return resp;
  }

  BrokerUnderTest broker_;
  std::unique_ptr<v1::VAL::Stub> stub_;
};

TEST_F(KuksaValV1Test, GetWithViewsFieldsAndBranches) {
  EXPECT_TRUE(Set(kSpeed, 30.5f).errors().empty());
  v1::GetRequest req;
  req.add_entries()->set_path(kSpeed);
  v1::EntryRequest* meta = req.add_entries();
  meta->set_path(kVolume);
  meta->set_view(v1::VIEW_METADATA);
  v1::GetResponse resp;
  ASSERT_TRUE(stub_->Get(Call().get(), req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), 2);
  EXPECT_EQ(resp.entries(0).path(), kSpeed);
  EXPECT_EQ(resp.entries(0).value().float_(), 30.5f);
  EXPECT_FALSE(resp.entries(0).has_metadata());
  const v1::Metadata& m = resp.entries(1).metadata();
  EXPECT_EQ(m.data_type(), v1::DATA_TYPE_UINT8);
  EXPECT_EQ(m.entry_type(), v1::ENTRY_TYPE_ACTUATOR);
  EXPECT_EQ(m.value_restriction().unsigned_().max(), 100u);
  EXPECT_TRUE(m.has_actuator());
  EXPECT_FALSE(resp.entries(1).has_value());

  // A branch answers every signal below it; an unknown path is a 404 entry error.
  v1::GetRequest branch;
  branch.add_entries()->set_path("Vehicle.Cabin.Infotainment.Media");
  branch.add_entries()->set_path("Vehicle.Nope");
  v1::GetResponse many;
  ASSERT_TRUE(stub_->Get(Call().get(), branch, &many).ok());
  EXPECT_GT(many.entries_size(), 3);
  ASSERT_EQ(many.errors_size(), 1);
  EXPECT_EQ(many.errors(0).path(), "Vehicle.Nope");
  EXPECT_EQ(many.errors(0).error().code(), 404u);
  EXPECT_EQ(many.errors(0).error().reason(), "not_found");
  EXPECT_EQ(many.error().code(), 404u);
}

TEST_F(KuksaValV1Test, SetIsAllOrNothingWithV1ErrorReasons) {
  v1::SetRequest req;
  v1::EntryUpdate* ok = req.add_updates();
  ok->mutable_entry()->set_path(kSpeed);
  ok->mutable_entry()->mutable_value()->set_float_(10);
  ok->add_fields(v1::FIELD_VALUE);
  v1::EntryUpdate* bad = req.add_updates();
  bad->mutable_entry()->set_path(kVolume);
  bad->mutable_entry()->mutable_actuator_target()->set_uint32(150);
  bad->add_fields(v1::FIELD_ACTUATOR_TARGET);
  v1::SetResponse resp;
  ASSERT_TRUE(stub_->Set(Call().get(), req, &resp).ok());
  ASSERT_EQ(resp.errors_size(), 1);
  EXPECT_EQ(resp.errors(0).path(), kVolume);
  EXPECT_EQ(resp.errors(0).error().code(), 400u);
  EXPECT_EQ(resp.errors(0).error().reason(), "out_of_bounds");
  // Nothing was applied, not even the good update.
  v1::GetRequest get;
  get.add_entries()->set_path(kSpeed);
  v1::GetResponse got;
  ASSERT_TRUE(stub_->Get(Call().get(), get, &got).ok());
  EXPECT_FALSE(got.entries(0).has_value());

  EXPECT_EQ(Set(kVolume, 3.0f).errors(0).error().reason(), "type_mismatch");
  EXPECT_EQ(Set("Vehicle.Nope", 3.0f).errors(0).error().code(), 404u);
}

TEST_F(KuksaValV1Test, TargetsReachTargetSubscribersWithoutAV2Provider) {
  v1::SubscribeRequest sub;
  v1::SubscribeEntry* e = sub.add_entries();
  e->set_path(kVolume);
  e->add_fields(v1::FIELD_ACTUATOR_TARGET);
  auto ctx = Call("", 10);
  auto reader = stub_->Subscribe(ctx.get(), sub);
  v1::SubscribeResponse first;
  ASSERT_TRUE(reader->Read(&first));  // the current target (none yet)
  ASSERT_EQ(first.updates_size(), 1);
  EXPECT_FALSE(first.updates(0).entry().has_actuator_target());

  v1::SetRequest set;
  v1::EntryUpdate* u = set.add_updates();
  u->mutable_entry()->set_path(kVolume);
  u->mutable_entry()->mutable_actuator_target()->set_uint32(60);
  u->add_fields(v1::FIELD_ACTUATOR_TARGET);
  v1::SetResponse resp;
  ASSERT_TRUE(stub_->Set(Call().get(), set, &resp).ok());
  EXPECT_TRUE(resp.errors().empty());
  v1::SubscribeResponse change;
  ASSERT_TRUE(reader->Read(&change));
  EXPECT_EQ(change.updates(0).entry().path(), kVolume);
  EXPECT_EQ(change.updates(0).entry().actuator_target().uint32(), 60u);
  EXPECT_EQ(change.updates(0).fields(0), v1::FIELD_ACTUATOR_TARGET);
  ctx->TryCancel();
}

TEST_F(KuksaValV1Test, StreamedUpdateFeedsValuesAndAnswersOnlyRefusals) {
  v1::SubscribeRequest sub;
  sub.add_entries()->set_path(kSpeed);
  auto sctx = Call("", 10);
  auto reader = stub_->Subscribe(sctx.get(), sub);
  v1::SubscribeResponse msg;
  ASSERT_TRUE(reader->Read(&msg));

  auto ctx = Call("", 10);
  auto stream = stub_->StreamedUpdate(ctx.get());
  v1::StreamedUpdateRequest req;
  v1::EntryUpdate* u = req.add_updates();
  u->mutable_entry()->set_path(kSpeed);
  u->mutable_entry()->mutable_value()->set_float_(77);
  u->add_fields(v1::FIELD_VALUE);
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.updates(0).entry().value().float_(), 77.0f);
  u->mutable_entry()->mutable_value()->set_string("x");
  ASSERT_TRUE(stream->Write(req));
  v1::StreamedUpdateResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  ASSERT_EQ(answer.errors_size(), 1);
  EXPECT_EQ(answer.errors(0).error().reason(), "type_mismatch");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  sctx->TryCancel();

  v1::GetServerInfoResponse info;
  ASSERT_TRUE(stub_->GetServerInfo(Call().get(), {}, &info).ok());
  EXPECT_EQ(info.name(), "pharos-broker");
}

TEST(KuksaValV1TokensTest, MissingTokenIsTheCallsStatusDeniedReadsAre403) {
  TempDir keys;
  ASSERT_TRUE(MakeKeyPair(keys.path(), "k", "ec256"));
  BrokerUnderTest broker({"--jwt-public-key", keys.path() + "/k.pub"});
  ASSERT_TRUE(broker.Start());
  auto stub = v1::VAL::NewStub(broker.Channel());
  v1::GetRequest req;
  req.add_entries()->set_path(kSpeed);
  v1::GetResponse resp;
  EXPECT_EQ(stub->Get(Call().get(), req, &resp).error_code(), StatusCode::UNAUTHENTICATED);
  std::string token = KuksaToken(keys.path() + "/k.key", "read:Vehicle.Cabin");
  ASSERT_TRUE(stub->Get(Call(token).get(), req, &resp).ok());
  ASSERT_EQ(resp.errors_size(), 1);
  EXPECT_EQ(resp.errors(0).error().code(), 403u);
  EXPECT_EQ(resp.errors(0).error().reason(), "forbidden");
}

}  // namespace
}  // namespace pharos::e2e
