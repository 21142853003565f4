// The broker core: reads and writes behind permissions, subscriptions,
// providers, actuation and persistence (through an in-memory store).
#include "broker/core/broker.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "catalog_fixture.h"

namespace pharos::broker {
namespace {

using namespace std::chrono_literals;
using testing::MemoryStore;

// A provider's stream as the core sees it: records what it was sent.
class RecordingLink final : public ProviderLink {
 public:
  void SendActuation(const std::vector<std::pair<SignalId, Value>>& batch) override {
    std::lock_guard lock(mu);
    sent.push_back(batch);
    if (on_send) on_send(batch);
  }
  std::mutex mu;
  std::vector<std::vector<std::pair<SignalId, Value>>> sent;
  std::function<void(const std::vector<std::pair<SignalId, Value>>&)> on_send;
};

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override { Make({}); }
  void Make(BrokerOptions options) {
    broker_.reset();
    auto b = Broker::Create(testing::SmallCatalog(store_.ids), store_, clock_, std::move(options));
    ASSERT_TRUE(b.ok()) << b.status();
    broker_ = *std::move(b);
  }
  const Signal& S(std::string_view path) { return **broker_->Authorized(all_).Find(path); }
  Access Scoped(std::string_view scope) { return *Access::FromScopes(scope, "test"); }

  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000))};
  MemoryStore store_;
  Access all_ = Access::AllowAll();
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, AttributesServeTheirDefaultAndUnsetSignalsAnswerNone) {
  auto b = broker_->Authorized(all_);
  auto doors = b.Get(S("Vehicle.Cabin.DoorCount"));
  ASSERT_TRUE(doors.ok());
  EXPECT_EQ(std::get<uint32_t>(doors->value), 4u);
  EXPECT_EQ(doors->timestamp, clock_.Now());
  auto speed = b.Get(S("Vehicle.Speed"));
  ASSERT_TRUE(speed.ok());
  EXPECT_FALSE(HasValue(speed->value));
  EXPECT_EQ(b.Find("Vehicle.Nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(b.Find(std::string(1001, 'x')).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BrokerTest, PublishIsCheckedStampedAndAllOrNothing) {
  auto b = broker_->Authorized(all_);
  ASSERT_TRUE(b.Publish({{&S("Vehicle.Speed"), Datapoint{Value(88.0f), {}}}}).ok());
  EXPECT_EQ(b.Get(S("Vehicle.Speed"))->timestamp, clock_.Now());  // stamped by the broker
  absl::Status s = b.Publish({{&S("Vehicle.Speed"), Datapoint{Value(90.0f), {}}},
                              {&S("Vehicle.Gear"), Datapoint{Value(int32_t{500}), {}}}});
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(std::get<float>(b.Get(S("Vehicle.Speed"))->value), 88.0f);  // nothing applied
}

TEST_F(BrokerTest, PermissionsFollowTheTokenScopes) {
  Access reader = Scoped("read:Vehicle.Cabin");
  auto r = broker_->Authorized(reader);
  EXPECT_TRUE(r.Get(S("Vehicle.Cabin.DoorCount")).ok());
  EXPECT_EQ(r.Get(S("Vehicle.Speed")).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.Publish({{&S("Vehicle.Cabin.DoorCount"), Datapoint{Value(uint32_t{2}), {}}}}).code(),
            absl::StatusCode::kPermissionDenied);
  // provide and actuate include read.
  Access provider = Scoped("provide:Vehicle.Speed actuate:Vehicle.Cabin.*.Mode");
  auto p = broker_->Authorized(provider);
  EXPECT_TRUE(p.Get(S("Vehicle.Speed")).ok());
  EXPECT_TRUE(p.Get(S("Vehicle.Cabin.Light.Mode")).ok());
  EXPECT_FALSE(p.Get(S("Vehicle.Cabin.DoorCount")).ok());
  EXPECT_FALSE(Access::FromScopes("write:Vehicle", "x").ok());
  EXPECT_FALSE(Access::FromScopes("read:Vehicle..X", "x").ok());
}

TEST_F(BrokerTest, AUnionAllowsWhatEitherAllowsAndAPublicDenialAsksForAToken) {
  auto soon = clock_.Now() + 1min;
  Access speed = Scoped("read:Vehicle.Speed").ExpiringAt(soon);
  Access gear = Scoped("read:Vehicle.Gear").ExpiringAt(soon + 1min);
  Access both = Access::Union(speed, gear);
  EXPECT_TRUE(both.Allows(Action::kRead, "Vehicle.Speed"));
  EXPECT_TRUE(both.Allows(Action::kRead, "Vehicle.Gear"));
  EXPECT_FALSE(both.Allows(Action::kActuate, "Vehicle.Cabin.Light.Mode"));
  EXPECT_EQ(both.expires_at(), soon);  // when the first of the two expires
  EXPECT_FALSE(both.anonymous());

  Access open = *Access::Public("read:Vehicle.Speed");
  EXPECT_TRUE(open.anonymous());
  EXPECT_TRUE(open.Require(Action::kRead, "Vehicle.Speed").ok());
  EXPECT_EQ(open.Require(Action::kRead, "Vehicle.Gear").code(), absl::StatusCode::kUnauthenticated);
  Access with_token = Access::Union(open, gear);  // a token holder: 403 again, not 401
  EXPECT_EQ(with_token.subject(), "test");
  EXPECT_EQ(with_token.Require(Action::kRead, "Vehicle.Cabin.DoorCount").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(Access::Public("write:Vehicle").ok());
}

TEST_F(BrokerTest, SubscribersGetCurrentValuesFirstThenChanges) {
  auto b = broker_->Authorized(all_);
  ASSERT_TRUE(b.Publish({{&S("Vehicle.Speed"), Datapoint{Value(10.0f), {}}}}).ok());
  auto sub = b.Subscribe({&S("Vehicle.Speed"), &S("Vehicle.Gear")}, {});
  ASSERT_TRUE(sub.ok());
  auto first = (*sub)->Next(1s);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->entries.size(), 2u);
  EXPECT_EQ(std::get<float>(first->entries[0].second.value), 10.0f);
  EXPECT_FALSE(HasValue(first->entries[1].second.value));  // Gear has no value yet

  ASSERT_TRUE(b.Publish({{&S("Vehicle.Gear"), Datapoint{Value(int32_t{3}), {}}},
                         {&S("Vehicle.Cabin.DoorCount"), Datapoint{Value(uint32_t{5}), {}}}})
                  .ok());
  auto change = (*sub)->Next(1s);
  ASSERT_TRUE(change);
  ASSERT_EQ(change->entries.size(), 1u);  // only what it subscribed to
  EXPECT_EQ(change->entries[0].first, S("Vehicle.Gear").id);
  EXPECT_FALSE((*sub)->Next(10ms));  // nothing else
  // A signal named twice is delivered once.
  auto twice = b.Subscribe({&S("Vehicle.Gear"), &S("Vehicle.Gear")}, {});
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ((*twice)->Next(1s)->entries.size(), 1u);
  ASSERT_TRUE(b.Publish({{&S("Vehicle.Gear"), Datapoint{Value(int32_t{4}), {}}}}).ok());
  EXPECT_TRUE((*twice)->Next(1s));
  EXPECT_FALSE((*twice)->Next(10ms));
  b.Unsubscribe(*twice);
  (*sub)->Next(10ms);  // Gear changed: drop it
  EXPECT_EQ(broker_->subscription_count(), 1u);
  b.Unsubscribe(*sub);
  EXPECT_EQ(broker_->subscription_count(), 0u);
  EXPECT_EQ(b.Subscribe({&S("Vehicle.Speed")}, {.buffer_size = 1001}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BrokerTest, AReadyHandlerIsToldOfEveryPushAndNextZeroDrainsWithoutWaiting) {
  auto b = broker_->Authorized(all_);
  auto sub = b.Subscribe({&S("Vehicle.Speed")}, {.buffer_size = 10});
  ASSERT_TRUE(sub.ok());
  int told = 0;
  (*sub)->SetReadyHandler([&] { ++told; });
  EXPECT_TRUE((*sub)->Next(0ms));  // the first update, pushed before the handler was set
  EXPECT_FALSE((*sub)->Next(0ms));
  for (float v : {1.0f, 2.0f}) {
    ASSERT_TRUE(b.Publish({{&S("Vehicle.Speed"), Datapoint{Value(v), {}}}}).ok());
  }
  EXPECT_EQ(told, 2);
  auto one = (*sub)->Next(0ms);
  auto two = (*sub)->Next(0ms);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(std::get<float>(two->entries[0].second.value), 2.0f);
  EXPECT_FALSE((*sub)->Next(0ms));
  b.Unsubscribe(*sub);
}

TEST_F(BrokerTest, HistoryKeepsTheEarlierValuesUpToItsSize) {
  BrokerOptions options;
  options.history_size = 3;
  Make(options);
  auto b = broker_->Authorized(all_);
  const Signal& speed = S("Vehicle.Speed");
  EXPECT_TRUE(b.History(speed, {})->empty());
  for (int i = 1; i <= 5; ++i) {
    Timestamp at = Timestamp(std::chrono::seconds(1'700'000'000 + i));
    ASSERT_TRUE(b.Publish({{&speed, Datapoint{Value(static_cast<float>(i)), at}}}).ok());
  }
  // 5 is current; of 1..4, the newest three are kept, oldest first.
  auto all = b.History(speed, {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(std::get<float>((*all)[0].value), 2.0f);
  EXPECT_EQ(std::get<float>((*all)[2].value), 4.0f);
  auto recent = b.History(speed, Timestamp(std::chrono::seconds(1'700'000'004)));
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ(std::get<float>((*recent)[0].value), 4.0f);
  Access other = Scoped("read:Vehicle.Cabin");
  EXPECT_EQ(broker_->Authorized(other).History(speed, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
  Make({});  // the default keeps none
  auto none = broker_->Authorized(all_);
  ASSERT_TRUE(none.Publish({{&S("Vehicle.Speed"), Datapoint{Value(1.0f), {}}}}).ok());
  ASSERT_TRUE(none.Publish({{&S("Vehicle.Speed"), Datapoint{Value(2.0f), {}}}}).ok());
  EXPECT_TRUE(none.History(S("Vehicle.Speed"), {})->empty());
}

TEST_F(BrokerTest, ASlowSubscriberKeepsTheLatestValueOfEverySignal) {
  auto b = broker_->Authorized(all_);
  auto sub = *b.Subscribe({&S("Vehicle.Speed"), &S("Vehicle.Gear")}, {.buffer_size = 0});
  for (int i = 1; i <= 50; ++i) {
    ASSERT_TRUE(b.Publish({{&S("Vehicle.Speed"), Datapoint{Value(float(i)), {}}}}).ok());
  }
  ASSERT_TRUE(b.Publish({{&S("Vehicle.Gear"), Datapoint{Value(int32_t{2}), {}}}}).ok());
  auto only = sub->Next(1s);
  ASSERT_TRUE(only);
  std::map<SignalId, Value> got;
  for (auto& [id, dp] : only->entries) got[id] = dp.value;
  EXPECT_EQ(std::get<float>(got[S("Vehicle.Speed").id]), 50.0f);
  EXPECT_EQ(std::get<int32_t>(got[S("Vehicle.Gear").id]), 2);
  EXPECT_FALSE(sub->Next(10ms));
  EXPECT_EQ(sub->dropped(), 51u);  // the initial update and 50 of the 51 changes
}

TEST_F(BrokerTest, ABufferKeepsThatManyUpdatesInOrder) {
  auto b = broker_->Authorized(all_);
  auto sub = *b.Subscribe({&S("Vehicle.Speed")}, {.buffer_size = 10});
  ASSERT_TRUE(sub->Next(1s));  // the initial value
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(b.Publish({{&S("Vehicle.Speed"), Datapoint{Value(float(i)), {}}}}).ok());
  }
  for (int i = 1; i <= 5; ++i) {
    auto u = sub->Next(1s);
    ASSERT_TRUE(u);
    EXPECT_EQ(std::get<float>(u->entries[0].second.value), float(i));
  }
}

TEST_F(BrokerTest, ProvidersClaimAndAnotherProviderIsRefused) {
  auto b = broker_->Authorized(all_);
  RecordingLink link_a, link_b;
  auto a = b.OpenProvider(link_a);
  auto other = b.OpenProvider(link_b);
  const Signal* speed = &S("Vehicle.Speed");
  const Signal* mode = &S("Vehicle.Cabin.Light.Mode");
  ASSERT_TRUE(a->ClaimSignals(std::vector{speed}).ok());
  ASSERT_TRUE(a->ClaimActuators(std::vector{mode}).ok());
  EXPECT_EQ(other->ClaimSignals(std::vector{speed}).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(other->ClaimActuators(std::vector{mode}).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(other->ClaimActuators(std::vector{speed}).code(), absl::StatusCode::kInvalidArgument);

  // Publishing: unclaimed -> ABORTED, another's -> ALREADY_EXISTS, bad values per id.
  EXPECT_EQ(other->Publish({{speed->id, Datapoint{Value(1.0f), {}}}}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      other->Publish({{S("Vehicle.Gear").id, Datapoint{Value(int32_t{1}), {}}}}).status().code(),
      absl::StatusCode::kAborted);
  auto refused = a->Publish({{speed->id, Datapoint{Value(int32_t{1}), {}}}, {424242, {}}});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ((*refused)[speed->id].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*refused)[424242].code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(a->Publish({{speed->id, Datapoint{Value(42.0f), {}}}})->empty());
  EXPECT_EQ(std::get<float>(b.Get(*speed)->value), 42.0f);

  // A provider that goes away releases its claims.
  a.reset();
  EXPECT_TRUE(other->ClaimSignals(std::vector{speed}).ok());
}

TEST_F(BrokerTest, ActuationIsRoutedToTheProviderAndAnsweredWhenItAccepts) {
  Make({.actuation_timeout = 2s});
  auto b = broker_->Authorized(all_);
  const Signal* mode = &S("Vehicle.Cabin.Light.Mode");
  EXPECT_EQ(b.Actuate({{mode, Value(std::string("ON"))}}).code(), absl::StatusCode::kUnavailable);

  RecordingLink link;
  auto provider = b.OpenProvider(link);
  ASSERT_TRUE(provider->ClaimActuators(std::vector{mode}).ok());
  std::vector<std::thread> acknowledgers;  // the provider answers from its own thread
  link.on_send = [&](const auto& batch) {
    acknowledgers.emplace_back([&, id = batch[0].first] {
      std::this_thread::sleep_for(20ms);
      provider->Acknowledge(id, absl::OkStatus());
    });
  };
  EXPECT_TRUE(b.Actuate({{mode, Value(std::string("ON"))}}).ok());
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(std::get<std::string>(link.sent[0][0].second), "ON");
  EXPECT_EQ(std::get<std::string>(b.Get(*mode, ValueKind::kTarget)->value), "ON");

  // The provider's refusal is the caller's answer.
  link.on_send = [&](const auto& batch) {
    acknowledgers.emplace_back([&, id = batch[0].first] {
      provider->Acknowledge(id, absl::InvalidArgumentError("lamp broken"));
    });
  };
  absl::Status refused = b.Actuate({{mode, Value(std::string("AUTO"))}});
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "lamp broken");
  // A refused request does not become the target.
  EXPECT_EQ(std::get<std::string>(b.Get(*mode, ValueKind::kTarget)->value), "ON");

  // Checks happen before anything is sent.
  EXPECT_EQ(b.Actuate({{mode, Value(std::string("DISCO"))}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.Actuate({{&S("Vehicle.Speed"), Value(1.0f)}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(link.sent.size(), 2u);
  for (std::thread& t : acknowledgers) t.join();
}

TEST_F(BrokerTest, BatchActuationIsAllOrNothingAndSilentProvidersTimeOut) {
  Make({.actuation_timeout = 100ms});
  auto b = broker_->Authorized(all_);
  const Signal* mode = &S("Vehicle.Cabin.Light.Mode");
  const Signal* seat = &S("Vehicle.Cabin.Seat.Position");
  RecordingLink link;
  auto provider = b.OpenProvider(link);
  ASSERT_TRUE(provider->ClaimActuators(std::vector{mode}).ok());
  // The seat has no provider: nothing is sent to the mode's provider either.
  EXPECT_EQ(b.Actuate({{mode, Value(std::string("ON"))}, {seat, Value(uint32_t{10})}}).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(b.Actuate({{mode, Value(std::string("ON"))}}).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(BrokerTest, AWaitingActuationFailsWhenItsProviderDisconnects) {
  Make({.actuation_timeout = 5s});
  auto b = broker_->Authorized(all_);
  const Signal* mode = &S("Vehicle.Cabin.Light.Mode");
  RecordingLink link;
  auto provider = b.OpenProvider(link);
  ASSERT_TRUE(provider->ClaimActuators(std::vector{mode}).ok());
  std::thread gone([&] {
    std::this_thread::sleep_for(50ms);
    provider.reset();
  });
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(b.Actuate({{mode, Value(std::string("ON"))}}).code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  gone.join();
}

TEST_F(BrokerTest, TargetsAndAttributesPersistAndComeBack) {
  auto b = broker_->Authorized(all_);
  ASSERT_TRUE(b.Publish({{&S("Vehicle.Cabin.DoorCount"), Datapoint{Value(uint32_t{2}), {}}},
                         {&S("Vehicle.Speed"), Datapoint{Value(5.0f), {}}}})
                  .ok());
  ASSERT_TRUE(
      b.Actuate({{&S("Vehicle.Cabin.Light.Mode"), Value(std::string("AUTO"))}}, false).ok());
  SignalId doors = S("Vehicle.Cabin.DoorCount").id;
  Make({});  // "restart" on the same store
  auto again = broker_->Authorized(all_);
  EXPECT_EQ(S("Vehicle.Cabin.DoorCount").id, doors);
  EXPECT_EQ(std::get<uint32_t>(again.Get(S("Vehicle.Cabin.DoorCount"))->value), 2u);
  EXPECT_EQ(
      std::get<std::string>(again.Get(S("Vehicle.Cabin.Light.Mode"), ValueKind::kTarget)->value),
      "AUTO");
  EXPECT_FALSE(
      HasValue(again.Get(S("Vehicle.Speed"))->value));  // sensors do not persist by default

  // --persist adds sensors; a store that cannot write is the caller's error.
  PathGlob speed_glob = *PathGlob::Parse("Vehicle.Speed");
  Make({.persist = {speed_glob}});
  ASSERT_TRUE(
      broker_->Authorized(all_).Publish({{&S("Vehicle.Speed"), Datapoint{Value(7.0f), {}}}}).ok());
  store_.fail = true;
  EXPECT_EQ(
      broker_->Authorized(all_).Publish({{&S("Vehicle.Speed"), Datapoint{Value(8.0f), {}}}}).code(),
      absl::StatusCode::kInternal);
  store_.fail = false;
  Make({.persist = {speed_glob}});
  EXPECT_EQ(std::get<float>(broker_->Authorized(all_).Get(S("Vehicle.Speed"))->value), 7.0f);
}

TEST_F(BrokerTest, RegisterAddsASignalWithCreatePermission) {
  SignalSpec spec;
  spec.path = "Vehicle.Oem.Boost";
  spec.entry_type = EntryType::kSensor;
  spec.data_type = DataType::kBoolean;
  Access no_create = Scoped("read provide");
  EXPECT_EQ(broker_->Register(no_create, spec).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto added = broker_->Register(Scoped("create:Vehicle.Oem"), spec);
  ASSERT_TRUE(added.ok()) << added.status();
  auto b = broker_->Authorized(all_);
  ASSERT_TRUE(b.Publish({{*added, Datapoint{Value(true), {}}}}).ok());
  EXPECT_TRUE(std::get<bool>(b.Get(**added)->value));
  EXPECT_EQ(store_.ids.count("Vehicle.Oem.Boost"), 1u);
}

}  // namespace
}  // namespace pharos::broker
