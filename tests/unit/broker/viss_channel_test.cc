// A VISS channel's authority: the union of the tokens a WebSocket channel
// is given (seed 003, "WebSocket Channel Authorization"), the public
// scope, and a token that expires while a subscription runs. A real broker
// core, real JWTs, a manual clock; the channel's strand runs here.
#include "broker/viss/viss_channel.h"

#include <gtest/gtest.h>

#include "auth/jwt.h"
#include "catalog_fixture.h"
#include "e2e/daemon_process.h"

namespace pharos::broker::viss {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

class VissChannelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string out;
    ASSERT_EQ(e2e::RunCommand("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
                              "-out " +
                                  Key() + " && openssl pkey -in " + Key() + " -pubout -out " +
                                  Key() + ".pub",
                              &out),
              0)
        << out;
  }
  static std::string Key() {
    static e2e::TempDir dir;
    return dir.path() + "/jwt.key";
  }

  void SetUp() override { Make(""); }
  void Make(std::string_view public_scope) {
    auto b = Broker::Create(testing::SmallCatalog(store_.ids), store_, clock_, {});
    ASSERT_TRUE(b.ok()) << b.status();
    broker_ = *std::move(b);
    auto t = TokenAuthority::Load(Key() + ".pub", clock_, public_scope);
    ASSERT_TRUE(t.ok()) << t.status();
    tokens_ = std::make_unique<TokenAuthority>(*std::move(t));
  }
  void TearDown() override {
    channel_.reset();
    io_.run_for(10ms);
  }

  // A token of `scope` expiring at `exp` (whole seconds, as JWT has them).
  std::string Token(std::string_view scope, Timestamp exp) {
    int64_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(exp.time_since_epoch()).count();
    auto t = auth::SignJwt(
        Key(),
        {{"sub", "driver"}, {"aud", "kuksa.val"}, {"exp", seconds}, {"scope", std::string(scope)}});
    EXPECT_TRUE(t.ok()) << t.status();
    return t.value_or("");
  }
  std::string Token(std::string_view scope) { return Token(scope, clock_.Now() + 1h); }

  void Open(bool keep_tokens) {
    ChannelOptions limits;
    limits.keep_tokens = keep_tokens;
    channel_ = std::make_shared<VissChannel>(
        *broker_, *tokens_, clock_, boost::asio::make_strand(io_),
        [this](std::string m) { sent_.push_back(Json::parse(m)); }, limits);
  }
  // One request through the channel; its answer.
  Json Ask(Json request) {
    size_t before = sent_.size();
    std::string text = request.dump();
    boost::asio::post(io_, [this, text] { channel_->Handle(text); });
    io_.restart();
    io_.run_for(50ms);
    EXPECT_GT(sent_.size(), before) << text;
    return sent_.size() > before ? sent_[before] : Json();
  }
  // A subscription to Vehicle.Speed by a token that expires at the next
  // whole second, 50 ms from the clock's start.
  Json SubscribeWithATokenOf50Ms() {
    Timestamp next_second = std::chrono::time_point_cast<std::chrono::seconds>(clock_.Now()) + 1s;
    return Ask({{"action", "subscribe"},
                {"path", "Vehicle.Speed"},
                {"authorization", Token("read:Vehicle.Speed", next_second)},
                {"requestId", "s"}});
  }
  static Json Get(std::string_view path, std::string token = "") {
    Json r = {{"action", "get"}, {"path", path}, {"requestId", "r"}};
    if (!token.empty()) r["authorization"] = token;
    return r;
  }
  static std::string Reason(const Json& answer) {
    return answer.contains("error") ? answer["error"]["reason"].get<std::string>() : "";
  }
  void Publish(std::string_view path, Value v) {
    auto all = broker_->Authorized(everyone_);
    absl::Status published =
        all.Publish({{*all.Find(path), Datapoint{std::move(v), clock_.Now()}}});
    ASSERT_TRUE(published.ok()) << published;
  }

  // Whole seconds plus 950 ms: a token expiring at the next second has 50 ms left.
  ManualClock clock_{Timestamp(std::chrono::seconds(1'700'000'000) + 950ms)};
  testing::MemoryStore store_;
  const Access everyone_ = Access::AllowAll();
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<TokenAuthority> tokens_;
  boost::asio::io_context io_;
  std::shared_ptr<VissChannel> channel_;
  std::vector<Json> sent_;
};

TEST_F(VissChannelTest, AWebSocketChannelActsWithTheUnionOfTheTokensGivenToIt) {
  Publish("Vehicle.Speed", Value(12.0f));
  Publish("Vehicle.Gear", Value(int8_t{3}));
  Open(/*keep_tokens=*/true);
  EXPECT_EQ(Reason(Ask(Get("Vehicle.Speed"))), "missing_token");
  EXPECT_EQ(Ask(Get("Vehicle.Speed", Token("read:Vehicle.Speed")))["data"]["dp"]["value"], "12");
  EXPECT_EQ(Ask(Get("Vehicle.Speed"))["data"]["dp"]["value"], "12");  // the kept token
  // A token is kept, so what it does not grant is forbidden, not missing.
  EXPECT_EQ(Reason(Ask(Get("Vehicle.Gear"))), "forbidden_request");
  EXPECT_EQ(Ask(Get("Vehicle.Gear", Token("read:Vehicle.Gear")))["data"]["dp"]["value"], "3");
  EXPECT_EQ(Ask(Get("Vehicle.Speed"))["data"]["dp"]["value"], "12");  // both, now
  EXPECT_EQ(Ask(Get("Vehicle.Gear"))["data"]["dp"]["value"], "3");
  // A bad token is refused and not kept; the good ones still hold.
  EXPECT_EQ(Reason(Ask(Get("Vehicle.Gear", "not.a.token"))), "invalid_token");
  EXPECT_EQ(Ask(Get("Vehicle.Gear"))["data"]["dp"]["value"], "3");
}

TEST_F(VissChannelTest, AChannelThatKeepsNoTokensJudgesEachRequestByItsOwn) {
  Publish("Vehicle.Speed", Value(12.0f));
  Open(/*keep_tokens=*/false);
  EXPECT_EQ(Ask(Get("Vehicle.Speed", Token("read:Vehicle.Speed")))["data"]["dp"]["value"], "12");
  EXPECT_EQ(Reason(Ask(Get("Vehicle.Speed"))), "missing_token");
}

TEST_F(VissChannelTest, PublicPathsNeedNoTokenAndTheRestAsksForOne) {
  Make("read:Vehicle.Speed");
  Publish("Vehicle.Speed", Value(12.0f));
  Publish("Vehicle.Gear", Value(int8_t{3}));
  Open(/*keep_tokens=*/true);
  EXPECT_EQ(Ask(Get("Vehicle.Speed"))["data"]["dp"]["value"], "12");
  Json gear = Ask(Get("Vehicle.Gear"));
  EXPECT_EQ(Reason(gear), "missing_token");
  EXPECT_EQ(gear["error"]["number"], 401);
  Json set = Ask({{"action", "set"},
                  {"path", "Vehicle.Cabin.Light.Mode"},
                  {"value", "ON"},
                  {"requestId", "s"}});
  EXPECT_EQ(Reason(set), "missing_token") << set;
  // A token adds to the public scope.
  EXPECT_EQ(Ask(Get("Vehicle.Gear", Token("read:Vehicle.Gear")))["data"]["dp"]["value"], "3");
  EXPECT_EQ(Ask(Get("Vehicle.Speed"))["data"]["dp"]["value"], "12");
  EXPECT_FALSE(TokenAuthority::Load(Key() + ".pub", clock_, "write:Vehicle").ok());
}

TEST_F(VissChannelTest, ATokenExpiringDuringASubscriptionEndsItWithAnErrorEvent) {
  Open(/*keep_tokens=*/true);
  Json sub = SubscribeWithATokenOf50Ms();
  ASSERT_TRUE(sub.contains("subscriptionId")) << sub;
  Publish("Vehicle.Speed", Value(20.0f));
  io_.restart();
  io_.run_for(20ms);
  EXPECT_EQ(sent_.back()["data"]["dp"]["value"], "20");

  clock_.Advance(100ms);  // past the token's exp; the expiry timer fires within 50 ms
  io_.restart();
  io_.run_for(200ms);
  const Json& last = sent_.back();
  EXPECT_EQ(last["action"], "subscription");
  EXPECT_EQ(last["subscriptionId"], sub["subscriptionId"]);
  EXPECT_EQ(Reason(last), "expired_token") << last;
  EXPECT_EQ(channel_->subscription_count(), 0u);
  size_t events = sent_.size();
  Publish("Vehicle.Speed", Value(21.0f));
  io_.restart();
  io_.run_for(20ms);
  EXPECT_EQ(sent_.size(), events);  // nothing after the end
}

TEST_F(VissChannelTest, ANewTokenGivenBeforeTheOldExpiresKeepsTheSubscription) {
  Open(/*keep_tokens=*/true);
  Json sub = SubscribeWithATokenOf50Ms();
  ASSERT_TRUE(sub.contains("subscriptionId")) << sub;
  Ask(Get("Vehicle.Cabin.DoorCount", Token("read")));  // a longer token, kept
  clock_.Advance(100ms);
  io_.restart();
  io_.run_for(200ms);
  EXPECT_EQ(channel_->subscription_count(), 1u);
  Publish("Vehicle.Speed", Value(30.0f));
  io_.restart();
  io_.run_for(20ms);
  EXPECT_EQ(sent_.back()["data"]["dp"]["value"], "30") << sent_.back();
}

}  // namespace
}  // namespace pharos::broker::viss
