// The VISS end-to-end fixture: the real pharos-broker with VISS on, a
// third-party WebSocket client (Debian's python3-websocket,
// viss_ws_client.py) run per test, curl for HTTP.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e/broker/broker_client.h"

namespace pharos::e2e {

using json = nlohmann::json;

inline constexpr char kSpeed[] = "Vehicle.Speed";  // float sensor
inline constexpr char kVolume[] =
    "Vehicle.Cabin.Infotainment.Media.Volume";  // uint8 actuator, max 100
inline constexpr char kDoor[] = "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen";  // boolean actuator
inline constexpr char kOtherDoor[] = "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen";

struct ClientRun {
  int exit = -1;
  std::vector<json> messages;  // the first is {"subprotocol": ...} or {"handshake": status}

  // The answer to `request_id`.
  json Answer(const std::string& request_id) const {
    for (const json& m : messages) {
      if (m.value("requestId", "") == request_id && m.value("action", "") != "subscription") {
        return m;
      }
    }
    return json();
  }
  std::vector<json> Events(const std::string& subscription_id) const {
    std::vector<json> out;
    for (const json& m : messages) {
      if (m.value("action", "") == "subscription" &&
          m.value("subscriptionId", "") == subscription_id) {
        out.push_back(m);
      }
    }
    return out;
  }
};

inline std::string Reason(const json& answer) {
  return answer.contains("error") ? answer["error"].value("reason", "") : "";
}
inline int Number(const json& answer) {
  return answer.contains("error") ? answer["error"].value("number", 0) : 0;
}

// curl: the body, then the status on its own last line.
inline std::pair<json, int> Curl(const std::string& args) {
  std::string out;
  if (RunCommand("curl -s -w '\\n%{http_code}' " + args, &out) != 0) return {json(), 0};
  size_t nl = out.rfind('\n');
  if (nl == std::string::npos) return {json(), 0};
  return {json::parse(out.substr(0, nl), nullptr, false), std::atoi(out.c_str() + nl + 1)};
}

class VissTest : public ::testing::Test {
 protected:
  explicit VissTest(std::vector<std::string> extra = {}) : broker_(Args(std::move(extra))) {}
  static std::vector<std::string> Args(std::vector<std::string> extra) {
    std::vector<std::string> args{"--enable-viss", "--viss-port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  void SetUp() override {
    ASSERT_TRUE(broker_.Start());
    std::ifstream ready(broker_.process().state_dir() + "/ready");
    for (std::string line; std::getline(ready, line);) {
      if (line.rfind("viss=", 0) == 0) viss_ = line.substr(5);
    }
    ASSERT_FALSE(viss_.empty()) << "the ready file names no VISS address";
    stub_ = broker_.V2();
  }

  // Runs the client with these requests (JSON objects, or raw text).
  ClientRun Run(const std::vector<json>& requests, const std::string& flags = "",
                const std::string& scheme = "ws") {
    std::string file = broker_.dir() + "/requests";
    std::ofstream out(file, std::ios::trunc);
    for (const json& r : requests) out << (r.is_string() ? r.get<std::string>() : r.dump()) << "\n";
    out.close();
    std::string output;
    ClientRun run;
    run.exit = RunCommand(std::string("/usr/bin/python3 ") + VISS_WS_CLIENT + " " + scheme + "://" +
                              viss_ + " " + flags + " < " + file + " 2>&1",
                          &output);
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      json m = json::parse(line, nullptr, false);
      EXPECT_FALSE(m.is_discarded()) << "not JSON from the client: " << line;
      if (!m.is_discarded()) run.messages.push_back(m);
    }
    return run;
  }

  grpc::Status Publish(const std::string& path, const v2::Value& value) {
    v2::PublishValueRequest req;
    *req.mutable_signal_id() = ByPath(path);
    *req.mutable_data_point()->mutable_value() = value;
    v2::PublishValueResponse resp;
    return stub_->PublishValue(Call().get(), req, &resp);
  }

  // Vehicle.Speed goes 10, 20 ... 100, 0 and round again, every 10 ms,
  // until Stop (or the end of the scope).
  class SpeedRamp {
   public:
    explicit SpeedRamp(VissTest& test)
        : feed_([this, &test] {
            for (int i = 1; !done_ && i < 2000; ++i) {
              test.Publish(kSpeed, Float(static_cast<float>((i % 11) * 10)));
              std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
          }) {}
    ~SpeedRamp() { Stop(); }
    void Stop() {
      done_ = true;
      if (feed_.joinable()) feed_.join();
    }

   private:
    std::atomic<bool> done_ = false;
    std::thread feed_;
  };

  BrokerUnderTest broker_;
  std::string viss_;
  std::unique_ptr<v2::VAL::Stub> stub_;
};

inline v2::Value Bool(bool b) {
  v2::Value v;
  v.set_bool_(b);
  return v;
}

// One key pair per test process for the tests with authorization:
// jwt.key signs, jwt.pub verifies.
inline std::string JwtKey() {
  static TempDir keys;
  static bool made = MakeKeyPair(keys.path(), "jwt", "ec256");
  (void)made;
  return keys.path() + "/jwt";
}

}  // namespace pharos::e2e
