// Pod network lifecycle in the twin (spec §12.2): RequestNetworkPod over
// real gRPC, the pod built in a namespace, CompleteNetworkSetting arriving
// at a real callback receiver; outages, kill -9, concurrency, refusals.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "e2e/callback_receiver.h"
#include "e2e/daemon_process.h"
#include "e2e/twin_support.h"
#include "pharos/api/v1/pharos_network_service_connection.grpc.pb.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kNodeYaml[] = "name: vm1\nip: \"10.2.0.10\"\n";
// Pullpiri's Node artifact naming the same VM by address.
constexpr char kPullpiriNode[] =
    "apiVersion: v1\nkind: Node\nmetadata:\n  name: hpc-node\nspec:\n  role: nodeagent\n"
    "  ip_address: 10.2.0.10\n";
constexpr char kPodNetwork[] =
    "namespace: planning\nnetworking:\n  type: cni\n  subnet: \"10.2.1.0/24\"\n";

class PodLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "twin tests build namespaces and need root";
    // Reserve Piccolo's port; it is served only when a test says so.
    CallbackReceiver placeholder;
    ASSERT_TRUE(placeholder.Start());
    port_ = placeholder.port();
    placeholder.Stop();
    StartDaemon();
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"));
    v1::ApplyConfigurationResponse resp;
    ASSERT_TRUE(stub_->ApplyConfiguration(Ctx().get(), req, &resp).ok());
  }
  void TearDown() override {
    // Close the channel first: an open one holds pharosd's shutdown 5 s.
    stub_.reset();
    ctl_.reset();
    channel_.reset();
    daemon_.reset();
    RemoveNamespacesWithPrefix(prefix_);
  }
  void StartDaemon() {
    stub_.reset();
    ctl_.reset();
    channel_.reset();
    daemon_ = std::make_unique<DaemonProcess>(
        dir_.path(), std::vector<std::string>{"--dataplane=emulated",
                                              "--interface-prefix=" + prefix_,
                                              "--callback-endpoint=127.0.0.1:" +
                                                  std::to_string(port_),
                                              "--callback-max-backoff=1"});
    ASSERT_TRUE(daemon_->Start());
    channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::PharosService::NewStub(channel_);
    ctl_ = ctl::PharosControlService::NewStub(channel_);
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + seconds(30));
    return c;
  }
  grpc::Status Request(const std::string& pod, const std::string& node,
                       const std::string& network, v1::RequestNetworkPodResponse* resp) {
    v1::RequestNetworkPodRequest req;
    req.set_node_yaml(node);
    req.set_pod_name(pod);
    req.set_network_yaml(network);
    return stub_->RequestNetworkPod(Ctx().get(), req, resp);
  }
  bool Ping(const std::string& from_node, const std::string& ip) {
    std::string out;
    return RunCommand("ip netns exec " + prefix_ + from_node + " ping -c 1 -W 1 " + ip, &out) == 0;
  }
  std::map<std::string, std::string> LeaseIps() {
    ctl::ListLeasesResponse leases;
    EXPECT_TRUE(ctl_->ListLeases(Ctx().get(), {}, &leases).ok());
    std::map<std::string, std::string> out;
    for (const auto& l : leases.leases()) out[l.pod()] = l.ip();
    return out;
  }

  std::string prefix_ = UniquePrefix();
  int port_ = 0;
  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PharosService::Stub> stub_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
};

TEST_F(PodLifecycleTest, Scenario12_2_RequestCompleteAndPing) {
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port_));
  // Pullpiri's alias and its Node artifact, as the action controller sends it.
  auto pullpiri = v1::PharosNetworkServiceConnection::NewStub(channel_);
  v1::PullpiriRequestNetworkPodRequest req;
  req.set_node_yaml(kPullpiriNode);
  req.set_pod_name("planning-pod");
  req.set_network_yamls(kPodNetwork);
  v1::RequestNetworkPodResponse resp;
  auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(pullpiri->RequestNetworkPod(Ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.accepted());
  EXPECT_FALSE(resp.request_id().empty());

  auto completions = piccolo.WaitForCompletions(1, seconds(10));
  ASSERT_EQ(completions.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, seconds(10));
  EXPECT_EQ(completions[0].request_id(), resp.request_id());
  EXPECT_EQ(completions[0].status(), v1::CompleteNetworkSettingRequest::OK)
      << completions[0].details();
  std::string ip = LeaseIps()["planning-pod"];
  ASSERT_FALSE(ip.empty());
  EXPECT_TRUE(Ping("perception-pod", ip)) << "the new pod does not answer its neighbour";
  EXPECT_TRUE(Ping("planning-pod", "10.2.1.3"));

  // The same request again is idempotent: accepted, completed, no change.
  v1::RequestNetworkPodResponse again;
  ASSERT_TRUE(Request("planning-pod", kNodeYaml, kPodNetwork, &again).ok());
  EXPECT_TRUE(again.accepted());
  EXPECT_EQ(piccolo.WaitForCompletions(2, seconds(10)).size(), 2u);
  EXPECT_EQ(LeaseIps()["planning-pod"], ip);

  // Removal releases the address and the namespace.
  v1::RequestNetworkPodResponse removed;
  ASSERT_TRUE(Request("planning-pod", kNodeYaml, "remove: true\n", &removed).ok());
  auto all = piccolo.WaitForCompletions(3, seconds(10));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].request_id(), removed.request_id());
  EXPECT_TRUE(LeaseIps().empty());
  auto names = NamespacesWithPrefix(prefix_);
  EXPECT_EQ(std::find(names.begin(), names.end(), prefix_ + "planning-pod"), names.end());
  piccolo.Stop();
}

TEST_F(PodLifecycleTest, CompletionsSurviveAnOutageAndKillNine) {
  // Piccolo is down while 20 pods are requested.
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    v1::RequestNetworkPodResponse resp;
    ASSERT_TRUE(Request("p" + std::to_string(i), kNodeYaml, kPodNetwork, &resp).ok());
    ids.push_back(resp.request_id());
  }
  ctl::GetCallbackStatusResponse outbox;
  for (int i = 0; i < 100 && outbox.pending() < 20; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    ASSERT_TRUE(ctl_->GetCallbackStatus(Ctx().get(), {}, &outbox).ok());
  }
  ASSERT_EQ(outbox.pending(), 20);
  // pharosd dies with all 20 undelivered; it comes back, then Piccolo.
  daemon_->Kill9();
  StartDaemon();
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port_));
  auto got = piccolo.WaitForCompletions(20, seconds(20));
  ASSERT_GE(got.size(), 20u);
  std::set<std::string> unique;
  for (const auto& c : got) {
    EXPECT_EQ(c.status(), v1::CompleteNetworkSettingRequest::OK) << c.details();
    unique.insert(c.request_id());
  }
  EXPECT_EQ(unique, std::set<std::string>(ids.begin(), ids.end()));
  // In request order: the outbox keeps the order of recording.
  std::vector<std::string> order;
  for (const auto& c : got) {
    if (std::find(order.begin(), order.end(), c.request_id()) == order.end()) {
      order.push_back(c.request_id());
    }
  }
  EXPECT_EQ(order, ids);
  EXPECT_TRUE(Ping("perception-pod", LeaseIps()["p19"]));
  piccolo.Stop();
}

TEST_F(PodLifecycleTest, TwoHundredConcurrentRequestsGetDistinctReachableAddresses) {
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port_));
  constexpr int kPods = 200;
  std::vector<std::thread> clients;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      auto stub = v1::PharosService::NewStub(channel_);
      for (int i = t; i < kPods; i += 8) {
        v1::RequestNetworkPodRequest req;
        req.set_node_yaml(kNodeYaml);
        req.set_pod_name("c" + std::to_string(i));
        req.set_network_yaml(kPodNetwork);
        v1::RequestNetworkPodResponse resp;
        if (stub->RequestNetworkPod(Ctx().get(), req, &resp).ok() && resp.accepted()) ++accepted;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(accepted.load(), kPods);
  auto got = piccolo.WaitForCompletions(kPods, seconds(60));
  ASSERT_EQ(got.size(), static_cast<size_t>(kPods));
  for (const auto& c : got) EXPECT_EQ(c.status(), v1::CompleteNetworkSettingRequest::OK) << c.details();
  std::map<std::string, std::string> ips = LeaseIps();
  std::set<std::string> distinct;
  for (const auto& [pod, ip] : ips) distinct.insert(ip);
  EXPECT_EQ(ips.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kPods));
  EXPECT_FALSE(distinct.count("10.2.1.2") || distinct.count("10.2.1.3") || distinct.count("10.2.1.1"));
  int unreachable = 0;
  for (const auto& [pod, ip] : ips) unreachable += Ping("perception-pod", ip) ? 0 : 1;
  EXPECT_EQ(unreachable, 0);
  piccolo.Stop();
}

TEST_F(PodLifecycleTest, BadRequestsAreRefusedAndLeaveNothingBehind) {
  auto names_before = NamespacesWithPrefix(prefix_);
  struct Case {
    std::string pod, node, network;
    grpc::StatusCode code;
    std::string says;
  } cases[] = {
      {"x1", "name: [unclosed", kPodNetwork, grpc::StatusCode::INVALID_ARGUMENT, "node_yaml"},
      {"x2", kNodeYaml, "networking: {subnet: 10.2.1.0/33}", grpc::StatusCode::INVALID_ARGUMENT,
       "network_yaml"},
      {"x3", "name: vm9\n", kPodNetwork, grpc::StatusCode::NOT_FOUND, "vm9"},
      {"x4", kNodeYaml, "networking: {subnet: 10.2.1.0/24, ip: 10.2.1.3}",
       grpc::StatusCode::INVALID_ARGUMENT, "in use by control-pod"},
      {"", kNodeYaml, kPodNetwork, grpc::StatusCode::INVALID_ARGUMENT, "pod_name"},
      {"control-pod", kNodeYaml, kPodNetwork, grpc::StatusCode::INVALID_ARGUMENT,
       "already a component"},
  };
  for (const auto& c : cases) {
    v1::RequestNetworkPodResponse resp;
    grpc::Status s = Request(c.pod, c.node, c.network, &resp);
    EXPECT_EQ(s.error_code(), c.code) << c.pod << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(c.says), std::string::npos) << s.error_message();
  }
  // A /30 pod subnet has one host after its gateway: the second pod finds
  // it exhausted.
  const std::string tiny = "networking: {subnet: 10.2.9.0/30}\n";
  v1::RequestNetworkPodResponse first, second;
  grpc::Status ok = Request("t1", kNodeYaml, tiny, &first);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  grpc::Status s = Request("t2", kNodeYaml, tiny, &second);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_FALSE(second.accepted());
  std::map<std::string, std::string> leases = LeaseIps();
  EXPECT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases["t1"], "10.2.9.2");
  for (const char* refused : {"x1", "x2", "x3", "x4", "t2"}) {
    auto names = NamespacesWithPrefix(prefix_);
    EXPECT_EQ(std::find(names.begin(), names.end(), prefix_ + refused), names.end()) << refused;
  }
}

}  // namespace
}  // namespace pharos::e2e
