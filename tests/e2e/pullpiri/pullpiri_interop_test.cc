// Eclipse Pullpiri against a real pharosd in the twin, over real gRPC, with
// clients and the action-controller receiver generated from Pullpiri's own
// protos (tests/interop/pullpiri): a "launch" as Pullpiri's action
// controller sends it (the Node artifact, the scenario's name, the Network
// artifact, verbatim), the completion Pullpiri reads, the resourcemanager
// branch's SetupNetwork/RemoveNetwork, and refusals that build nothing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actioncontroller.grpc.pb.h"
#include "e2e/daemon_process.h"
#include "e2e/pullpiri/artifacts.h"
#include "e2e/twin_support.h"
#include "pharos_service.grpc.pb.h"  // Pullpiri's: package pharos.api.v1

namespace pharos::e2e {
namespace {

namespace pp = ::pharos::api::v1;  // as Pullpiri generates it
using std::chrono::seconds;

using namespace testing::pullpiri;  // the artifacts

// Pullpiri's action controller, as far as Pharos calls it.
class ActionController final : public actioncontroller::ActionControllerConnection::Service {
 public:
  grpc::Status CompleteNetworkSetting(
      grpc::ServerContext*, const actioncontroller::CompleteNetworkSettingRequest* req,
      actioncontroller::CompleteNetworkSettingResponse* resp) override {
    std::lock_guard lock(mu_);
    got_.push_back(*req);
    cv_.notify_all();
    resp->set_acknowledged(true);
    return grpc::Status::OK;
  }
  std::vector<actioncontroller::CompleteNetworkSettingRequest> WaitFor(size_t n, seconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<actioncontroller::CompleteNetworkSettingRequest> got_;
};

class PullpiriInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "twin tests build namespaces and need root";
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &receiver_port_);
    builder.RegisterService(&action_controller_);
    receiver_ = builder.BuildAndStart();
    ASSERT_TRUE(receiver_ && receiver_port_ > 0);
    daemon_ = std::make_unique<DaemonProcess>(
        dir_.path(),
        std::vector<std::string>{"--dataplane=emulated", "--interface-prefix=" + prefix_,
                                 "--callback-flavour=pullpiri",
                                 "--callback-endpoint=127.0.0.1:" + std::to_string(receiver_port_),
                                 "--callback-max-backoff=1"});
    ASSERT_TRUE(daemon_->Start());
    channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    pods_ = pp::PharosNetworkServiceConnection::NewStub(channel_);
    networks_ = pp::PharosNetworkManager::NewStub(channel_);
    // The seed vehicle, its pod bridge named as Pullpiri's artifacts name
    // it, and a mapping for the resource manager's network.
    std::string vehicle = ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml");
    size_t at = vehicle.find("                subnet: \"10.2.1.0/24\"");
    ASSERT_NE(at, std::string::npos);
    vehicle.insert(at, "                bridge: br0\n");
    vehicle +=
        "pullpiri:\n  networks:\n    - name: nav-net\n      subnet: \"10.2.7.0/24\"\n"
        "      namespace: navigation\n";
    std::ofstream(dir_.path() + "/vehicle.yaml") << vehicle;
    std::ofstream(dir_.path() + "/node.yaml") << kNodeArtifact;
    std::string out;
    ASSERT_EQ(Ctl("apply " + dir_.path() + "/vehicle.yaml", &out), 0) << out;
  }
  void TearDown() override {
    pods_.reset();
    networks_.reset();
    channel_.reset();
    daemon_.reset();
    if (receiver_) receiver_->Shutdown(std::chrono::system_clock::now() + seconds(1));
    RemoveNamespacesWithPrefix(prefix_);
  }

  int Ctl(const std::string& args, std::string* out) {
    return RunCommand(
        std::string(PHAROSCTL_BINARY) + " --server " + daemon_->address() + " " + args, out);
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + seconds(30));
    return c;
  }
  // RequestNetworkPod exactly as Pullpiri's action controller fills it.
  grpc::Status Launch(const std::string& scenario, const std::string& network,
                      pp::RequestNetworkPodResponse* resp) {
    pp::RequestNetworkPodRequest req;
    req.set_node_yaml(kNodeArtifact);
    req.set_pod_name(scenario);
    req.set_networkyamls(network);
    return pods_->RequestNetworkPod(Ctx().get(), req, resp);
  }
  // The lease of `pod` as pharosctl shows it (pod, ip, origin, ...).
  nlohmann::json Lease(const std::string& pod) {
    std::string out;
    if (Ctl("ipam -o json", &out) != 0) return {};
    nlohmann::json all = nlohmann::json::parse(out, nullptr, false);
    if (!all.is_object() || !all.contains("leases")) return {};
    for (const auto& l : all["leases"]) {
      if (l.value("pod", "") == pod) return l;
    }
    return {};
  }
  bool PingFromVm(const std::string& ip) {
    std::string out;
    return RunCommand("ip netns exec " + prefix_ + "vm1 ping -c 1 -W 1 " + ip, &out) == 0;
  }
  bool LinkInVm(const std::string& name) {
    std::string out;
    return RunCommand("ip netns exec " + prefix_ + "vm1 ip link show " + prefix_ + name, &out) == 0;
  }
  bool HasNamespace(const std::string& pod) {
    for (const auto& ns : NamespacesWithPrefix(prefix_)) {
      if (ns == prefix_ + pod) return true;
    }
    return false;
  }

  std::string prefix_ = UniquePrefix();
  TempDir dir_;
  ActionController action_controller_;
  std::unique_ptr<grpc::Server> receiver_;
  int receiver_port_ = 0;
  std::unique_ptr<DaemonProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pp::PharosNetworkServiceConnection::Stub> pods_;
  std::unique_ptr<pp::PharosNetworkManager::Stub> networks_;
};

TEST_F(PullpiriInteropTest, EveryNetworkArtifactShapeGetsANetworkAndAReadyCompletion) {
  struct Launched {
    std::string scenario, network, subnet_start;
  } launches[] = {{"vd-scenario", kPackageDocShape, "10.2.1."},
                  {"helloworld_dds1", kNoSpecShape, "10.2.1."},
                  {"test-scenario", kInterfacesShape, "10.2.1."},
                  {"nav-scenario", kResourceManagerShape, "10.2.7."}};
  size_t n = 0;
  for (const auto& l : launches) {
    pp::RequestNetworkPodResponse resp;
    grpc::Status s = Launch(l.scenario, l.network, &resp);
    ASSERT_TRUE(s.ok()) << l.scenario << ": " << s.error_message();
    ASSERT_TRUE(resp.accepted()) << resp.message();
    auto got = action_controller_.WaitFor(++n, seconds(15));
    ASSERT_EQ(got.size(), n) << "no CompleteNetworkSetting for " << l.scenario;
    const auto& done = got.back();
    EXPECT_EQ(done.request_id(), resp.request_id());
    EXPECT_EQ(done.network_status(), actioncontroller::OK) << done.details();
    EXPECT_EQ(done.pod_status(), actioncontroller::READY) << done.details();
    nlohmann::json lease = Lease(l.scenario);
    std::string ip = lease.value("ip", "");
    ASSERT_EQ(ip.rfind(l.subnet_start, 0), 0u) << l.scenario << " got '" << ip << "'";
    EXPECT_NE(lease.value("origin", "").find("Pullpiri scenario '" + l.scenario + "'"),
              std::string::npos)
        << lease.dump();
    EXPECT_TRUE(PingFromVm(ip)) << l.scenario << " at " << ip << " does not answer its VM";
  }
  // What Pharos did not read of the artifact is told, not fatal.
  EXPECT_NE(action_controller_.WaitFor(1, seconds(1))[0].details().find("spec.dummy"),
            std::string::npos);
  // The same launch again: accepted, completed again, nothing moved.
  std::string ip = Lease("vd-scenario").value("ip", "");
  pp::RequestNetworkPodResponse again;
  ASSERT_TRUE(Launch("vd-scenario", kPackageDocShape, &again).ok());
  EXPECT_TRUE(again.accepted()) << again.message();
  auto got = action_controller_.WaitFor(n + 1, seconds(15));
  ASSERT_EQ(got.size(), n + 1);
  EXPECT_EQ(got.back().pod_status(), actioncontroller::READY);
  EXPECT_EQ(Lease("vd-scenario").value("ip", ""), ip);
}

TEST_F(PullpiriInteropTest, AnUnknownBridgeOrAnUnsupportedModeIsRefusedAndBuildsNothing) {
  std::string unknown_bridge = kInterfacesShape;
  unknown_bridge.replace(unknown_bridge.find("br0"), 3, "br9");
  std::string macvlan = kResourceManagerShape;
  macvlan.replace(macvlan.find("bridge"), 6, "macvlan");
  struct Refused {
    std::string scenario, network, says;
  } cases[] = {{"s-bridge", unknown_bridge, "bridge 'br9' is not a pod bridge of vm1"},
               {"s-macvlan", macvlan, "supported: bridge"}};
  for (const auto& c : cases) {
    pp::RequestNetworkPodResponse resp;
    grpc::Status s = Launch(c.scenario, c.network, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.scenario;
    EXPECT_NE(s.error_message().find(c.says), std::string::npos) << s.error_message();
    EXPECT_FALSE(resp.accepted());
    EXPECT_FALSE(HasNamespace(c.scenario));
    EXPECT_TRUE(Lease(c.scenario).is_null());
  }
  EXPECT_TRUE(action_controller_.WaitFor(1, seconds(1)).empty()) << "a refusal has no completion";
}

TEST_F(PullpiriInteropTest, SetupNetworkBuildsTheBridgeAndRemoveNetworkWaitsForItsPods) {
  pp::NetworkSetupRequest setup;
  setup.set_network_name("nav-net");
  setup.set_network_mode("bridge");
  pp::NetworkSetupResponse set_up;
  grpc::Status s = networks_->SetupNetwork(Ctx().get(), setup, &set_up);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(set_up.success());
  EXPECT_NE(set_up.message().find("10.2.7.0/24"), std::string::npos) << set_up.message();
  EXPECT_TRUE(LinkInVm("nav-net")) << "no bridge for the network in vm1";
  // Again: the same network, not an error.
  pp::NetworkSetupResponse again;
  ASSERT_TRUE(networks_->SetupNetwork(Ctx().get(), setup, &again).ok());
  EXPECT_TRUE(again.success());
  EXPECT_NE(again.message().find("already"), std::string::npos) << again.message();
  // A mode Pharos does not build.
  pp::NetworkSetupRequest overlay;
  overlay.set_network_name("mesh");
  overlay.set_network_mode("overlay");
  pp::NetworkSetupResponse refused;
  s = networks_->SetupNetwork(Ctx().get(), overlay, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("supported: bridge"), std::string::npos) << s.error_message();

  // A scenario on that network joins its bridge.
  pp::RequestNetworkPodResponse launched;
  ASSERT_TRUE(Launch("nav", kResourceManagerShape, &launched).ok());
  ASSERT_TRUE(launched.accepted()) << launched.message();
  auto got = action_controller_.WaitFor(1, seconds(15));
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].pod_status(), actioncontroller::READY) << got[0].details();
  std::string ip = Lease("nav").value("ip", "");
  ASSERT_EQ(ip.rfind("10.2.7.", 0), 0u) << ip;
  EXPECT_TRUE(PingFromVm(ip));

  pp::NetworkRemoveRequest remove;
  remove.set_network_name("nav-net");
  pp::NetworkRemoveResponse in_use;
  s = networks_->RemoveNetwork(Ctx().get(), remove, &in_use);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("in use by pod(s) nav"), std::string::npos) << s.error_message();
  EXPECT_TRUE(LinkInVm("nav-net"));

  // The operator releases the scenario's pod, then the network can go.
  std::string out;
  ASSERT_EQ(Ctl("request-pod nav --node " + dir_.path() + "/node.yaml --remove", &out), 0) << out;
  ASSERT_EQ(action_controller_.WaitFor(2, seconds(15)).size(), 2u);
  pp::NetworkRemoveResponse removed;
  s = networks_->RemoveNetwork(Ctx().get(), remove, &removed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(removed.success());
  EXPECT_FALSE(LinkInVm("nav-net")) << "the network's bridge is still there";
  EXPECT_EQ(networks_->RemoveNetwork(Ctx().get(), remove, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PullpiriInteropTest, AScenarioNameNoPodCanCarryIsMappedVisibly) {
  pp::RequestNetworkPodResponse resp;
  ASSERT_TRUE(Launch("hello world", kNoSpecShape, &resp).ok());
  ASSERT_TRUE(resp.accepted()) << resp.message();
  auto got = action_controller_.WaitFor(1, seconds(15));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].pod_status(), actioncontroller::READY) << got[0].details();
  EXPECT_NE(got[0].details().find("scenario 'hello world' is pod 'hello-world-"), std::string::npos)
      << got[0].details();
  std::string out;
  ASSERT_EQ(Ctl("status", &out), 0) << out;
  EXPECT_NE(out.find("Pullpiri scenario 'hello world'"), std::string::npos) << out;
  EXPECT_NE(out.find("hello-world-"), std::string::npos) << out;
}

}  // namespace
}  // namespace pharos::e2e
