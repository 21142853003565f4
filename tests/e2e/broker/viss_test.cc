// VISS v2 over WebSocket against the real pharos-broker, driven by a
// third-party client (Debian's python3-websocket, viss_ws_client.py);
// values come in through the broker's gRPC API as a provider would send
// them.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "e2e/broker/viss_fixture.h"
#include "e2e/test_pki.h"

namespace pharos::e2e {
namespace {

using json = nlohmann::json;

TEST_F(VissTest, GetAnswersValuesAndEveryMistakeGetsTheStandardsError) {
  ASSERT_TRUE(Publish(kSpeed, Float(42.5)).ok());
  ASSERT_TRUE(Publish(kDoor, Bool(true)).ok());
  ASSERT_TRUE(Publish(kOtherDoor, Bool(false)).ok());
  ClientRun run = Run({
      {{"action", "get"}, {"path", kSpeed}, {"requestId", "1"}},
      {{"action", "get"}, {"path", "Vehicle/Speed"}, {"requestId", "2"}},
      {{"action", "get"},
       {"path", "Vehicle.Cabin.Door"},
       {"filter", {{"type", "paths"}, {"parameter", {"*.*.IsOpen"}}}},
       {"requestId", "3"}},
      {{"action", "get"}, {"path", "Vehicle.NoSuchThing"}, {"requestId", "4"}},
      "this is not JSON",
      {{"action", "fly"}, {"path", kSpeed}, {"requestId", "6"}},
      {{"action", "get"}, {"requestId", "7"}},
      {{"action", "get"},
       {"path", kSpeed},
       {"filter", {{"type", "timebased"}, {"parameter", {{"period", "100"}}}}},
       {"requestId", "8"}},
      {{"action", "get"}, {"path", "Vehicle.*"}, {"requestId", "9"}},
      {{"action", "get"},
       {"path", "Vehicle"},
       {"filter", {{"type", "dynamic-metadata"}, {"parameter", "server_capabilities"}}},
       {"requestId", "10"}},
      {{"action", "get"},
       {"path", kSpeed},
       {"filter", {{"type", "static-metadata"}, {"parameter", {"datatype", "unit"}}}},
       {"requestId", "11"}},
      {{"action", "get"},
       {"path", kSpeed},
       {"filter", {{"type", "history"}, {"parameter", "PT1M"}}},
       {"requestId", "12"}},
      {{"action", "get"},
       {"path", "Vehicle.Cabin.Door.Row2.DriverSide.IsOpen"},
       {"requestId", "13"}},
  });
  ASSERT_EQ(run.exit, 0);
  EXPECT_EQ(run.messages.front().value("subprotocol", ""), "vissv2");  // the client lowercases

  json one = run.Answer("1");
  EXPECT_EQ(one["action"], "get");
  EXPECT_EQ(one["data"]["path"], kSpeed);
  EXPECT_EQ(one["data"]["dp"]["value"], "42.5");
  EXPECT_TRUE(one["data"]["dp"]["ts"].get<std::string>().ends_with("Z"));
  EXPECT_EQ(run.Answer("2")["data"]["dp"]["value"], "42.5");  // slash-separated path

  json doors = run.Answer("3")["data"];  // two doors have values: an array of both
  ASSERT_TRUE(doors.is_array()) << run.Answer("3");
  ASSERT_EQ(doors.size(), 2u);
  EXPECT_EQ(doors[0]["path"], kDoor);
  EXPECT_EQ(doors[0]["dp"]["value"], "true");
  EXPECT_EQ(doors[1]["dp"]["value"], "false");

  EXPECT_EQ(Number(run.Answer("4")), 404);
  EXPECT_EQ(Reason(run.Answer("4")), "unavailable_data");
  json not_json = run.messages[5];  // the fifth request's answer has no requestId to echo
  EXPECT_EQ(Reason(not_json), "bad_request");
  EXPECT_EQ(Number(not_json), 400);
  EXPECT_EQ(Reason(run.Answer("6")), "bad_request");
  EXPECT_EQ(Reason(run.Answer("7")), "bad_request");  // no path
  EXPECT_EQ(Reason(run.Answer("8")), "bad_request");  // timebased is for subscriptions
  EXPECT_EQ(Reason(run.Answer("9")), "bad_request");  // wildcards only in a paths filter

  json caps = run.Answer("10")["metadata"];
  ASSERT_TRUE(caps.contains("filter")) << run.Answer("10");
  EXPECT_NE(std::find(caps["filter"].begin(), caps["filter"].end(), "timebased"),
            caps["filter"].end());
  EXPECT_NE(std::find(caps["filter"].begin(), caps["filter"].end(), "change"),
            caps["filter"].end());
  json meta = run.Answer("11")["metadata"];
  EXPECT_EQ(meta["Speed"]["datatype"], "float");
  EXPECT_EQ(meta["Speed"]["unit"], "km/h");
  EXPECT_FALSE(meta["Speed"].contains("description"));      // only the keys asked for
  EXPECT_EQ(Reason(run.Answer("12")), "unavailable_data");  // no earlier value recorded
  EXPECT_EQ(Reason(run.Answer("13")), "unavailable_data");  // no value yet
}

TEST_F(VissTest, SetWritesAnActuatorThroughItsProviderAndRefusesTheRest) {
  ProviderStream provider(*stub_);
  v2::OpenProviderStreamResponse answer;
  ASSERT_TRUE(provider.ClaimActuator(kVolume, &answer));
  std::atomic<int> received = 0;
  std::atomic<uint32_t> last = 0;
  std::thread serve([&] {
    v2::OpenProviderStreamResponse msg;
    while (provider.stream().Read(&msg)) {
      if (!msg.has_batch_actuate_stream_request()) continue;
      for (const auto& r : msg.batch_actuate_stream_request().actuate_requests()) {
        last = r.value().uint32();
        ++received;
        provider.Acknowledge(r.signal_id().id());
      }
    }
  });
  ClientRun run = Run({
      {{"action", "set"}, {"path", kVolume}, {"value", "40"}, {"requestId", "1"}},
      {{"action", "set"}, {"path", kVolume}, {"value", "101"}, {"requestId", "2"}},
      {{"action", "set"}, {"path", kVolume}, {"value", "loud"}, {"requestId", "3"}},
      {{"action", "set"}, {"path", kSpeed}, {"value", "10"}, {"requestId", "4"}},
      {{"action", "set"}, {"path", kDoor}, {"value", "true"}, {"requestId", "5"}},
      {{"action", "set"}, {"path", kVolume}, {"requestId", "6"}},
  });
  provider.stream().WritesDone();
  serve.join();
  ASSERT_EQ(run.exit, 0);
  json ok = run.Answer("1");
  EXPECT_FALSE(ok.contains("error")) << ok;
  EXPECT_TRUE(ok.contains("ts"));
  EXPECT_EQ(received, 1);  // only the valid set reached the provider
  EXPECT_EQ(last, 40u);
  EXPECT_EQ(Reason(run.Answer("2")), "invalid_data");       // above the catalog's max
  EXPECT_EQ(Reason(run.Answer("3")), "invalid_data");       // not a number
  EXPECT_EQ(Reason(run.Answer("4")), "forbidden_request");  // a sensor
  EXPECT_EQ(Number(run.Answer("5")), 503);                  // no provider for that actuator
  EXPECT_EQ(Reason(run.Answer("6")), "bad_request");        // no value
}

TEST_F(VissTest, ASetWaitingForItsProviderHoldsNoOtherRequestBack) {
  ASSERT_TRUE(Publish(kSpeed, Float(1)).ok());
  ProviderStream provider(*stub_);
  v2::OpenProviderStreamResponse answer;
  ASSERT_TRUE(provider.ClaimActuator(kVolume, &answer));
  std::thread serve([&] {  // a slow provider: 800 ms to accept
    v2::OpenProviderStreamResponse msg;
    while (provider.stream().Read(&msg)) {
      if (!msg.has_batch_actuate_stream_request()) continue;
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      for (const auto& r : msg.batch_actuate_stream_request().actuate_requests()) {
        provider.Acknowledge(r.signal_id().id());
      }
    }
  });
  ClientRun run = Run(
      {
          {{"action", "set"}, {"path", kVolume}, {"value", "20"}, {"requestId", "slow"}},
          {{"action", "get"}, {"path", kSpeed}, {"requestId", "fast"}},
      },
      "--pipeline");
  provider.stream().WritesDone();
  serve.join();
  ASSERT_EQ(run.exit, 0);
  ASSERT_EQ(run.messages.size(), 3u);
  EXPECT_EQ(run.messages[1]["requestId"], "fast");  // answered while the set waited
  EXPECT_EQ(run.messages[2]["requestId"], "slow");
  EXPECT_FALSE(run.messages[2].contains("error")) << run.messages[2];
}

TEST_F(VissTest, SubscriptionsDeliverChangesAndTheirFiltersSelect) {
  ASSERT_TRUE(Publish(kSpeed, Float(0)).ok());
  // Speed goes 0, 10, ... 100 and round again until the client has its
  // events: an unfiltered, a range (> 50) and a change (a rise of more
  // than 5 since the value before) subscription.
  SpeedRamp ramp(*this);
  ClientRun run = Run(
      {
          {{"action", "subscribe"}, {"path", kSpeed}, {"requestId", "all"}},
          {{"action", "subscribe"},
           {"path", kSpeed},
           {"filter",
            {{"type", "range"}, {"parameter", {{"boundary-op", "gt"}, {"boundary", "50"}}}}},
           {"requestId", "range"}},
          {{"action", "subscribe"},
           {"path", kSpeed},
           {"filter", {{"type", "change"}, {"parameter", {{"logic-op", "gt"}, {"diff", "5"}}}}},
           {"requestId", "change"}},
      },
      "--events 120");
  ramp.Stop();
  ASSERT_EQ(run.exit, 0);
  std::string all = run.Answer("all").value("subscriptionId", "");
  std::string range = run.Answer("range").value("subscriptionId", "");
  std::string change = run.Answer("change").value("subscriptionId", "");
  ASSERT_FALSE(all.empty() || range.empty() || change.empty());
  EXPECT_TRUE(all != range && range != change);
  auto value = [](const json& e) { return std::stod(e["data"]["dp"]["value"].get<std::string>()); };
  std::vector<json> every = run.Events(all), ranged = run.Events(range),
                    changed = run.Events(change);
  EXPECT_GE(every.size(), 10u);
  ASSERT_FALSE(ranged.empty());
  for (const json& e : ranged) EXPECT_GT(value(e), 50) << e;
  // Each rise is 10 from the value before; the fall 100 -> 0 is no rise.
  ASSERT_GE(changed.size(), 5u);
  for (const json& e : changed) EXPECT_GE(value(e), 10) << e;
  EXPECT_LT(changed.size(), every.size());
  EXPECT_EQ(every.front()["data"]["path"], kSpeed);
}

TEST_F(VissTest, TimebasedSamplesAtItsPeriodAndUnsubscribeEndsIt) {
  ASSERT_TRUE(Publish(kSpeed, Float(7)).ok());
  ClientRun run = Run(
      {
          {{"action", "subscribe"},
           {"path", kSpeed},
           {"filter", {{"type", "timebased"}, {"parameter", {{"period", 100}}}}},
           {"requestId", "t"}},
          {{"action", "subscribe"},
           {"path", kSpeed},
           {"filter", {{"type", "timebased"}, {"parameter", {{"period", "soon"}}}}},
           {"requestId", "bad"}},
          {{"action", "unsubscribe"}, {"subscriptionId", "404"}, {"requestId", "u0"}},
      },
      "--events 4");
  ASSERT_EQ(run.exit, 0);
  std::string id = run.Answer("t").value("subscriptionId", "");
  ASSERT_FALSE(id.empty()) << run.Answer("t");
  std::vector<json> events = run.Events(id);
  ASSERT_EQ(events.size(), 4u);  // Speed never changed: these are samples
  for (const json& e : events) EXPECT_EQ(e["data"]["dp"]["value"], "7");
  EXPECT_EQ(Reason(run.Answer("bad")), "bad_request");
  EXPECT_EQ(Reason(run.Answer("u0")), "unavailable_data");

  // Unsubscribing answers with the id, and no event follows.
  ClientRun second = Run({
      {{"action", "subscribe"}, {"path", kSpeed}, {"requestId", "s"}},
      {{"action", "unsubscribe"}, {"subscriptionId", "1"}, {"requestId", "u"}},
      {{"action", "unsubscribe"}, {"subscriptionId", "1"}, {"requestId", "again"}},
  });
  ASSERT_EQ(second.exit, 0);
  EXPECT_EQ(second.Answer("u")["subscriptionId"], "1");
  EXPECT_FALSE(second.Answer("u").contains("error"));
  EXPECT_EQ(Reason(second.Answer("again")), "unavailable_data");
}

TEST_F(VissTest, CurvelogSendsTheEssentialPointsOfAFullBuffer) {
  // Ten samples 100 ms apart (the provider's timestamps) on a straight
  // ramp with one spike: the curve needs the ends, the spike and the
  // points where the ramp leaves and rejoins it.
  auto publish_ramp = [&] {
    for (int i = 0; i < 10; ++i) {
      v2::PublishValueRequest req;
      *req.mutable_signal_id() = ByPath(kSpeed);
      *req.mutable_data_point()->mutable_value() = Float(i == 5 ? 50.0f : static_cast<float>(i));
      req.mutable_data_point()->mutable_timestamp()->set_seconds(1'700'000'000 + i / 10);
      req.mutable_data_point()->mutable_timestamp()->set_nanos((i % 10) * 100'000'000);
      v2::PublishValueResponse resp;
      ASSERT_TRUE(stub_->PublishValue(Call().get(), req, &resp).ok());
    }
  };
  std::thread feed([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // after the subscribe
    publish_ramp();
  });
  ClientRun run = Run(
      {{{"action", "subscribe"},
        {"path", kSpeed},
        {"filter", {{"type", "curvelog"}, {"parameter", {{"maxerr", "0.5"}, {"bufsize", "10"}}}}},
        {"requestId", "c"}},
       {{"action", "subscribe"},
        {"path", kSpeed},
        {"filter", {{"type", "curvelog"}, {"parameter", {{"maxerr", "0.5"}, {"bufsize", "1"}}}}},
        {"requestId", "tiny"}}},
      "--events 1");
  feed.join();
  ASSERT_EQ(run.exit, 0);
  EXPECT_EQ(Reason(run.Answer("tiny")), "bad_request");
  std::string id = run.Answer("c").value("subscriptionId", "");
  std::vector<json> events = run.Events(id);
  ASSERT_EQ(events.size(), 1u);
  json dps = events[0]["data"]["dp"];
  ASSERT_TRUE(dps.is_array()) << events[0];
  std::vector<std::string> values;
  for (const json& dp : dps) values.push_back(dp["value"]);
  // The buffer: the value at subscribe time (none yet, so not counted),
  // then 0..9 with 50 at 5. Kept: 0, 4, 50, 6, 9.
  EXPECT_EQ(values, (std::vector<std::string>{"0", "4", "50", "6", "9"})) << dps;
  EXPECT_EQ(dps[0]["ts"], "2023-11-14T22:13:20.000Z");
}

TEST_F(VissTest, HistoryAnswersTheEarlierValuesOfThePeriod) {
  for (float v : {1.0f, 2.0f, 3.0f}) ASSERT_TRUE(Publish(kSpeed, Float(v)).ok());
  ClientRun run = Run({
      {{"action", "get"},
       {"path", kSpeed},
       {"filter", {{"type", "history"}, {"parameter", "PT1M"}}},
       {"requestId", "h"}},
      {{"action", "get"},
       {"path", kSpeed},
       {"filter", {{"type", "history"}, {"parameter", "one minute"}}},
       {"requestId", "bad"}},
  });
  ASSERT_EQ(run.exit, 0);
  json dps = run.Answer("h")["data"]["dp"];
  ASSERT_TRUE(dps.is_array()) << run.Answer("h");
  ASSERT_EQ(dps.size(), 2u);  // the current value (3) is not history
  EXPECT_EQ(dps[0]["value"], "1");
  EXPECT_EQ(dps[1]["value"], "2");
  EXPECT_EQ(Reason(run.Answer("bad")), "bad_request");
  auto [http, status] = Curl("-G http://" + viss_ + "/Vehicle/Speed --data-urlencode " +
                             "'filter={\"type\":\"history\",\"parameter\":\"PT1M\"}'");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(http["data"]["dp"].size(), 2u) << http;
}

TEST_F(VissTest, DynamicMetadataMeasuresSampleRateAndTellsAvailability) {
  for (int i = 0; i < 5; ++i) {  // 5 updates, 50 ms apart: about 20 per second
    ASSERT_TRUE(Publish(kSpeed, Float(static_cast<float>(i))).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(Publish(kDoor, Bool(true)).ok());
  auto dynamic = [](const char* path, const char* key, const char* id) {
    return json{{"action", "get"},
                {"path", path},
                {"filter", {{"type", "dynamic-metadata"}, {"parameter", key}}},
                {"requestId", id}};
  };
  json both = dynamic("Vehicle.Cabin.Door.Row1", "availability", "a");
  both["filter"] = json::array(
      {{{"type", "paths"}, {"parameter", {"DriverSide.IsOpen", "PassengerSide.IsOpen"}}},
       both["filter"]});
  ClientRun run = Run({
      dynamic(kSpeed, "samplerate", "rate"),
      both,
      dynamic(kSpeed, "validate", "validate"),
      dynamic(kDoor, "samplerate", "one"),
      dynamic(kSpeed, "colour", "bad"),
  });
  ASSERT_EQ(run.exit, 0);
  double rate = std::stod(run.Answer("rate")["data"]["dp"]["value"].get<std::string>());
  EXPECT_GT(rate, 5) << run.Answer("rate");
  EXPECT_LT(rate, 40) << run.Answer("rate");
  json doors = run.Answer("a")["data"];
  ASSERT_TRUE(doors.is_array()) << run.Answer("a");
  EXPECT_EQ(doors[0]["path"], kDoor);
  EXPECT_EQ(doors[0]["dp"]["value"], "available");
  EXPECT_EQ(doors[1]["path"], kOtherDoor);
  EXPECT_EQ(doors[1]["dp"]["value"], "unavailable");              // no value yet
  EXPECT_EQ(Reason(run.Answer("validate")), "unavailable_data");  // authorization is off
  EXPECT_EQ(Reason(run.Answer("one")), "unavailable_data");       // one update is no rate
  EXPECT_EQ(Reason(run.Answer("bad")), "bad_request");
}

TEST_F(VissTest, HttpReadsWithGetSetsWithPostAndAnswersErrorsAsStatuses) {
  ASSERT_TRUE(Publish(kSpeed, Float(42.5)).ok());
  ASSERT_TRUE(Publish(kDoor, Bool(true)).ok());
  std::string base = "http://" + viss_;
  auto [speed, ok] = Curl(base + "/Vehicle/Speed");
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(speed["data"]["path"], kSpeed);
  EXPECT_EQ(speed["data"]["dp"]["value"], "42.5");
  EXPECT_FALSE(speed.contains("action"));
  EXPECT_EQ(Curl(base + "/Vehicle.Speed").second, 200);  // the standard's dotted form too
  auto [door, door_status] = Curl("-G " + base + "/Vehicle/Cabin/Door --data-urlencode " +
                                  "'filter={\"type\":\"paths\",\"parameter\":\"*.*.IsOpen\"}'");
  EXPECT_EQ(door_status, 200);
  EXPECT_EQ(door["data"]["path"], kDoor) << door;  // one door has a value: an object
  auto [meta, meta_status] = Curl("-G " + base + "/Vehicle/Speed --data-urlencode " +
                                  "'filter={\"type\":\"static-metadata\",\"parameter\":\"unit\"}'");
  EXPECT_EQ(meta_status, 200);
  EXPECT_EQ(meta["metadata"]["Speed"]["unit"], "km/h");

  auto [missing, not_found] = Curl(base + "/Vehicle/NoSuchThing");
  EXPECT_EQ(not_found, 404);
  EXPECT_EQ(missing["error"]["reason"], "unavailable_data");
  EXPECT_EQ(Curl("-X POST " + base + "/Vehicle/Speed -d '{\"value\":\"1\"}'").second, 403);
  EXPECT_EQ(Curl("-X POST " + base + "/Vehicle/Cabin/Infotainment/Media/Volume -d 'loud'").second,
            400);
  EXPECT_EQ(Curl("-X POST " + base + "/Vehicle/Cabin/Infotainment/Media/Volume " +
                 "-d '{\"value\":\"30\"}'")
                .second,
            503);  // no provider
  EXPECT_EQ(Curl("-G " + base + "/Vehicle/Speed --data-urlencode " +
                 "'filter={\"type\":\"timebased\",\"parameter\":{\"period\":\"9\"}}'")
                .second,
            400);  // subscriptions are WebSocket's
  EXPECT_EQ(Curl("-X DELETE " + base + "/Vehicle/Speed").second, 405);
  // Bytes that are not UTF-8 in the URL are answered, and the server lives on.
  EXPECT_EQ(Curl(base + "/Vehicle/%FF%FE").second, 404);
  EXPECT_EQ(Curl(base + "/Vehicle/Speed").second, 200);
}

class SecuredVissTest : public VissTest {
 protected:
  explicit SecuredVissTest(std::vector<std::string> extra = {})
      : VissTest(WithKey(std::move(extra))) {}
  static std::vector<std::string> WithKey(std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--jwt-public-key", Key() + ".pub"});
    return extra;
  }
  static std::string Key() { return JwtKey(); }
  // A provider's publish, with a token that may provide.
  void PublishAsProvider(const std::string& path, const v2::Value& value) {
    v2::PublishValueRequest req;
    *req.mutable_signal_id() = ByPath(path);
    *req.mutable_data_point()->mutable_value() = value;
    v2::PublishValueResponse resp;
    ASSERT_TRUE(
        stub_->PublishValue(Call(KuksaToken(Key() + ".key", "provide")).get(), req, &resp).ok());
  }
};

TEST_F(SecuredVissTest, TokensDecideAndEachRefusalHasItsReason) {
  PublishAsProvider(kSpeed, Float(3));

  std::string reader = KuksaToken(Key() + ".key", "read:Vehicle.Speed");
  std::string cabin = KuksaToken(Key() + ".key", "read:Vehicle.Cabin");
  std::string expired = KuksaToken(Key() + ".key", "read", -60);
  ClientRun run = Run({
      {{"action", "get"}, {"path", kSpeed}, {"requestId", "none"}},
      {{"action", "get"}, {"path", kSpeed}, {"authorization", "not.a.token"}, {"requestId", "bad"}},
      {{"action", "get"}, {"path", kSpeed}, {"authorization", expired}, {"requestId", "old"}},
      {{"action", "get"}, {"path", kSpeed}, {"authorization", cabin}, {"requestId", "scope"}},
      {{"action", "subscribe"}, {"path", kSpeed}, {"authorization", cabin}, {"requestId", "sub"}},
      {{"action", "get"}, {"path", kSpeed}, {"authorization", reader}, {"requestId", "good"}},
  });
  ASSERT_EQ(run.exit, 0);
  EXPECT_EQ(Reason(run.Answer("none")), "missing_token");
  EXPECT_EQ(Number(run.Answer("none")), 401);
  EXPECT_EQ(Reason(run.Answer("bad")), "invalid_token");
  EXPECT_EQ(Reason(run.Answer("old")), "expired_token");
  EXPECT_EQ(Reason(run.Answer("scope")), "forbidden_request");
  EXPECT_EQ(Number(run.Answer("scope")), 403);
  EXPECT_EQ(run.Answer("good")["data"]["dp"]["value"], "3");
  EXPECT_EQ(Reason(run.Answer("sub")), "forbidden_request");

  // HTTP: the token in the Authorization header.
  std::string url = "http://" + viss_ + "/Vehicle/Speed";
  std::string out;
  ASSERT_EQ(RunCommand("curl -s -i " + url, &out), 0);
  EXPECT_NE(out.find("401 Unauthorized"), std::string::npos) << out;
  EXPECT_NE(out.find("WWW-Authenticate: Bearer"), std::string::npos) << out;
  EXPECT_NE(out.find("missing_token"), std::string::npos) << out;
  EXPECT_EQ(Curl("-H 'Authorization: Bearer " + cabin + "' " + url).second, 403);
  auto [good, status] = Curl("-H 'Authorization: Bearer " + reader + "' " + url);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(good["data"]["dp"]["value"], "3");
}

TEST_F(SecuredVissTest, AWebSocketKeepsItsTokensAndAnExpiringOneEndsItsSubscription) {
  PublishAsProvider(kSpeed, Float(7));
  std::string reader = KuksaToken(Key() + ".key", "read:Vehicle.Speed");
  std::string brief = KuksaToken(Key() + ".key", "read:Vehicle.Cabin", 2);
  ClientRun run = Run(
      {
          {{"action", "get"}, {"path", kSpeed}, {"authorization", reader}, {"requestId", "given"}},
          {{"action", "get"}, {"path", kSpeed}, {"requestId", "kept"}},
          {{"action", "get"}, {"path", kDoor}, {"requestId", "beyond"}},
          {{"action", "subscribe"}, {"path", kDoor}, {"authorization", brief}, {"requestId", "s"}},
      },
      "--events 1 --timeout 6");
  ASSERT_EQ(run.exit, 0) << run.messages.back();
  EXPECT_EQ(run.Answer("given")["data"]["dp"]["value"], "7");
  EXPECT_EQ(run.Answer("kept")["data"]["dp"]["value"], "7");     // the channel's token
  EXPECT_EQ(Reason(run.Answer("beyond")), "forbidden_request");  // a token is held: 403, not 401
  std::string id = run.Answer("s").value("subscriptionId", "");
  ASSERT_FALSE(id.empty()) << run.Answer("s");
  std::vector<json> events = run.Events(id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Reason(events[0]), "expired_token") << events[0];
  EXPECT_EQ(Number(events[0]), 401);
}

class PublicScopeVissTest : public SecuredVissTest {
 protected:
  PublicScopeVissTest() : SecuredVissTest({"--public-scope", "read:Vehicle.Speed"}) {}
};

TEST_F(PublicScopeVissTest, PublicPathsNeedNoTokenOnAnyFrontEnd) {
  PublishAsProvider(kSpeed, Float(5));

  ClientRun run = Run({{{"action", "get"}, {"path", kSpeed}, {"requestId", "open"}},
                       {{"action", "get"}, {"path", kDoor}, {"requestId", "closed"}}});
  ASSERT_EQ(run.exit, 0);
  EXPECT_EQ(run.Answer("open")["data"]["dp"]["value"], "5");
  EXPECT_EQ(Reason(run.Answer("closed")), "missing_token");
  EXPECT_EQ(Curl("http://" + viss_ + "/Vehicle/Speed").second, 200);
  EXPECT_EQ(Curl("http://" + viss_ + "/Vehicle/Cabin/Door/Row1/DriverSide/IsOpen").second, 401);
  // gRPC judges the same way: the public path without a token, the rest UNAUTHENTICATED.
  // validate: which operations need a token here.
  std::string reader = KuksaToken(Key() + ".key", "read");
  json validate = {
      {"action", "get"},
      {"path", "Vehicle"},
      {"filter", json::array({{{"type", "paths"},
                               {"parameter", {"Speed", "Cabin.Door.Row1.DriverSide.IsOpen"}}},
                              {{"type", "dynamic-metadata"}, {"parameter", "validate"}}})},
      {"authorization", reader},
      {"requestId", "v"}};
  ClientRun tags = Run({validate});
  ASSERT_EQ(tags.exit, 0);
  json data = tags.Answer("v")["data"];
  ASSERT_TRUE(data.is_array()) << tags.Answer("v");
  EXPECT_EQ(data[0]["dp"]["value"], "write-only");  // Speed: reading is public
  EXPECT_EQ(data[1]["dp"]["value"], "read-write");
  v2::GetValueRequest get;
  *get.mutable_signal_id() = ByPath(kSpeed);
  v2::GetValueResponse got;
  EXPECT_TRUE(stub_->GetValue(Call().get(), get, &got).ok());
  *get.mutable_signal_id() = ByPath(kDoor);
  EXPECT_EQ(stub_->GetValue(Call().get(), get, &got).error_code(), grpc::UNAUTHENTICATED);
}

class TlsVissTest : public VissTest {
 protected:
  TlsVissTest()
      : VissTest(
            {"--tls-cert", Pki() + "/broker.pem", "--tls-private-key", Pki() + "/broker.key"}) {}
  static std::string Pki() {
    static TempDir dir;
    static bool made = [] {
      std::string log;
      return MakeCa(dir.path(), "ca", &log) &&
             MakeCertificate(dir.path(), "ca", "broker", "IP:127.0.0.1", &log);
    }();
    (void)made;
    return dir.path();
  }
  void SetUp() override {
    VissTest::SetUp();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(Pki() + "/ca.pem");
    stub_ = v2::VAL::NewStub(
        grpc::CreateChannel(broker_.process().address(), grpc::SslCredentials(ssl)));
  }
};

TEST_F(TlsVissTest, WithACertificateOnlyWssAndHttpsAreServed) {
  ASSERT_TRUE(Publish(kSpeed, Float(12)).ok());
  ClientRun secure =
      Run({{{"action", "get"}, {"path", kSpeed}, {"requestId", "1"}},
           {{"action", "get"},
            {"path", "Vehicle"},
            {"filter", {{"type", "dynamic-metadata"}, {"parameter", "server_capabilities"}}},
            {"requestId", "2"}}},
          "--ca " + Pki() + "/ca.pem", "wss");
  ASSERT_EQ(secure.exit, 0) << (secure.messages.empty() ? "" : secure.messages[0].dump());
  EXPECT_EQ(secure.Answer("1")["data"]["dp"]["value"], "12");
  EXPECT_EQ(secure.Answer("2")["metadata"]["transport_protocol"], json({"wss", "https"}));

  ClientRun plain = Run({{{"action", "get"}, {"path", kSpeed}, {"requestId", "1"}}});
  EXPECT_NE(plain.exit, 0);  // plain ws on a TLS port gets no WebSocket
  EXPECT_TRUE(plain.Answer("1").is_null());

  auto [https, status] = Curl("--cacert " + Pki() + "/ca.pem https://" + viss_ + "/Vehicle/Speed");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(https["data"]["dp"]["value"], "12");
  EXPECT_EQ(Curl("http://" + viss_ + "/Vehicle/Speed").second, 0);  // no plaintext answer
}

TEST(VissOptionsTest, BeyondLoopbackVissNeedsAuthorizationAndPlainWsItsFlag) {
  BrokerUnderTest open({"--enable-viss", "--viss-port", "0", "--viss-address", "0.0.0.0"});
  EXPECT_FALSE(open.Start());
  EXPECT_NE(open.process().Log().find("without authorization"), std::string::npos)
      << open.process().Log();
  BrokerUnderTest plain({"--enable-viss", "--viss-port", "0", "--viss-address", "0.0.0.0",
                         "--disable-authorization"});
  EXPECT_FALSE(plain.Start());
  EXPECT_NE(plain.process().Log().find("--viss-allow-plaintext"), std::string::npos)
      << plain.process().Log();
}

}  // namespace
}  // namespace pharos::e2e
