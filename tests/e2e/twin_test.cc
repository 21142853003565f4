// Twin tests: the real pharosd in emulated mode builds the vehicle as
// network namespaces on this machine; the tests send real packets through
// it. Each test uses its own interface prefix and removes every namespace
// with that prefix afterwards, whatever happened.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "e2e/callback_receiver.h"
#include "e2e/daemon_process.h"
#include "e2e/twin_support.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;
using std::chrono::milliseconds;

std::string Seed() { return ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"); }

// The seed plus a cloud endpoint and a port forward from the cloud side
// (the vehicle's cloud address, 10.9.0.1:8080) to control-pod:8080.
std::string SeedWithCloudForward() {
  return Seed() + R"(  cloud:
    subnet: "10.9.0.0/24"
    endpoints:
      - name: update-server
        ip: "10.9.0.10"
  nat:
    - name: forward-control
      type: dnat
      node: vehicle
      destination: "10.9.0.1/32"
      protocol: tcp
      port: 8080
      to_address: "10.2.1.3"
      to_port: 8080
)";
}

// A vehicle with `socs` x `vms` x `pods` (for the crash test).
std::string LargeVehicle(int socs, int vms, int pods) {
  std::string y = "vehicle:\n  name: large\n  socs:\n";
  for (int s = 1; s <= socs; ++s) {
    y += "    - name: soc" + std::to_string(s) + "\n      ip: \"10.1.0." + std::to_string(s + 1) +
         "\"\n      subnet: \"10.1.0.0/24\"\n      vms:\n";
    for (int v = 1; v <= vms; ++v) {
      int vm = (s - 1) * vms + v;
      y += "        - name: s" + std::to_string(s) + "vm" + std::to_string(v) +
           "\n          ip: \"10." + std::to_string(1 + s) + ".0." + std::to_string(9 + v) +
           "\"\n          subnet: \"10." + std::to_string(1 + s) + ".0.0/24\"\n          pods:\n";
      for (int p = 1; p <= pods; ++p) {
        y += "            - name: p" + std::to_string(vm) + "x" + std::to_string(p) +
             "\n              networking:\n                type: cni\n                subnet: "
             "\"10." +
             std::to_string(100 + vm) + ".0.0/24\"\n";
      }
    }
  }
  return y;
}

class TwinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "twin tests build namespaces and need root";
    StartDaemon();
  }
  void TearDown() override {
    // Close our channel first: pharosd's graceful shutdown otherwise waits
    // its full 5 s grace period for an idle but open client connection.
    stub_.reset();
    ctl_.reset();
    daemon_.reset();
    RemoveNamespacesWithPrefix(prefix_);
  }
  void StartDaemon() {
    stub_.reset();
    ctl_.reset();
    std::vector<std::string> args{"--dataplane=emulated", "--interface-prefix=" + prefix_,
                                  "--resync-interval=1", "--callback-endpoint=" + callback_};
    daemon_ = std::make_unique<DaemonProcess>(dir_.path(), args);
    ASSERT_TRUE(daemon_->Start());
    auto channel = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::PharosService::NewStub(channel);
    ctl_ = ctl::PharosControlService::NewStub(channel);
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 60) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return c;
  }
  std::string Ns(const std::string& node) const { return prefix_ + node; }

  v1::ApplyConfigurationResponse Apply(const std::string& yaml) {
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(yaml);
    v1::ApplyConfigurationResponse resp;
    grpc::Status s = stub_->ApplyConfiguration(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  v1::TestConnectivityResponse Probe(const std::string& from, const std::string& to,
                                     const std::string& proto = "icmp", int port = 0) {
    v1::TestConnectivityRequest req;
    req.set_source(from);
    req.set_destination(to);
    req.set_protocol(proto);
    req.set_port(port);
    req.set_timeout_ms(1000);
    v1::TestConnectivityResponse resp;
    grpc::Status s = stub_->TestConnectivity(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  // The system's own ping, independent of Pharos's prober.
  bool Ping(const std::string& node, const std::string& ip) {
    std::string out;
    return RunCommand("ip netns exec " + Ns(node) + " ping -c 1 -W 1 " + ip, &out) == 0;
  }
  std::map<std::string, std::string> StatusByName() {
    v1::GetNetworkStatusResponse resp;
    EXPECT_TRUE(stub_->GetNetworkStatus(Ctx().get(), {}, &resp).ok());
    std::map<std::string, std::string> out;
    for (const auto& c : resp.components()) out[c.name()] = c.status();
    return out;
  }
  bool AllUp() {
    auto status = StatusByName();
    return !status.empty() && std::all_of(status.begin(), status.end(),
                                          [](const auto& kv) { return kv.second == "up"; });
  }
  std::string Links(const std::string& node) {
    std::string out;
    RunCommand("ip -n " + Ns(node) + " -o link show", &out);
    return out;
  }

  std::string prefix_ = UniquePrefix();
  std::string callback_ = "none";  // where notifications go; none: queued only
  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::PharosService::Stub> stub_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
};

TEST_F(TwinTest, SeedVehicleIsBuiltAndCarriesRealTraffic) {
  v1::ApplyConfigurationResponse applied = Apply(Seed());
  ASSERT_TRUE(applied.success()) << applied.message();

  std::vector<std::string> namespaces = NamespacesWithPrefix(prefix_);
  for (const char* node : {"vehicle", "soc1", "soc2", "vm1", "perception-pod", "control-pod"}) {
    EXPECT_NE(std::find(namespaces.begin(), namespaces.end(), Ns(node)), namespaces.end()) << node;
  }
  EXPECT_NE(Links("vm1").find(prefix_ + "podbr0"), std::string::npos) << Links("vm1");
  std::string addrs;
  RunCommand("ip -n " + Ns("perception-pod") + " -4 -o addr show dev eth0", &addrs);
  EXPECT_NE(addrs.find("10.2.1.2/24"), std::string::npos) << addrs;
  EXPECT_TRUE(AllUp());

  // Real ping and real TCP: perception-pod -> control-pod and -> vm1.
  EXPECT_TRUE(Ping("perception-pod", "10.2.1.3"));
  EXPECT_TRUE(Ping("perception-pod", "10.2.0.10"));
  NetnsTcpServer control(Ns("control-pod"), 8080), vm(Ns("vm1"), 9000);
  ASSERT_TRUE(control.ok() && vm.ok());
  int a = ConnectFromNetns(Ns("perception-pod"), "10.2.1.3", 8080);
  int b = ConnectFromNetns(Ns("perception-pod"), "10.2.0.10", 9000);
  EXPECT_GE(a, 0);
  EXPECT_GE(b, 0);
  if (a >= 0) close(a);
  if (b >= 0) close(b);

  // TestConnectivity agrees with ping and connect, including failures.
  EXPECT_TRUE(Probe("perception-pod", "control-pod").success());
  EXPECT_TRUE(Probe("perception-pod", "10.2.0.10", "tcp", 9000).success());
  auto refused = Probe("perception-pod", "control-pod", "tcp", 8081);
  EXPECT_FALSE(refused.success());
  EXPECT_NE(refused.detailed_result().find("connection refused by 10.2.1.3:8081"),
            std::string::npos)
      << refused.detailed_result();
  EXPECT_FALSE(Ping("perception-pod", "10.2.1.99"));
  EXPECT_FALSE(Probe("perception-pod", "10.2.1.99").success());

  // The route, from each kernel on the way.
  v1::GetRouteInfoRequest route_req;
  route_req.set_source("perception-pod");
  route_req.set_destination("soc2");
  v1::GetRouteInfoResponse route;
  ASSERT_TRUE(stub_->GetRouteInfo(Ctx().get(), route_req, &route).ok());
  EXPECT_TRUE(route.routable());
  ASSERT_EQ(route.route_hops_size(), 4);
  EXPECT_EQ(route.route_hops(0).rfind("perception-pod:", 0), 0u);
  EXPECT_EQ(route.route_hops(3).rfind("soc2:", 0), 0u);
}

TEST_F(TwinTest, IdempotentIncrementalRollbackAndTeardown) {
  ASSERT_TRUE(Apply(Seed()).success());
  std::string before = Links("vm1");

  // Restarting converges to the same version: nothing is touched.
  stub_.reset();
  ctl_.reset();
  daemon_->Stop();
  StartDaemon();
  EXPECT_EQ(Links("vm1"), before);
  EXPECT_TRUE(AllUp());

  // A TCP stream perception -> control keeps flowing while another pod
  // is added and removed.
  NetnsTcpServer control(Ns("control-pod"), 8080);
  int fd = ConnectFromNetns(Ns("perception-pod"), "10.2.1.3", 8080);
  ASSERT_GE(fd, 0);
  StreamWriter writer(fd, milliseconds(2));
  v1::UpdateNetworkConfigurationRequest add_req;
  add_req.set_update_yaml(R"(vehicle:
  socs:
    - name: soc1
      vms:
        - name: vm1
          pods:
            - name: planning-pod
              networking:
                type: cni
                subnet: "10.2.1.0/24"
)");
  add_req.set_incremental(true);
  v1::UpdateNetworkConfigurationResponse added;
  ASSERT_TRUE(stub_->UpdateNetworkConfiguration(Ctx().get(), add_req, &added).ok());
  EXPECT_TRUE(added.success()) << added.message();
  std::vector<std::string> affected(added.affected_components().begin(),
                                    added.affected_components().end());
  EXPECT_NE(std::find(affected.begin(), affected.end(), "planning-pod"), affected.end());
  EXPECT_EQ(std::find(affected.begin(), affected.end(), "control-pod"), affected.end());
  EXPECT_EQ(std::find(affected.begin(), affected.end(), "soc2"), affected.end());
  EXPECT_TRUE(Ping("planning-pod", "10.2.1.3"));

  // Roll back to the seed: the extra pod is gone, the rest untouched.
  v1::RollbackConfigurationRequest rb;
  v1::RollbackConfigurationResponse rolled;
  ASSERT_TRUE(stub_->RollbackConfiguration(Ctx().get(), rb, &rolled).ok());
  EXPECT_TRUE(rolled.success());
  auto names = NamespacesWithPrefix(prefix_);
  EXPECT_EQ(std::find(names.begin(), names.end(), Ns("planning-pod")), names.end());
  EXPECT_EQ(Links("vm1"), before);

  std::this_thread::sleep_for(milliseconds(200));
  writer.Stop();
  EXPECT_FALSE(writer.failed()) << "the stream between two other pods broke during the change";
  for (int i = 0; i < 50 && control.bytes() < writer.sent(); ++i)
    std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(control.bytes(), writer.sent());
  EXPECT_EQ(control.connections(), 1);
  close(fd);

  // Teardown leaves no namespace (and so no link or nft table) behind.
  ctl::TeardownResponse down;
  ASSERT_TRUE(ctl_->Teardown(Ctx().get(), {}, &down).ok());
  EXPECT_TRUE(NamespacesWithPrefix(prefix_).empty());
  std::string nft;
  RunCommand("nft list tables", &nft);
  EXPECT_EQ(nft.find("pharos"), std::string::npos) << nft;
}

TEST_F(TwinTest, KillNineDuringLargeApplyConvergesOnRestart) {
  ASSERT_TRUE(Apply(Seed()).success());
  // 2 SoCs x 2 VMs x 32 pods: 135 namespaces, far more than the kill
  // threshold below, so the kill lands in the middle of the apply.
  constexpr size_t kLargeNamespaces = 1 + 2 + 4 + 128;
  std::thread big([&] {
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(LargeVehicle(2, 2, 32));
    v1::ApplyConfigurationResponse resp;
    (void)stub_->ApplyConfiguration(Ctx().get(), req, &resp);
  });
  // Kill it while namespaces are being created.
  for (int i = 0; i < 400 && NamespacesWithPrefix(prefix_).size() < 20; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  daemon_->Kill9();
  size_t at_kill = NamespacesWithPrefix(prefix_).size();
  big.join();
  EXPECT_GT(at_kill, 6u) << "the large apply had not started";
  EXPECT_LT(at_kill, kLargeNamespaces) << "the large apply had already finished";
  StartDaemon();
  // Whichever version the store holds as current, the kernel matches it
  // exactly: every component up, no namespace more or less.
  v1::GetNetworkStatusResponse status;
  ASSERT_TRUE(stub_->GetNetworkStatus(Ctx().get(), {}, &status).ok());
  std::set<std::string> expected;
  for (const auto& c : status.components()) {
    EXPECT_EQ(c.status(), "up") << c.name();
    if (c.type() != "bridge") expected.insert(Ns(c.name()));
  }
  auto actual_list = NamespacesWithPrefix(prefix_);
  std::set<std::string> actual(actual_list.begin(), actual_list.end());
  EXPECT_EQ(actual, expected);
}

TEST_F(TwinTest, DriftIsRepairedAndRecorded) {
  ASSERT_TRUE(Apply(Seed()).success());
  std::string out;
  // Someone follows the events (pharosctl events --follow, JSON lines).
  std::string followed;
  std::thread follower([&] {
    (void)RunCommand("timeout 20 " + std::string(PHAROSCTL_BINARY) + " --server " +
                         daemon_->address() + " events --follow --count 1 -o json",
                     &followed);
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // it watches from now on
  ASSERT_EQ(RunCommand("ip -n " + Ns("vm1") + " link del " + prefix_ + "podbr0", &out), 0) << out;
  bool repaired = false;
  for (int i = 0; i < 100 && !repaired; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    repaired = Links("vm1").find(prefix_ + "podbr0") != std::string::npos &&
               Ping("perception-pod", "10.2.0.10");
  }
  EXPECT_TRUE(repaired) << Links("vm1");
  ctl::ListNetworkEventsResponse events;
  ASSERT_TRUE(ctl_->ListNetworkEvents(Ctx().get(), {}, &events).ok());
  bool recorded = false;
  for (const auto& e : events.events()) {
    recorded |= e.kind() == "drift-repaired" &&
                e.detail().find("create bridge " + prefix_ + "podbr0") != std::string::npos;
  }
  EXPECT_TRUE(recorded);
  follower.join();
  EXPECT_NE(followed.find("\"kind\":\"network_event\""), std::string::npos) << followed;
  EXPECT_NE(followed.find("drift-repaired"), std::string::npos) << followed;

  // A namespace removed by hand comes back too (periodic check).
  ASSERT_EQ(RunCommand("ip netns del " + Ns("control-pod"), &out), 0) << out;
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    back = Ping("perception-pod", "10.2.1.3");
  }
  EXPECT_TRUE(back);
}

TEST_F(TwinTest, DnatPortForwardFromTheCloudReachesAPod) {
  v1::ApplyConfigurationResponse applied = Apply(SeedWithCloudForward());
  ASSERT_TRUE(applied.success()) << applied.message();
  NetnsTcpServer control(Ns("control-pod"), 8080);
  ASSERT_TRUE(control.ok());
  int fd = ConnectFromNetns(Ns("update-server"), "10.9.0.1", 8080);
  ASSERT_GE(fd, 0) << "the port forward 10.9.0.1:8080 -> control-pod did not connect";
  ASSERT_EQ(send(fd, "hello", 5, 0), 5);
  for (int i = 0; i < 50 && control.bytes() < 5; ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(control.bytes(), 5u);
  close(fd);
  // Without the forward rule nothing listens on the vehicle itself.
  EXPECT_LT(ConnectFromNetns(Ns("update-server"), "10.9.0.1", 8081, 500), 0);
}

TEST_F(TwinTest, NetworkNotificationsSurviveAnOutageAndKillNine) {
  // The port Piccolo will listen on; nothing listens there yet.
  CallbackReceiver placeholder;
  ASSERT_TRUE(placeholder.Start());
  int port = placeholder.port();
  placeholder.Stop();
  callback_ = "127.0.0.1:" + std::to_string(port);
  stub_.reset();
  ctl_.reset();
  daemon_->Stop();
  StartDaemon();
  ASSERT_TRUE(Apply(Seed()).success());

  // Drift while Piccolo is down: repaired, recorded, not deliverable.
  std::string out;
  ASSERT_EQ(RunCommand("ip -n " + Ns("vm1") + " link del " + prefix_ + "podbr0", &out), 0) << out;
  ctl::GetCallbackStatusResponse outbox;
  // Recorded first, attempted (and failed) a moment later: wait for both.
  for (int i = 0; i < 100 && (outbox.pending() < 3 || outbox.last_error().empty()); ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    ASSERT_TRUE(ctl_->GetCallbackStatus(Ctx().get(), {}, &outbox).ok());
  }
  ASSERT_GE(outbox.pending(), 3) << "the repair was not recorded for delivery";
  EXPECT_NE(outbox.last_error(), "");

  // pharosd dies with undelivered notifications; the outbox survives.
  daemon_->Kill9();
  StartDaemon();
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port));
  auto got = piccolo.WaitForStatusChanges(3, std::chrono::seconds(15));
  ASSERT_GE(got.size(), 3u);
  std::set<std::string> components, seen;
  std::string previous_timestamp;
  for (const auto& n : got) {
    components.insert(n.component_id());
    EXPECT_EQ(n.current_status(), "up");
    EXPECT_NE(n.details().find("drift-repaired"), std::string::npos) << n.details();
    EXPECT_GE(n.timestamp(), previous_timestamp) << "delivered out of order";
    previous_timestamp = n.timestamp();
    EXPECT_TRUE(seen.insert(n.component_id() + n.timestamp() + n.details()).second)
        << "delivered twice: " << n.details();
  }
  EXPECT_TRUE(components.count("vm1/" + prefix_ + "podbr0"));
  EXPECT_TRUE(components.count("control-pod"));
  for (int i = 0; i < 50 && outbox.pending() > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    ASSERT_TRUE(ctl_->GetCallbackStatus(Ctx().get(), {}, &outbox).ok());
  }
  EXPECT_EQ(outbox.pending(), 0);
  stub_.reset();
  ctl_.reset();
  daemon_.reset();
  piccolo.Stop();
}

}  // namespace
}  // namespace pharos::e2e
