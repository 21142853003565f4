// pharos-broker in the vehicle: a native service of soc1 in the twin,
// registered in pharosd's registry through pharosd's unix socket, found by
// a pod through `pharosctl services env`, reached across the vehicle
// network — and stopped at the kernel when the policy says so, with a
// security event from pharosd.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "e2e/broker/broker_client.h"
#include "e2e/twin_support.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

using namespace std::chrono_literals;
namespace api = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

constexpr char kBroker[] = "10.1.0.2:55555";  // soc1's address in the seed vehicle
constexpr char kPolicy[] = R"(security_policy:
  default_action: deny
  rules:
    - name: perception_reads_signals
      from: {namespace: perception}
      to: {service: vehicledatabroker}
      ports: [55555, 8090]
      protocol: tcp
      action: allow
    - name: soc2_feeds_signals
      from: {cidr: 10.1.0.3/32}
      to: {service: vehicledatabroker}
      ports: [55555]
      protocol: tcp
      action: allow
)";

class BrokerTwinTest : public ::testing::Test {
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
    ASSERT_TRUE(api_->ApplyConfiguration(Call("", 30).get(), req, &resp).ok());
    std::filesystem::create_directories(dir_.path() + "/broker");
    std::vector<std::string> args{
        "--address",       "10.1.0.2",        "--port", "55555", "--disable-authorization",
        "--register-with", "unix:" + Socket()};
    args.insert(args.end(), extra_broker_args_.begin(), extra_broker_args_.end());
    broker_ = std::make_unique<DaemonProcess>(dir_.path() + "/broker", std::move(args),
                                              PharosBroker(prefix_ + "soc1"));
    ASSERT_TRUE(broker_->Start());
  }
  void TearDown() override {
    broker_.reset();
    api_.reset();
    ctl_.reset();
    pharosd_.reset();
    RemoveNamespacesWithPrefix(prefix_);
  }
  std::string Socket() const { return dir_.path() + "/api.sock"; }
  std::string Ctl() const {
    return std::string(PHAROSCTL_BINARY) + " --server " + pharosd_->address();
  }
  // pharosctl run inside one of the twin's namespaces.
  std::string In(const std::string& node) const {
    return "ip netns exec " + prefix_ + node + " " + PHAROSCTL_BINARY + " signal --broker " +
           kBroker;
  }
  void ConfigureOkPolicy() {
    api::ConfigureSecurityPolicyRequest req;
    req.set_security_policy_yaml(kPolicy);
    api::ConfigureSecurityPolicyResponse resp;
    grpc::Status s = api_->ConfigureSecurityPolicy(Call("", 30).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  std::vector<ctl::Service> Registered() {
    ctl::ListServicesResponse services;
    EXPECT_TRUE(ctl_->ListServices(Call().get(), {}, &services).ok());
    return {services.services().begin(), services.services().end()};
  }

  std::vector<std::string> extra_broker_args_;  // set by a derived fixture's constructor
  TempDir dir_;
  std::string prefix_ = UniquePrefix();
  std::unique_ptr<DaemonProcess> pharosd_, broker_;
  std::unique_ptr<api::PharosService::Stub> api_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
};

TEST_F(BrokerTwinTest, ASignalFlowsFromAProviderOnSoc2ToASubscriberInAPodThroughThePolicy) {
  // Registered by itself, on soc1.
  std::vector<ctl::Service> services;
  for (int i = 0; i < 50 && services.empty(); ++i) {
    services = Registered();
    if (services.empty()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name(), "vehicledatabroker");
  EXPECT_EQ(services[0].host(), "10.1.0.2");
  EXPECT_EQ(services[0].port(), 55555);
  EXPECT_EQ(services[0].location(), "soc1");
  EXPECT_EQ(services[0].protocol(), "grpc");

  // What a Velocitas app in the pod is given.
  std::string out;
  ASSERT_EQ(RunCommand(Ctl() + " services env perception-pod", &out), 0) << out;
  EXPECT_EQ(out, "SDV_VEHICLEDATABROKER_ADDRESS=grpc://10.1.0.2:55555\n");

  ConfigureOkPolicy();
  // The subscriber in perception-pod, the provider on soc2.
  std::string received;
  std::atomic<bool> done = false;
  std::thread subscriber([&] {
    RunCommand("timeout 20 " + In("perception-pod") + " subscribe Vehicle.Speed --count 1",
               &received);
    done = true;
  });
  // Feed until the subscriber has seen a change (it may connect after the first).
  for (int i = 0; i < 80 && !done; ++i) {
    std::string set_out;
    EXPECT_EQ(RunCommand(In("soc2") + " set Vehicle.Speed 42.5", &set_out), 0) << set_out;
    std::this_thread::sleep_for(250ms);
  }
  subscriber.join();
  EXPECT_NE(received.find("Vehicle.Speed = 42.5"), std::string::npos) << received;

  // control-pod has no rule: its connection never gets through the kernel.
  EXPECT_LT(ConnectFromNetns(prefix_ + "control-pod", "10.1.0.2", 55555, 1000), 0);
  bool event = false;
  for (int i = 0; i < 50 && !event; ++i) {
    ctl::ListSecurityEventsResponse events;
    ASSERT_TRUE(ctl_->ListSecurityEvents(Call().get(), {}, &events).ok());
    for (const auto& e : events.events()) event = event || e.destination() == "10.1.0.2:55555/tcp";
    if (!event) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(event) << "no security event for control-pod's attempt";

  // Stopped, it leaves the registry.
  broker_->Stop();
  EXPECT_TRUE(Registered().empty());
}

// VISS on soc1 (plain ws on the vehicle network: --viss-allow-plaintext,
// as a twin without a PKI runs it), reached from a pod by a third-party
// WebSocket client and curl, and refused at the kernel for a pod without
// a rule.
class VissTwinTest : public BrokerTwinTest {
 protected:
  VissTwinTest() {
    extra_broker_args_ = {"--enable-viss", "--viss-address", "10.1.0.2",
                          "--viss-port",   "8090",           "--viss-allow-plaintext"};
  }
  // The VISS WebSocket client run inside a namespace of the twin.
  std::string WsClientIn(const std::string& node) const {
    return "ip netns exec " + prefix_ + node + " /usr/bin/python3 " + VISS_WS_CLIENT +
           " ws://10.1.0.2:8090 --timeout 3";
  }
};

TEST_F(VissTwinTest, AVissClientInAPodReachesTheBrokerOnSoc1ThroughThePolicy) {
  ConfigureOkPolicy();
  std::string set_out;
  ASSERT_EQ(RunCommand(In("soc2") + " set Vehicle.Speed 42.5", &set_out), 0) << set_out;
  std::string request = R"({"action":"get","path":"Vehicle.Speed","requestId":"1"})";
  std::string out;
  ASSERT_EQ(RunCommand("echo '" + request + "' | " + WsClientIn("perception-pod"), &out), 0) << out;
  EXPECT_NE(out.find(R"("value":"42.5")"), std::string::npos) << out;
  ASSERT_EQ(RunCommand("ip netns exec " + prefix_ +
                           "perception-pod curl -s --max-time 5 http://10.1.0.2:8090/Vehicle/Speed",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find(R"("value":"42.5")"), std::string::npos) << out;

  // control-pod has no rule for VISS either: no WebSocket opens (exit 5).
  EXPECT_EQ(RunCommand("echo '" + request + "' | " + WsClientIn("control-pod"), &out), 5) << out;
}

}  // namespace
}  // namespace pharos::e2e
