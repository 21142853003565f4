// Service health in the twin: real TCP listeners in pod namespaces, the
// health monitor's real probes, NotifyServiceStatusChange arriving at a
// real callback receiver.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "e2e/twin_fixture.h"

namespace pharos::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ServiceHealthTest : public SeedTwinTest {
 protected:
  ServiceHealthTest() {
    extra_args_ = {"--health-interval-ms=100",    "--health-timeout-ms=300",
                   "--health-unhealthy-after=2",  "--health-healthy-after=2",
                   "--health-flap-transitions=4", "--health-flap-window=60",
                   "--health-damped-checks=10"};
  }
  // Checked with a TCP connect (someip over the API): the listener's
  // coming and going is what these tests are about.
  std::string RegisterBrake(int port, const std::string& protocol = "someip",
                            const std::string& name = "brake-service",
                            std::map<std::string, std::string> metadata = {}) {
    v1::RegisterServiceRequest req;
    req.set_service_name(name);
    req.set_host("10.2.1.3");  // control-pod
    req.set_port(port);
    req.set_protocol(protocol);
    req.mutable_metadata()->insert(metadata.begin(), metadata.end());
    v1::RegisterServiceResponse resp;
    grpc::Status s = stub_->RegisterService(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.service_id();
  }
  std::string StatusOf(const std::string& id) {
    ctl::ListServicesResponse resp;
    EXPECT_TRUE(ctl_->ListServices(Ctx().get(), {}, &resp).ok());
    for (const auto& s : resp.services()) {
      if (s.service_id() == id) return s.status();
    }
    return "";
  }
  std::string Pod(const std::string& name) { return prefix_ + name; }
  // Polls until the service has `status`; false if it never gets there.
  bool Becomes(const std::string& id, const std::string& status) {
    for (int i = 0; i < 100; ++i) {
      if (StatusOf(id) == status) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }
  // A process in a pod namespace, killed at the end of the test.
  void RunInPod(const std::string& pod, const std::string& command) {
    background_.push_back(std::make_unique<BackgroundProcess>(
        Pod(pod), command, dir_.path() + "/bg" + std::to_string(background_.size()) + ".log"));
  }
  void TearDown() override {
    background_.clear();
    SeedTwinTest::TearDown();
  }
  std::vector<std::unique_ptr<BackgroundProcess>> background_;
};

TEST_F(ServiceHealthTest, AClosedPortGoesUnhealthyAndComesBackAndPiccoloHearsEachChange) {
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port_));
  auto server = std::make_unique<NetnsTcpServer>(Pod("control-pod"), 9300);
  ASSERT_TRUE(server->ok());
  std::string id = RegisterBrake(9300);
  auto changes = piccolo.WaitForServiceChanges(1, seconds(10));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].service_id(), id);
  EXPECT_EQ(changes[0].previous_status(), "registered");
  EXPECT_EQ(changes[0].current_status(), "healthy");
  // Queries take the service's name: a real TCP connect from a neighbour to
  // the service's own port, and the service in the network status.
  v1::TestConnectivityRequest test;
  test.set_source("perception-pod");
  test.set_destination("brake-service");
  test.set_protocol("tcp");
  v1::TestConnectivityResponse tested;
  grpc::Status s = stub_->TestConnectivity(Ctx().get(), test, &tested);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(tested.success()) << tested.detailed_result();
  v1::GetNetworkStatusRequest status_req;
  status_req.set_component_filter("service");
  v1::GetNetworkStatusResponse status;
  ASSERT_TRUE(stub_->GetNetworkStatus(Ctx().get(), status_req, &status).ok());
  ASSERT_EQ(status.components_size(), 1);
  EXPECT_EQ(status.components(0).name(), "brake-service");
  EXPECT_EQ(status.components(0).type(), "service");
  EXPECT_EQ(status.components(0).status(), "healthy");
  EXPECT_EQ(status.components(0).connected_to(0), "control-pod");

  server.reset();  // the port closes
  changes = piccolo.WaitForServiceChanges(3, seconds(10));
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[1].current_status(), "degraded");
  EXPECT_EQ(changes[2].previous_status(), "degraded");
  EXPECT_EQ(changes[2].current_status(), "unhealthy");
  EXPECT_NE(changes[2].details().find("refused"), std::string::npos) << changes[2].details();
  EXPECT_EQ(StatusOf(id), "unhealthy");

  server = std::make_unique<NetnsTcpServer>(Pod("control-pod"), 9300);  // it reopens
  changes = piccolo.WaitForServiceChanges(4, seconds(10));
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[3].previous_status(), "unhealthy");
  EXPECT_EQ(changes[3].current_status(), "healthy");
  EXPECT_EQ(StatusOf(id), "healthy");
  piccolo.Stop();
}

TEST_F(ServiceHealthTest, AFlappingPortIsDampedThenReportedOnceStable) {
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port_));
  auto server = std::make_unique<NetnsTcpServer>(Pod("control-pod"), 9301);
  std::string id = RegisterBrake(9301);
  ASSERT_EQ(piccolo.WaitForServiceChanges(1, seconds(10)).size(), 1u);
  // 16 toggles, 400 ms each: undamped this would be ~24 reports.
  for (int i = 0; i < 16; ++i) {
    if (server) {
      server.reset();
    } else {
      server = std::make_unique<NetnsTcpServer>(Pod("control-pod"), 9301);
    }
    std::this_thread::sleep_for(milliseconds(400));
  }
  if (!server) server = std::make_unique<NetnsTcpServer>(Pod("control-pod"), 9301);
  size_t during = piccolo.WaitForServiceChanges(100, milliseconds(1)).size();
  EXPECT_LE(during, 6u) << "flapping was not damped";
  bool flapping_said = false;
  for (const auto& c : piccolo.WaitForServiceChanges(100, milliseconds(1))) {
    flapping_said |= c.details().find("flapping") != std::string::npos;
  }
  EXPECT_TRUE(flapping_said);
  // Stable again: reported once, healthy.
  std::vector<v1::ServiceStatusChangeNotification> all;
  for (int i = 0; i < 100; ++i) {
    all = piccolo.WaitForServiceChanges(during + 1, milliseconds(100));
    if (all.size() > during) break;
  }
  ASSERT_GT(all.size(), during);
  EXPECT_EQ(all.back().current_status(), "healthy");
  EXPECT_NE(all.back().details().find("stable again"), std::string::npos) << all.back().details();
  EXPECT_EQ(StatusOf(id), "healthy");
  piccolo.Stop();
}

TEST_F(ServiceHealthTest, GrpcAndRestServicesAreCheckedInTheirOwnProtocol) {
  // A real gRPC server (pharosctl's stand-in Piccolo) and a real HTTP
  // server (Python's), both in control-pod.
  RunInPod("control-pod",
           std::string(PHAROSCTL_BINARY) + " callbacks listen --listen 10.2.1.3:9402");
  RunInPod("control-pod", "python3 -m http.server 9403 --bind 10.2.1.3");
  std::string grpc_id = RegisterBrake(9402, "grpc", "brake-grpc");
  std::string rest_id = RegisterBrake(9403, "rest", "brake-rest", {{"health_path", "/"}});
  EXPECT_TRUE(Becomes(grpc_id, "healthy")) << StatusOf(grpc_id);
  EXPECT_TRUE(Becomes(rest_id, "healthy")) << StatusOf(rest_id);
  // A port that accepts TCP but speaks neither: not healthy as gRPC, nor
  // as REST, although a TCP connect would succeed.
  auto plain = std::make_unique<NetnsTcpServer>(Pod("control-pod"), 9404);
  ASSERT_TRUE(plain->ok());
  std::string fake_grpc = RegisterBrake(9404, "grpc", "not-grpc");
  std::string fake_rest = RegisterBrake(9404, "rest", "not-rest");
  EXPECT_TRUE(Becomes(fake_grpc, "unhealthy")) << StatusOf(fake_grpc);
  EXPECT_TRUE(Becomes(fake_rest, "unhealthy")) << StatusOf(fake_rest);
}

}  // namespace
}  // namespace pharos::e2e
