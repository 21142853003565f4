// The SOVD REST view of pharos-sovd, driven by curl: the same core and ECUs
// as the gRPC front end, SOVD's resource shapes, HTTP status codes for the
// core's errors, HTTPS with mutual TLS and the allow-list, the audit log.
#include <nlohmann/json.hpp>

#include "e2e/sovd/sovd_fixture.h"
#include "e2e/test_pki.h"

namespace pharos::e2e {
namespace {

using nlohmann::json;

class SovdRestTest : public SovdTest {
 protected:
  void StartWithRest(std::vector<std::string> args = {}) {
    StartSim();
    args.insert(args.end(), {"--rest-port", "0"});
    StartSovd(args);
    std::string ready = ReadFile(dir_.path() + "/sovd/ready");
    size_t at = ready.find("rest=");
    ASSERT_NE(at, std::string::npos) << ready;
    rest_ = ready.substr(at + 5, ready.find('\n', at) - at - 5);
  }

  // curl's status code and body; `extra`: curl options.
  std::pair<int, std::string> Curl(const std::string& method, const std::string& path,
                                   const std::string& body = "", const std::string& extra = "",
                                   const std::string& scheme = "http") {
    std::string out;
    std::string cmd = "curl -s -S --max-time 10 -o " + dir_.path() + "/body -w '%{http_code}' -X " +
                      method + " " + extra + " ";
    if (!body.empty()) cmd += "-H 'Content-Type: application/json' -d '" + body + "' ";
    cmd += "'" + scheme + "://" + rest_ + path + "'";
    RunCommand(cmd, &out);
    int code = 0;
    try {
      code = std::stoi(out);
    } catch (...) {
    }
    return {code, ReadFile(dir_.path() + "/body")};
  }

  std::string rest_;
};

TEST_F(SovdRestTest, ComponentsFaultsAndTheirClearing) {
  StartWithRest();
  auto [code, body] = Curl("GET", "/sovd/v1/components");
  ASSERT_EQ(code, 200) << body;
  json components = json::parse(body)["items"];
  ASSERT_EQ(components.size(), 3u);
  EXPECT_EQ(components[0]["id"], "engine");
  EXPECT_EQ(components[0]["href"], "/sovd/v1/components/engine");

  ASSERT_EQ(Ctl("inject engine P0101"), "ok\n");
  auto [fcode, faults] = Curl("GET", "/sovd/v1/components/engine/faults");
  ASSERT_EQ(fcode, 200) << faults;
  json items = json::parse(faults)["items"];
  ASSERT_EQ(items.size(), 2u) << faults;
  EXPECT_EQ(items[0]["display_code"], "P0101");
  EXPECT_EQ(items[0]["fault_name"], "Mass or volume air flow sensor A circuit range/performance");
  EXPECT_EQ(items[0]["status"]["testFailed"], true);
  auto [mcode, active] = Curl("GET", "/sovd/v1/components/engine/faults?mask=0x01");
  EXPECT_EQ(json::parse(active)["items"].size(), 1u) << active;

  auto [dcode, dbody] = Curl("DELETE", "/sovd/v1/components/engine/faults");
  EXPECT_EQ(dcode, 204) << dbody;
  auto [acode, after] = Curl("GET", "/sovd/v1/components/0x10/faults");
  ASSERT_EQ(acode, 200);
  EXPECT_TRUE(json::parse(after)["items"].empty()) << after;
}

TEST_F(SovdRestTest, DataAndOperations) {
  StartWithRest();
  ASSERT_EQ(Ctl("set engine coolant_temperature 101"), "ok\n");
  auto [code, body] = Curl("GET", "/sovd/v1/components/engine/data/coolant_temperature");
  ASSERT_EQ(code, 200) << body;
  json data = json::parse(body);
  EXPECT_EQ(data["data"], 101);
  EXPECT_EQ(data["unit"], "degC");
  auto [lcode, list] = Curl("GET", "/sovd/v1/components/engine/data");
  EXPECT_EQ(json::parse(list)["items"].size(), 6u) << list;

  // Writing needs the extended session and security access: refused as a
  // 409 first; granted through the gRPC front end, the same core lets it.
  auto [wcode, wbody] =
      Curl("PUT", "/sovd/v1/components/engine/data/idle_speed_target", R"({"data": 777})");
  EXPECT_EQ(wcode, 409) << wbody;
  EXPECT_EQ(json::parse(wbody)["error_code"], "FAILED_PRECONDITION");
  ASSERT_TRUE(
      Run("DiagnosticSession", {{"ecuAddress", "0x10"}, {"session", "extended"}}).status.ok());
  ASSERT_TRUE(Run("SecurityAccess", {{"ecuAddress", "0x10"}}).status.ok());
  auto [okcode, okbody] = Curl("PUT", "/sovd/v1/components/engine/data/0xF1A0", R"({"data": 777})");
  EXPECT_EQ(okcode, 204) << okbody;
  auto [rcode, read] = Curl("GET", "/sovd/v1/components/engine/data/idle_speed_target");
  EXPECT_EQ(json::parse(read)["data"], 777);

  auto [ocode, obody] =
      Curl("POST", "/sovd/v1/components/engine/operations/injector_self_test/executions", "{}");
  EXPECT_EQ(ocode, 202) << "still running: " << obody;
  EXPECT_EQ(json::parse(obody)["status"], "running");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto [gcode, gbody] =
      Curl("GET", "/sovd/v1/components/engine/operations/injector_self_test/executions");
  ASSERT_EQ(gcode, 200) << gbody;
  EXPECT_EQ(json::parse(gbody)["statusRecord"], "0001");
}

TEST_F(SovdRestTest, ErrorsAreHttpStatusesWithSovdErrorBodies) {
  StartWithRest();
  auto [nf, nfbody] = Curl("GET", "/sovd/v1/components/transmission/faults");
  EXPECT_EQ(nf, 404);
  EXPECT_EQ(json::parse(nfbody)["error_code"], "NOT_FOUND");
  EXPECT_EQ(Curl("GET", "/elsewhere").first, 404);
  EXPECT_EQ(Curl("POST", "/sovd/v1/components/engine/faults").first, 405);
  EXPECT_EQ(Curl("GET", "/sovd/v1/components/engine/faults?mask=lots").first, 400);
  EXPECT_EQ(Curl("PUT", "/sovd/v1/components/engine/data/vin", "[1]").first, 400);
  auto [rng, rbody] = Curl("GET", "/sovd/v1/components/engine/data/0x4242");
  EXPECT_EQ(rng, 400) << "requestOutOfRange: " << rbody;
  sim_->Stop();
  auto [down, dbody] = Curl("GET", "/sovd/v1/components/engine/faults");
  EXPECT_EQ(down, 503) << dbody;
  std::string audit = ReadFile(dir_.path() + "/sovd/audit.log");
  EXPECT_NE(audit.find("\"front_end\":\"rest\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"result\":\"UNAVAILABLE\""), std::string::npos);
}

TEST_F(SovdRestTest, HttpsWithMutualTlsAndTheAllowList) {
  std::string pki = dir_.path() + "/pki", log;
  std::filesystem::create_directories(pki);
  ASSERT_TRUE(MakeCa(pki, "ca", &log)) << log;
  ASSERT_TRUE(MakeCertificate(pki, "ca", "pharos-sovd", "IP:127.0.0.1", &log)) << log;
  ASSERT_TRUE(MakeCertificate(pki, "ca", "backend", "", &log)) << log;
  ASSERT_TRUE(MakeCertificate(pki, "ca", "intruder", "", &log)) << log;
  StartWithRest({"--tls-cert", pki + "/pharos-sovd.pem", "--tls-key", pki + "/pharos-sovd.key",
                 "--tls-client-ca", pki + "/ca.pem", "--allow-client", "backend"});
  std::string ca = "--cacert " + pki + "/ca.pem ";
  EXPECT_EQ(Curl("GET", "/sovd/v1/components", "", ca, "https").first, 0)
      << "no client certificate: the handshake fails";
  auto [ok, body] =
      Curl("GET", "/sovd/v1/components", "",
           ca + "--cert " + pki + "/backend.pem --key " + pki + "/backend.key", "https");
  EXPECT_EQ(ok, 200) << body;
  auto [denied, dbody] =
      Curl("DELETE", "/sovd/v1/components/engine/faults", "",
           ca + "--cert " + pki + "/intruder.pem --key " + pki + "/intruder.key", "https");
  EXPECT_EQ(denied, 403) << dbody;
  EXPECT_EQ(Ctl("stats engine").find("\"0x14\""), std::string::npos) << "nothing was cleared";
}

}  // namespace
}  // namespace pharos::e2e
