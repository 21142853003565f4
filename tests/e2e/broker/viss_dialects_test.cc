// The other VISS dialects on the same port and core, negotiated by
// WebSocket subprotocol: the seed's W3C draft ("VISS1.0") and VISS v3
// ("VISSv3"), against the real pharos-broker with Debian's
// python3-websocket.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/ascii.h"
#include "e2e/broker/viss_fixture.h"

namespace pharos::e2e {
namespace {

// The message answering draft request `req_id` (not an event).
json DraftAnswer(const ClientRun& run, const json& req_id) {
  for (const json& m : run.messages) {
    if (m.contains("reqId") && m["reqId"] == req_id) return m;
  }
  return json();
}
std::vector<json> DraftEvents(const ClientRun& run, int sub_id) {
  std::vector<json> out;
  for (const json& m : run.messages) {
    if (m.value("subId", -1) == sub_id && !m.contains("action")) out.push_back(m);
  }
  return out;
}

TEST_F(VissTest, TheHandshakeNegotiatesTheFirstServedSubprotocolOffered) {
  ClientRun none =
      Run({{{"action", "get"}, {"path", kSpeed}, {"requestId", "1"}}}, "--no-subprotocol");
  ASSERT_EQ(none.exit, 0);  // no subprotocol offered: v2
  EXPECT_TRUE(none.messages.front()["subprotocol"].is_null());
  EXPECT_EQ(Reason(none.Answer("1")), "unavailable_data");

  // (python3-websocket reports the chosen subprotocol in lower case.)
  for (std::string p : {"vissv2", "viss1.0", "vissv3"}) {
    ClientRun run = Run({}, "--subprotocol " + p);
    EXPECT_EQ(run.exit, 3) << p << ": subprotocol names are case-sensitive";
  }
  for (const char* p : {"VISSv2", "VISS1.0", "VISSv3"}) {
    ClientRun run = Run({}, std::string("--subprotocol ") + p);
    EXPECT_EQ(run.exit, 0) << p;
    ASSERT_FALSE(run.messages.empty());
    EXPECT_EQ(run.messages.front()["subprotocol"], absl::AsciiStrToLower(p));
  }
  ClientRun preferred = Run({}, "--subprotocol VISSv9,VISSv3,VISSv2");
  ASSERT_FALSE(preferred.messages.empty());
  EXPECT_EQ(preferred.messages.front()["subprotocol"], "vissv3");  // the first one served
  // The server names it exactly as the standard spells it.
  std::string out;
  RunCommand(
      "curl -s -i --max-time 1 -H 'Connection: Upgrade' -H 'Upgrade: websocket' "
      "-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "
      "-H 'Sec-WebSocket-Protocol: VISS1.0' http://" +
          viss_ + "/",
      &out);
  EXPECT_NE(out.find("101 Switching Protocols"), std::string::npos) << out;
  EXPECT_NE(out.find("Sec-WebSocket-Protocol: VISS1.0"), std::string::npos) << out;

  ClientRun unknown = Run({}, "--subprotocol VISSv9");
  EXPECT_EQ(unknown.exit, 3);
  ASSERT_FALSE(unknown.messages.empty());
  EXPECT_EQ(unknown.messages.front()["handshake"], 501);
}

TEST_F(VissTest, TheSeedsDraftDialectGetsSetsAndAnswersWithItsErrorCodes) {
  ASSERT_TRUE(Publish(kSpeed, Float(42.5)).ok());
  ASSERT_TRUE(Publish(kDoor, Bool(true)).ok());
  ClientRun run = Run(
      {
          {{"action", "get"}, {"path", kSpeed}, {"reqId", "g1"}},
          {{"action", "get"}, {"path", " Vehicle.Cabin.Door.*.*.IsOpen "}, {"reqId", 2}},
          {{"action", "get"}, {"path", "Vehicle.Flux.Capacitor"}, {"reqId", "e1"}},
          {{"action", "set"}, {"path", kSpeed}, {"value", 2000}, {"reqId", "e2"}},
          {{"action", "set"}, {"path", kVolume}, {"value", "loud"}, {"reqId", "e3"}},
          {{"action", "subscribe"},
           {"path", kSpeed},
           {"onchange", true},
           {"interval", 100},
           {"reqId", "e4"}},
          {{"action", "fly"}, {"path", kSpeed}, {"reqId", "e5"}},
          {{"action", "unsubscribe"}, {"id", 3542}, {"reqId", "e6"}},
      },
      "--subprotocol VISS1.0");
  ASSERT_EQ(run.exit, 0);
  json g1 = DraftAnswer(run, "g1");
  EXPECT_EQ(g1["action"], "get");
  EXPECT_EQ(g1["path"], kSpeed);
  EXPECT_EQ(g1["value"], 42.5);                            // plain JSON, not v2's text
  EXPECT_TRUE(g1["timestamp"].is_number_integer()) << g1;  // milliseconds
  json g2 = DraftAnswer(run, 2);                           // a numeric reqId comes back as a number
  EXPECT_EQ(g2["value"]["Row1"]["DriverSide"]["IsOpen"], true) << g2;

  auto error = [&](const char* id) { return DraftAnswer(run, id)["error"]; };
  EXPECT_EQ(error("e1")["number"], 404);
  EXPECT_EQ(error("e1")["code"], "invalid_path");
  EXPECT_EQ(error("e2")["number"], 403);  // a sensor is not settable
  EXPECT_EQ(error("e2")["code"], "user_forbidden");
  EXPECT_EQ(DraftAnswer(run, "e2")["value"], 2000);  // the seed's errors echo the request
  EXPECT_EQ(error("e3")["code"], "none_settable_path");
  EXPECT_EQ(error("e4")["code"], "unrecognised_format");  // the seed's own example
  EXPECT_EQ(DraftAnswer(run, "e4")["interval"], 100);
  EXPECT_EQ(error("e5")["number"], 400);
  EXPECT_EQ(error("e6")["code"], "invalid_ID");
  EXPECT_EQ(DraftAnswer(run, "e6")["id"], 3542);
}

TEST_F(VissTest, TheDraftDialectSubscribesByIntervalAndOnchangeAndUnsubscribesAll) {
  ASSERT_TRUE(Publish(kSpeed, Float(0)).ok());
  // Speed goes 0, 10, ... 100 and round again.
  SpeedRamp ramp(*this);
  ClientRun run = Run(
      {
          {{"action", "subscribe"}, {"path", kSpeed}, {"reqId", "every"}},
          {{"action", "subscribe"},
           {"path", kSpeed},
           {"onchange", {{"above", 30}, {"below", 70}, {"minChange", 20}}},
           {"reqId", "band"}},
          {{"action", "subscribe"}, {"path", kSpeed}, {"interval", 100}, {"reqId", "tick"}},
      },
      "--subprotocol VISS1.0 --events 60");
  ramp.Stop();
  ASSERT_EQ(run.exit, 0);
  int every = DraftAnswer(run, "every").value("subId", 0);
  int band = DraftAnswer(run, "band").value("subId", 0);
  int tick = DraftAnswer(run, "tick").value("subId", 0);
  ASSERT_TRUE(every > 0 && band > 0 && tick > 0) << DraftAnswer(run, "band");
  EXPECT_EQ(DraftAnswer(run, "band")["onchange"]["minChange"], 20);  // the answer echoes it
  EXPECT_GE(DraftEvents(run, every).size(), 10u);
  std::vector<json> banded = DraftEvents(run, band);
  ASSERT_FALSE(banded.empty());
  double last = -100;
  for (const json& e : banded) {
    double v = e["value"].get<double>();
    EXPECT_TRUE(v >= 30 && v <= 70) << e;    // inside the bounds
    EXPECT_GE(std::abs(v - last), 20) << e;  // moved by minChange since the last one sent
    EXPECT_EQ(e["path"], kSpeed);
    last = v;
  }
  EXPECT_FALSE(DraftEvents(run, tick).empty());

  // Unsubscribe id 0: all of them; afterwards no subscription is left.
  ClientRun all = Run(
      {
          {{"action", "subscribe"}, {"path", kSpeed}, {"interval", 50}, {"reqId", "a"}},
          {{"action", "subscribe"}, {"path", kSpeed}, {"interval", 50}, {"reqId", "b"}},
          {{"action", "unsubscribe"}, {"id", 0}, {"reqId", "u"}},
          {{"action", "unsubscribe"}, {"id", 1}, {"reqId", "gone"}},
      },
      "--subprotocol VISS1.0");
  ASSERT_EQ(all.exit, 0);
  EXPECT_EQ(DraftAnswer(all, "u")["status"], "success");
  EXPECT_EQ(DraftAnswer(all, "u")["id"], 0);
  EXPECT_EQ(DraftAnswer(all, "gone")["error"]["code"], "invalid_ID");
}

TEST_F(VissTest, VissV3NamesTheFilterVariantAndSendsErrorNumbersAsText) {
  ASSERT_TRUE(Publish(kSpeed, Float(42.5)).ok());
  ASSERT_TRUE(Publish(kDoor, Bool(true)).ok());
  ClientRun run = Run(
      {
          {{"action", "get"}, {"path", kSpeed}, {"requestId", "1"}},
          {{"action", "get"},
           {"path", "Vehicle.Cabin.Door"},
           {"filter", {{"variant", "paths"}, {"parameter", {"*.*.IsOpen"}}}},
           {"requestId", "2"}},
          {{"action", "get"},
           {"path", kSpeed},
           {"filter", {{"variant", "metadata"}, {"parameter", "unit"}}},
           {"requestId", "3"}},
          {{"action", "subscribe"},
           {"path", kSpeed},
           {"filter",
            {{"variant", "range"}, {"parameter", {{"logic-op", "gt"}, {"boundary", "40"}}}}},
           {"requestId", "4"}},
          {{"action", "get"}, {"path", "Vehicle.NoSuchThing"}, {"requestId", "5"}},
          {{"action", "get"},
           {"path", kSpeed},
           {"filter", {{"type", "paths"}, {"parameter", "x"}}},
           {"requestId", "6"}},
      },
      "--subprotocol VISSv3 --events 1");
  ASSERT_EQ(run.exit, 0);
  EXPECT_EQ(run.Answer("1")["data"]["dp"]["value"], "42.5");
  EXPECT_EQ(run.Answer("2")["data"]["path"], kDoor);
  EXPECT_EQ(run.Answer("3")["metadata"]["Speed"]["unit"], "km/h");
  std::string id = run.Answer("4").value("subscriptionId", "");
  ASSERT_FALSE(id.empty()) << run.Answer("4");
  ASSERT_FALSE(run.Events(id).empty());
  EXPECT_EQ(run.Events(id)[0]["data"]["dp"]["value"], "42.5");  // in the range
  json e5 = run.Answer("5")["error"];
  EXPECT_EQ(e5["number"], "404");  // a string in v3
  EXPECT_EQ(e5["reason"], "unavailable_data");
  EXPECT_FALSE(e5.value("description", "").empty());
  EXPECT_FALSE(e5.contains("message"));
  EXPECT_EQ(run.Answer("6")["error"]["reason"], "bad_request");  // v2's "type" is not v3
}

}  // namespace
}  // namespace pharos::e2e
