// VISS v2 over MQTT (the v2.0 transport text's application level
// protocol) through a real mosquitto (Debian's), with mosquitto_pub and
// mosquitto_sub as the cloud-side client: requests on "<vehicle>/Vehicle"
// as {"topic", "request"}, answers and events on the client's topic.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "e2e/broker/viss_fixture.h"
#include "e2e/mosquitto.h"

namespace pharos::e2e {
namespace {

constexpr char kVehicle[] = "VIN-E2E";

Mosquitto& SharedMosquitto() {
  static Mosquitto m;
  return m;
}

class VissMqttTest : public VissTest {
 protected:
  explicit VissMqttTest(std::vector<std::string> extra = {})
      : VissTest(WithMqtt(std::move(extra))) {}
  static std::vector<std::string> WithMqtt(std::vector<std::string> extra) {
    extra.insert(extra.end(), {"--viss-mqtt-broker", SharedMosquitto().url(),
                               "--viss-mqtt-vehicle-id", kVehicle});
    return extra;
  }
  void SetUp() override {
    ASSERT_TRUE(SharedMosquitto().started()) << "mosquitto did not start";
    VissTest::SetUp();
    // The broker connects to mosquitto on its own time: wait until a probe is answered.
    for (int i = 0; i < 40; ++i) {
      if (!Exchange("probe/" + std::to_string(i),
                    {R"({"action":"get","path":"Vehicle","requestId":"p",
                         "filter":{"type":"dynamic-metadata","parameter":"server_capabilities"}})"},
                    1, 1)
               .empty()) {
        return;
      }
    }
    FAIL() << "pharos-broker never answered over MQTT:\n" << broker_.process().Log();
  }

  // The envelope of the transport text: where to answer, and the request.
  static std::string Envelope(const std::string& topic, const std::string& request) {
    return json{{"topic", topic}, {"request", request}}.dump();
  }

  // mosquitto_sub on `topic`; once it is subscribed, each of `requests` is
  // published (mosquitto_pub) in an envelope naming `topic` (a request that
  // starts with '!' is published raw, without the '!'). The JSON messages
  // that arrived, at most `count`, within `seconds`.
  std::vector<json> Exchange(const std::string& topic, const std::vector<std::string>& requests,
                             int count, int seconds) {
    static int n = 0;
    std::string file = broker_.dir() + "/sub" + std::to_string(++n);
    std::string port = std::to_string(SharedMosquitto().port());
    std::thread sub([&] {
      std::string ignored;
      RunCommand("stdbuf -oL mosquitto_sub -d -h 127.0.0.1 -p " + port + " -q 1 -t '" + topic +
                     "' -C " + std::to_string(count) + " -W " + std::to_string(seconds) + " > " +
                     file + " 2>&1",
                 &ignored);
    });
    for (int i = 0; i < 300 && ReadFile(file).find("SUBACK") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (const std::string& r : requests) {
      std::string body = r.rfind('!', 0) == 0 ? r.substr(1) : Envelope(topic, r);
      std::ofstream(broker_.dir() + "/payload", std::ios::trunc) << body;
      std::string out;
      EXPECT_EQ(RunCommand("mosquitto_pub -h 127.0.0.1 -p " + port + " -q 1 -t " + kVehicle +
                               "/Vehicle -f " + broker_.dir() + "/payload",
                           &out),
                0)
          << out;
    }
    sub.join();
    std::vector<json> messages;
    std::istringstream lines(ReadFile(file));
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] != '{') continue;  // mosquitto_sub -d's own lines
      json m = json::parse(line, nullptr, false);
      if (!m.is_discarded()) messages.push_back(m);
    }
    return messages;
  }
  static json ById(const std::vector<json>& messages, const std::string& request_id) {
    for (const json& m : messages) {
      if (m.value("requestId", "") == request_id && m.value("action", "") != "subscription") {
        return m;
      }
    }
    return json();
  }
};

TEST_F(VissMqttTest, AnswersOnTheClientsTopicAndSendsItsEventsThere) {
  ASSERT_TRUE(Publish(kSpeed, Float(42.5)).ok());
  std::vector<json> got = Exchange("cloud/client-a",
                                   {R"({"action":"get","path":"Vehicle.Speed","requestId":"1"})",
                                    R"({"action":"subscribe","path":"Vehicle.Speed",
           "filter":{"type":"timebased","parameter":{"period":"100"}},"requestId":"2"})"},
                                   5, 5);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(ById(got, "1")["data"]["dp"]["value"], "42.5");
  std::string id = ById(got, "2").value("subscriptionId", "");
  ASSERT_FALSE(id.empty()) << ById(got, "2");
  int events = 0;
  for (const json& m : got) {
    if (m.value("action", "") == "subscription") {
      EXPECT_EQ(m["subscriptionId"], id);
      EXPECT_EQ(m["data"]["dp"]["value"], "42.5");
      ++events;
    }
  }
  EXPECT_EQ(events, 3);

  // Unsubscribe: its answer, then nothing more on that topic.
  std::vector<json> ended = Exchange(
      "cloud/client-a",
      {json{{"action", "unsubscribe"}, {"subscriptionId", id}, {"requestId", "3"}}.dump()}, 1, 5);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]["action"], "unsubscribe");
  EXPECT_FALSE(ended[0].contains("error")) << ended[0];
  EXPECT_TRUE(Exchange("cloud/client-a", {}, 1, 1).empty());
}

TEST_F(VissMqttTest, ABadRequestIsAnsweredAndAMessageWithoutATopicIsDropped) {
  std::vector<json> got = Exchange(
      "cloud/client-b",
      {
          "!not json at all",                                          // nowhere to answer
          "!" + json{{"request", "{}"}}.dump(),                        // no topic: dropped
          "!" + json{{"topic", "cloud/#"}, {"request", "{}"}}.dump(),  // a wildcard: dropped
          R"({"action":"fly","requestId":"1"})",
          R"({"action":"get","path":"Vehicle.NoSuchThing","requestId":"2"})",
          "!" + json{{"topic", "cloud/client-b"}}.dump(),  // no request: 400
      },
      3, 5);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(Reason(ById(got, "1")), "bad_request");
  EXPECT_EQ(Reason(ById(got, "2")), "unavailable_data");
  // The envelope without a request: answered from the MQTT thread, so in any order.
  int envelope_errors = 0;
  for (const json& m : got) envelope_errors += !m.contains("requestId") && Number(m) == 400;
  EXPECT_EQ(envelope_errors, 1);
}

class SecuredVissMqttTest : public VissMqttTest {
 protected:
  SecuredVissMqttTest() : VissMqttTest({"--jwt-public-key", Key() + ".pub"}) {}
  static std::string Key() { return JwtKey(); }
};

TEST_F(SecuredVissMqttTest, EachMessageIsJudgedByItsOwnToken) {
  std::string reader = KuksaToken(Key() + ".key", "read:Vehicle.Speed");
  std::vector<json> got =
      Exchange("cloud/client-c",
               {
                   R"({"action":"get","path":"Vehicle.Speed","requestId":"none"})",
                   json{{"action", "get"},
                        {"path", "Vehicle.Speed"},
                        {"filter", {{"type", "static-metadata"}, {"parameter", "unit"}}},
                        {"authorization", reader},
                        {"requestId", "good"}}
                       .dump(),
                   // Unlike a WebSocket, a client topic keeps no token: anyone may publish with it.
                   R"({"action":"get","path":"Vehicle.Speed","requestId":"after"})",
               },
               3, 5);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(Reason(ById(got, "none")), "missing_token");
  EXPECT_EQ(ById(got, "good")["metadata"]["Speed"]["unit"], "km/h");
  EXPECT_EQ(Reason(ById(got, "after")), "missing_token");
}

}  // namespace
}  // namespace pharos::e2e
