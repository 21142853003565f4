// pharos-sovd in the vehicle: pharos-ecu-sim in vm1's namespace with 200
// ECUs behind 50 DoIP entities, pharos-sovd on soc1 registered in pharosd's
// registry, a diagnostic app in a pod calling it across the vehicle network
// through the security policy, and a pod without a rule stopped at the
// kernel. (DoIP between soc1 and vm1 is infrastructure traffic, which the
// policy does not judge: docs/security.md.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/sovd/sovd_fixture.h"
#include "e2e/twin_support.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

using namespace std::chrono_literals;
namespace api = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

constexpr int kEntities = 50;
constexpr int kEcusPerEntity = 4;
constexpr char kSovd[] = "10.1.0.2:50051";
constexpr char kPolicy[] = R"(security_policy:
  default_action: deny
  rules:
    - name: perception_runs_diagnostics
      from: {namespace: perception}
      to: {service: sovd}
      ports: [50051]
      protocol: tcp
      action: allow
)";

std::unique_ptr<grpc::ClientContext> Deadline(int seconds = 30) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

class SovdTwinTest : public SovdTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "twin tests build namespaces and need root";
    pharosd_ = std::make_unique<DaemonProcess>(
        dir_.path() + "/pharosd",
        std::vector<std::string>{"--dataplane=emulated", "--interface-prefix=" + prefix_,
                                 "--callback-endpoint=none", "--listen-unix", Socket()});
    ASSERT_TRUE(pharosd_->Start());
    auto channel = grpc::CreateChannel(pharosd_->address(), grpc::InsecureChannelCredentials());
    api_ = api::PharosService::NewStub(channel);
    ctl_ = ctl::PharosControlService::NewStub(channel);
    api::ApplyConfigurationRequest req;
    req.set_config_yaml(ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"));
    api::ApplyConfigurationResponse resp;
    ASSERT_TRUE(api_->ApplyConfiguration(Deadline().get(), req, &resp).ok());
    WriteVehicle();
    sim_ = std::make_unique<DaemonProcess>(
        dir_.path() + "/sim", std::vector<std::string>{"--config", dir_.path() + "/sim.yaml"},
        PharosEcuSim(prefix_ + "vm1"));
    ASSERT_TRUE(sim_->Start());
    sovd_ = std::make_unique<DaemonProcess>(
        dir_.path() + "/sovd",
        std::vector<std::string>{"--config", dir_.path() + "/sovd.yaml", "--address", "10.1.0.2",
                                 "--port", "50051", "--allow-plaintext", "--register-with",
                                 "unix:" + Socket()},
        PharosSovd(prefix_ + "soc1"));
    ASSERT_TRUE(sovd_->Start());
  }
  void TearDown() override {
    sovd_.reset();
    sim_.reset();
    api_.reset();
    ctl_.reset();
    pharosd_.reset();
    RemoveNamespacesWithPrefix(prefix_);
  }

  // 50 entities on vm1's address (ports 13400..13449), 4 ECUs each.
  void WriteVehicle() {
    std::filesystem::create_directories(dir_.path() + "/ecus");
    std::filesystem::create_directories(dir_.path() + "/sim");
    std::filesystem::create_directories(dir_.path() + "/sovd");
    std::ofstream sim(dir_.path() + "/sim.yaml");
    std::ofstream sovd(dir_.path() + "/sovd.yaml");
    sim << "entities:\n";
    sovd << "vehicles:\n  - id: " << kVehicle << "\n    entities:\n";
    for (int e = 0; e < kEntities; ++e) {
      int port = 13400 + e;
      sim << "  - name: gw" << e << "\n    address: 10.2.0.10\n    port: " << port
          << "\n    ecus:\n";
      sovd << "      - name: gw" << e << "\n        host: 10.2.0.10\n        port: " << port
           << "\n        ecus:\n";
      for (int i = 0; i < kEcusPerEntity; ++i) {
        int n = e * kEcusPerEntity + i;
        std::string file = dir_.path() + "/ecus/ecu" + std::to_string(n) + ".yaml";
        std::ofstream(file) << "name: ecu" << n << "\nlogical_address: " << 0x0100 + n
                            << "\ndtcs:\n  - {code: U0100, status: 0x09}\n";
        sim << "      - " << file << "\n";
        sovd << "          - " << file << "\n";
      }
    }
  }

  std::string Socket() const { return dir_.path() + "/api.sock"; }

  std::string prefix_ = UniquePrefix();
  std::unique_ptr<DaemonProcess> pharosd_;
  std::unique_ptr<api::PharosService::Stub> api_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
};

TEST_F(SovdTwinTest, ADiagnosticAppInAPodReadsDtcsOf200EcusBehind50EntitiesThroughThePolicy) {
  // Registered by itself, on soc1.
  std::vector<ctl::Service> services;
  for (int i = 0; i < 50 && services.empty(); ++i) {
    ctl::ListServicesResponse list;
    ASSERT_TRUE(ctl_->ListServices(Deadline().get(), {}, &list).ok());
    services.assign(list.services().begin(), list.services().end());
    if (services.empty()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name(), "sovd");
  EXPECT_EQ(services[0].location(), "soc1");

  api::ConfigureSecurityPolicyRequest policy;
  policy.set_security_policy_yaml(kPolicy);
  api::ConfigureSecurityPolicyResponse applied;
  ASSERT_TRUE(api_->ConfigureSecurityPolicy(Deadline().get(), policy, &applied).ok());

  // The vehicle backend's view from perception-pod: one chunk per ECU,
  // in the vehicle's order, the last final.
  std::string out;
  ASSERT_EQ(RunCommand("ip netns exec " + prefix_ + "perception-pod " + PHAROSCTL_BINARY +
                           " -o json diag --sovd " + kSovd + " --vehicle " + kVehicle + " ReadDTC",
                       &out),
            0)
      << out.substr(0, 2000);
  std::vector<nlohmann::json> chunks;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) chunks.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(chunks.size(), static_cast<size_t>(kEntities * kEcusPerEntity));
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].value("sequence_number", 0), static_cast<int>(i));
    EXPECT_EQ(chunks[i].value("is_final", false), i + 1 == chunks.size());
    auto payload = nlohmann::json::parse(chunks[i]["response_payload"].get<std::string>());
    EXPECT_EQ(payload["ecu"], "ecu" + std::to_string(i));
    ASSERT_EQ(payload["dtcs"].size(), 1u);
    EXPECT_EQ(payload["dtcs"][0]["code"], "U0100");
  }

  // control-pod has no rule: its connection never gets through the kernel,
  // and pharosd reports it.
  EXPECT_LT(ConnectFromNetns(prefix_ + "control-pod", "10.1.0.2", 50051, 1000), 0);
  bool event = false;
  for (int i = 0; i < 50 && !event; ++i) {
    ctl::ListSecurityEventsResponse events;
    ASSERT_TRUE(ctl_->ListSecurityEvents(Deadline().get(), {}, &events).ok());
    for (const auto& e : events.events()) event = event || e.destination() == "10.1.0.2:50051/tcp";
    if (!event) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(event) << "no security event for control-pod's attempt";
}

}  // namespace
}  // namespace pharos::e2e
