// pharosd under hostile and oversized input (issue 15): each finding of
// the adversarial run, against the real daemon over real gRPC. Every case
// asserts the code, the message, a bounded time, and that nothing changed.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "e2e/twin_fixture.h"
#include "google/rpc/status.pb.h"

namespace pharos::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::string Seed() { return ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"); }

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A real pharosd (plan dataplane: no kernel work, so every case is about
// the API) with the seed vehicle applied as version 1.
class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.Start());
    channel_ = grpc::CreateChannel(daemon_.address(), grpc::InsecureChannelCredentials());
    stub_ = v1::PharosService::NewStub(channel_);
    ctl_ = ctl::PharosControlService::NewStub(channel_);
    grpc::Status s;
    Apply(Seed(), &s);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(seconds timeout = seconds(20)) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + timeout);
    return c;
  }
  v1::ApplyConfigurationResponse Apply(const std::string& yaml, grpc::Status* status) {
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(yaml);
    v1::ApplyConfigurationResponse resp;
    *status = stub_->ApplyConfiguration(Ctx().get(), req, &resp);
    return resp;
  }
  grpc::Status Update(const std::string& yaml) {
    v1::UpdateNetworkConfigurationRequest req;
    req.set_update_yaml(yaml);
    req.set_incremental(true);
    v1::UpdateNetworkConfigurationResponse resp;
    return stub_->UpdateNetworkConfiguration(Ctx().get(), req, &resp);
  }
  grpc::Status Pod(const std::string& name, const std::string& network,
                   v1::RequestNetworkPodResponse* resp, const std::string& node = "name: vm1\n") {
    v1::RequestNetworkPodRequest req;
    req.set_node_yaml(node);
    req.set_pod_name(name);
    req.set_network_yaml(network);
    return stub_->RequestNetworkPod(Ctx().get(), req, resp);
  }
  // A pod request refused at once: INVALID_ARGUMENT (or `code`), not
  // accepted, the message containing `says`, no lease left.
  void ExpectPodRefused(const std::string& name, const std::string& network,
                        const std::string& says,
                        grpc::StatusCode code = grpc::StatusCode::INVALID_ARGUMENT) {
    v1::RequestNetworkPodResponse resp;
    auto start = steady_clock::now();
    grpc::Status s = Pod(name, network, &resp);
    EXPECT_LT(steady_clock::now() - start, seconds(2));
    EXPECT_EQ(s.error_code(), code) << name.substr(0, 80) << ": " << s.error_message();
    EXPECT_FALSE(resp.accepted());
    EXPECT_NE(s.error_message().find(says), std::string::npos)
        << "expected '" << says << "' in: " << s.error_message();
    EXPECT_LT(s.error_message().size(), 2048u);
    EXPECT_EQ(Leases(), 0);
  }
  int Leases() {
    ctl::ListLeasesResponse leases;
    EXPECT_TRUE(ctl_->ListLeases(Ctx().get(), {}, &leases).ok());
    return leases.leases_size();
  }
  int Versions() {
    ctl::ListConfigVersionsResponse versions;
    EXPECT_TRUE(ctl_->ListConfigVersions(Ctx().get(), {}, &versions).ok());
    return versions.versions_size();
  }

  TempDir dir_;
  DaemonProcess daemon_{dir_.path()};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PharosService::Stub> stub_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
};

// B: a 100,000-pod document is refused within its limit, and another
// client's GetNetworkStatus keeps answering within 100 ms meanwhile.
TEST_F(HostileInputTest, B_AHugeRequestIsRefusedWhileOthersAreServed) {
  // The issue's recipe: 100,000 pods in ~3 MB (below gRPC's 4 MiB, so it
  // is pharosd that answers).
  std::string huge =
      "vehicle:\n  socs:\n    - name: soc1\n      ip: \"10.1.0.2\"\n      subnet: \"10.1.0.0/24\"\n"
      "      vms:\n        - name: vm1\n          ip: \"10.2.0.10\"\n          subnet: "
      "\"10.2.0.0/24\"\n          pods: [{name: p0, networking: &n {subnet: 10.8.0.0/14}}";
  for (int i = 1; i < 100000; ++i) huge += ", {name: p" + std::to_string(i) + ", networking: *n}";
  huge += "]\n";
  ASSERT_GT(huge.size(), 2u * 1024 * 1024);
  ASSERT_LT(huge.size(), 4u * 1024 * 1024);
  auto other = v1::PharosService::NewStub(
      grpc::CreateChannel(daemon_.address(), grpc::InsecureChannelCredentials()));
  std::atomic<bool> done{false};
  std::atomic<int64_t> slowest_ms{0};
  std::atomic<int> answered{0};
  std::thread watcher([&] {
    while (!done) {
      auto start = steady_clock::now();
      v1::GetNetworkStatusResponse status;
      if (other->GetNetworkStatus(Ctx().get(), {}, &status).ok()) ++answered;
      int64_t took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start).count();
      slowest_ms = std::max<int64_t>(slowest_ms, took);
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  auto start = steady_clock::now();
  for (int round = 0; round < 3; ++round) {
    grpc::Status applied;
    Apply(huge, &applied);
    EXPECT_EQ(applied.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(applied.error_message().find("the limit is 2097152 bytes"), std::string::npos)
        << applied.error_message();
    grpc::Status updated = Update(huge);
    EXPECT_EQ(updated.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  auto took = steady_clock::now() - start;
  done = true;
  watcher.join();
  EXPECT_LT(took, seconds(5));
  EXPECT_GT(answered.load(), 0);
  EXPECT_LT(slowest_ms.load(), 100) << "GetNetworkStatus waited for the large request";
  EXPECT_EQ(Versions(), 1);
}

// B: a large but allowed validation does not hold up status and versions.
TEST_F(HostileInputTest, B_ALargeValidationDoesNotStallStatusOrVersions) {
  std::string pods;
  for (int i = 0; i < 4000; ++i) {
    pods += "            - {name: p" + std::to_string(i) +
            ", namespace: n, networking: {type: cni, subnet: \"10.2.1.0/20\"}}\n";
  }
  std::string large = Replaced(Seed(), "            - name: control-pod\n",
                               pods + "            - name: control-pod\n");
  std::atomic<bool> done{false};
  std::atomic<int64_t> slowest_ms{0};
  std::thread validator([&] {
    auto other = v1::PharosService::NewStub(
        grpc::CreateChannel(daemon_.address(), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 3; ++i) {
      v1::ValidateConfigurationRequest req;
      req.set_config_yaml(large);
      v1::ValidateConfigurationResponse resp;
      (void)other->ValidateConfiguration(Ctx(seconds(60)).get(), req, &resp);
    }
    done = true;
  });
  while (!done) {
    auto start = steady_clock::now();
    v1::GetNetworkStatusResponse status;
    EXPECT_TRUE(stub_->GetNetworkStatus(Ctx().get(), {}, &status).ok());
    EXPECT_GT(Versions(), 0);
    int64_t took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start).count();
    slowest_ms = std::max<int64_t>(slowest_ms, took);
    std::this_thread::sleep_for(milliseconds(10));
  }
  validator.join();
  // Generous for a loaded 2-core machine; before, these waited for the
  // whole validation (seconds).
  EXPECT_LT(slowest_ms.load(), 500);
}

// C and G: a 4 MiB pod name is refused at once with a bounded message,
// so no completion (and no notification) ever carries it.
TEST_F(HostileInputTest, C_AHugePodNameIsRefusedWithABoundedMessage) {
  ExpectPodRefused(std::string(4 * 1024 * 1024 - 4096, 'a'),
                   "networking: {subnet: \"10.2.1.0/24\"}\n", "is not valid");
}

// D: a configuration with 99 findings is INVALID_ARGUMENT with readable
// findings, never RESOURCE_EXHAUSTED on the client's metadata limit.
TEST_F(HostileInputTest, D_ManyFindingsArriveAsInvalidArgumentWithDetails) {
  std::string pods;
  for (int i = 0; i < 99; ++i) {
    pods += "            - {name: \"bad name " + std::string(300, 'x') + std::to_string(i) +
            "\", networking: {type: cni, subnet: \"10.2.1.0/24\"}}\n";
  }
  std::string bad = Replaced(Seed(), "            - name: control-pod\n",
                             pods + "            - name: control-pod\n");
  grpc::Status s;
  Apply(bad, &s);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(s.error_details()));
  EXPECT_LT(s.error_details().size(), 4096u + 512u);
  bool issues_found = false;
  for (const auto& any : rich.details()) {
    v1::ValidateConfigurationResponse issues;
    if (!any.UnpackTo(&issues)) continue;
    issues_found = true;
    ASSERT_GT(issues.issues_size(), 1);
    bool named = false;
    for (const auto& issue : issues.issues()) {
      named = named || issue.description().find("is not valid") != std::string::npos;
    }
    EXPECT_TRUE(named) << issues.DebugString().substr(0, 2000);
    EXPECT_NE(issues.issues(issues.issues_size() - 1).description().find("not shown"),
              std::string::npos);
  }
  EXPECT_TRUE(issues_found);
  EXPECT_EQ(Versions(), 1);
}

// E: a runtime namespace that is the host's (or pharosd's own) is refused.
TEST_F(HostileInputTest, E_TheHostsNamespaceIsNotAPodsNamespace) {
  // pharosd (plan dataplane) runs in this test's namespace: its own.
  ExpectPodRefused("web",
                   "networking: {subnet: \"10.2.1.0/24\", netns: /proc/" +
                       std::to_string(getpid()) + "/ns/net}\n",
                   "pharosd's own network namespace");
  // PID 1's: the host's, or (in a container) not readable at all.
  ExpectPodRefused("web", "networking: {subnet: \"10.2.1.0/24\", netns: /proc/1/ns/net}\n",
                   "networking.netns /proc/1/ns/net ");
  ExpectPodRefused("web", "networking: {subnet: \"10.2.1.0/24\", netns: /etc/hostname}\n",
                   "not a network namespace");
}

// G: what the YAML validator refuses is refused at once, not accepted and
// failed later.
TEST_F(HostileInputTest, G_RequestNetworkPodIsValidatedAtOnce) {
  const std::string net = "networking: {subnet: \"10.2.1.0/24\"}\n";
  const std::vector<std::string> names = {"..",
                                          "../etc",
                                          "a/b",
                                          "$(reboot)",
                                          "a\nb",
                                          std::string("a\0b", 3),
                                          std::string(64, 'a'),
                                          "p\xc3\xa9"};
  for (const std::string& name : names) {
    ExpectPodRefused(name, net, "is not valid");
  }
  for (const char* iface : {"lo", "a/b", "\"\""}) {
    ExpectPodRefused(
        "web", std::string("networking: {subnet: \"10.2.1.0/24\", interface: ") + iface + "}\n",
        "interface");
  }
  struct Subnet {
    const char* subnet;
    const char* says;
  };
  for (const Subnet& s : {Subnet{"0.0.0.0/0", "default route"}, Subnet{"224.0.0.0/4", "multicast"},
                          Subnet{"127.0.0.0/8", "loopback"}, Subnet{"10.2.0.0/24", "overlaps"},
                          Subnet{"10.1.0.0/24", "overlaps"}}) {
    ExpectPodRefused("web", std::string("networking: {subnet: \"") + s.subnet + "\"}\n", s.says);
  }
}

// H: a name with a newline cannot forge a log line (refused, and what is
// logged is escaped).
TEST_F(HostileInputTest, H_NoLogLineCanBeForged) {
  ExpectPodRefused("x\n2026-01-01T00:00:00.000 INFO  FORGED line", "networking: {}\n", "not valid");
  std::string log = daemon_.Log();
  EXPECT_EQ(log.find("\nFORGED"), std::string::npos);
  EXPECT_EQ(log.find("\n2026-01-01T00:00:00.000 INFO  FORGED"), std::string::npos) << log;
  EXPECT_EQ(log.find('\0'), std::string::npos);
}

// I: clean answers for the rest.
TEST_F(HostileInputTest, I_CleanAnswers) {
  std::string deep = "vehicle: ";
  for (int i = 0; i < 600; ++i) deep += "[";
  grpc::Status s;
  Apply(deep, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("nests deeper than"), std::string::npos) << s.error_message();

  ExpectPodRefused("web", "pod: 5\n", "must be a mapping");
  ExpectPodRefused("web", "remove: 1\n", "remove must be true or false");
  ExpectPodRefused("web", "remove: \"yes\"\n", "remove must be true or false");

  Apply(Replaced(Seed(), "name: soc2", "name: !!python/object:os.system soc2"), &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("is not accepted"), std::string::npos) << s.error_message();
  Apply(Replaced(Seed(), "name: soc2", "name: true"), &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("reads as a boolean"), std::string::npos) << s.error_message();
  Apply(Seed() + "junk: \"" + std::string(1024 * 1024, 'j') + "\"\n", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("unknown key 'junk'"), std::string::npos) << s.error_message();
  Apply(Replaced(Seed(), "          subnet: \"10.2.0.0/24\"\n",
                 "          subnet: \"10.2.0.0/24\"\n          bridge: \"br;ls\"\n"),
        &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("bridge name"), std::string::npos) << s.error_message();
  EXPECT_EQ(Versions(), 1);  // none of them was stored

  v1::GetNetworkMetricsRequest metrics;
  metrics.set_duration_seconds(-1);
  v1::GetNetworkMetricsResponse m;
  s = stub_->GetNetworkMetrics(Ctx().get(), metrics, &m);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  v1::RegisterServiceRequest reg;
  reg.set_service_name("flood");
  reg.set_host("10.2.1.2");
  reg.set_port(8080);
  reg.set_protocol("grpc");
  for (int i = 0; i < 100000; ++i) (*reg.mutable_metadata())["k" + std::to_string(i)] = "v";
  v1::RegisterServiceResponse registered;
  s = stub_->RegisterService(Ctx().get(), reg, &registered);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("the limit is 64"), std::string::npos) << s.error_message();
}

// I: a string field that is not UTF-8 gets a clear INVALID_ARGUMENT.
TEST_F(HostileInputTest, I_InvalidUtf8IsAClearInvalidArgument) {
  v1::RequestNetworkPodResponse resp;
  grpc::Status s = Pod("web", "networking: {subnet: \"10.2.1.0/24\"}\n\xff\xfe", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("UTF-8"), std::string::npos) << s.error_message();
}

// Counts: --max-pods bounds the vehicle, runtime pods included.
TEST(HostileInputLimitsTest, MaxPodsBoundsDocumentsAndRequests) {
  TempDir dir;
  DaemonProcess daemon(dir.path(), {"--dataplane=plan", "--callback-endpoint=none", "--max-pods=2"});
  ASSERT_TRUE(daemon.Start());
  auto stub = v1::PharosService::NewStub(
      grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials()));
  auto ctx = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + seconds(20));
    return c;
  };
  v1::ApplyConfigurationRequest apply;
  v1::ApplyConfigurationResponse applied;
  apply.set_config_yaml(Replaced(Seed(), "            - name: control-pod\n",
                                 "            - name: third-pod\n              networking: "
                                 "{subnet: \"10.2.1.0/24\"}\n            - name: control-pod\n"));
  grpc::Status s = stub->ApplyConfiguration(ctx().get(), apply, &applied);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("the limit is 2"), std::string::npos) << s.error_message();
  apply.set_config_yaml(Seed());  // two pods: at the limit, fine
  ASSERT_TRUE(stub->ApplyConfiguration(ctx().get(), apply, &applied).ok());
  v1::RequestNetworkPodRequest pod;
  pod.set_node_yaml("name: vm1\n");
  pod.set_pod_name("web");
  pod.set_network_yaml("networking: {subnet: \"10.2.1.0/24\"}\n");
  v1::RequestNetworkPodResponse answer;
  s = stub->RequestNetworkPod(ctx().get(), pod, &answer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("--max-pods 2"), std::string::npos) << s.error_message();
  EXPECT_FALSE(answer.accepted());
}

using HostilePodTwinTest = SeedTwinTest;

// E: a pod may not attach to a namespace Pharos owns (soc2's).
TEST_F(HostilePodTwinTest, E_ANamespacePharosOwnsIsRefused) {
  v1::RequestNetworkPodResponse resp;
  grpc::Status s = Request(
      "web", kNodeYaml,
      "networking: {subnet: \"10.2.1.0/24\", netns: /run/netns/" + prefix_ + "soc2}\n", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("which Pharos owns"), std::string::npos) << s.error_message();
  EXPECT_TRUE(LeaseIps().empty());
}

// F: a different request for a pod still being set up is refused, not
// accepted and lost; the first completes, and the second works after.
TEST_F(HostilePodTwinTest, F_AReRequestInFlightIsRefusedNotLost) {
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port_));
  v1::RequestNetworkPodResponse first, second;
  ASSERT_TRUE(Request("web", kNodeYaml, kPodNetwork, &first).ok());
  grpc::Status s = Request("web", kNodeYaml,
                           "namespace: other\nnetworking: {subnet: \"10.2.1.0/24\"}\n", &second);
  if (s.ok()) {
    // The first had completed already (a fast machine): then the change is
    // a new request and must complete too.
    ASSERT_TRUE(second.accepted());
    EXPECT_EQ(piccolo.WaitForCompletions(2, seconds(20)).size(), 2u);
    return;
  }
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("in flight"), std::string::npos) << s.error_message();
  auto done = piccolo.WaitForCompletions(1, seconds(20));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].request_id(), first.request_id());
  EXPECT_EQ(done[0].status(), v1::CompleteNetworkSettingRequest::OK) << done[0].details();
  ASSERT_TRUE(Request("web", kNodeYaml, "namespace: other\nnetworking: {subnet: \"10.2.1.0/24\"}\n",
                      &second)
                  .ok());
  auto both = piccolo.WaitForCompletions(2, seconds(20));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1].request_id(), second.request_id());
  EXPECT_FALSE(LeaseIps()["web"].empty());
}

// C: a notification the receiver refuses as too large is dead-lettered
// after its retries and does not hold back the one behind it.
TEST_F(HostilePodTwinTest, C_ARefusedNotificationIsDeadLetteredNotBlocking) {
  // Completions of a 63-character pod are ~140 bytes, of "b" ~80.
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port_, 110));
  std::string long_name(63, 'l');
  v1::RequestNetworkPodResponse big, small;
  ASSERT_TRUE(Request(long_name, kNodeYaml, kPodNetwork, &big).ok());
  auto none = piccolo.WaitForCompletions(1, seconds(1));
  EXPECT_TRUE(none.empty());
  ASSERT_TRUE(Request("b", kNodeYaml, kPodNetwork, &small).ok());
  auto delivered = piccolo.WaitForCompletions(1, seconds(40));
  ASSERT_EQ(delivered.size(), 1u) << "the refused completion blocked the next one";
  EXPECT_EQ(delivered[0].request_id(), small.request_id());
  ctl::GetCallbackStatusResponse status;
  for (int i = 0; i < 50; ++i) {  // the acknowledged entry is deleted just after
    ASSERT_TRUE(ctl_->GetCallbackStatus(Ctx().get(), {}, &status).ok());
    if (status.pending() == 0) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(status.dead_lettered(), 1);
  ASSERT_EQ(status.dead_letters_size(), 1);
  EXPECT_EQ(status.dead_letters(0).component(), long_name);
  EXPECT_EQ(status.dead_letters(0).kind(), "complete_network_setting");
  EXPECT_NE(status.dead_letters(0).last_error().find("larger than max"), std::string::npos)
      << status.dead_letters(0).last_error();
  EXPECT_EQ(status.pending(), 0) << status.DebugString();
}

}  // namespace
}  // namespace pharos::e2e
