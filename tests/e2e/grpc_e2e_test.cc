// End to end over real gRPC: the real pharosd, a real port, a real SQLite
// file; nothing but the public API.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e/daemon_process.h"
#include "google/rpc/status.pb.h"
#include "pharos/api/v1/pharos_network_service_connection.grpc.pb.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = pharos::api::v1;

std::string Seed() { return ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"); }

std::string SeedWithExtraPod() {
  std::string yaml = Seed();
  std::string anchor = "            - name: control-pod\n";
  yaml.replace(yaml.find(anchor), anchor.size(), R"(            - name: planning-pod
              namespace: planning
              networking:
                type: cni
                subnet: "10.2.1.0/24"
            - name: control-pod
)");
  return yaml;
}

class GrpcE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.Start());
    Connect();
  }
  void Connect() {
    channel_ = grpc::CreateChannel(daemon_.address(), grpc::InsecureChannelCredentials());
    stub_ = v1::PharosService::NewStub(channel_);
  }
  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return c;
  }
  v1::ApplyConfigurationResponse Apply(const std::string& yaml, grpc::Status* status) {
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(yaml);
    v1::ApplyConfigurationResponse resp;
    *status = stub_->ApplyConfiguration(Ctx().get(), req, &resp);
    return resp;
  }

  TempDir dir_;
  DaemonProcess daemon_{dir_.path()};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PharosService::Stub> stub_;
};

TEST_F(GrpcE2eTest, SeedVehicleValidatesClean) {
  v1::ValidateConfigurationRequest req;
  req.set_config_yaml(Seed());
  v1::ValidateConfigurationResponse resp;
  grpc::Status s = stub_->ValidateConfiguration(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.valid());
  for (const auto& i : resp.issues()) EXPECT_NE(i.severity(), "ERROR") << i.description();
}

// Each fixture names its expected finding on its first line:
//   # expect: SEVERITY PATH text-in-description
TEST_F(GrpcE2eTest, BrokenFixturesYieldTheExpectedFinding) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(PHAROS_FIXTURES_DIR)) {
    std::string text = ReadFile(entry.path());
    if (text.rfind("# expect: ", 0) != 0) continue;
    std::string expect = text.substr(10, text.find('\n') - 10);
    std::string severity = expect.substr(0, expect.find(' '));
    std::string rest = expect.substr(severity.size() + 1);
    std::string path = rest.substr(0, rest.find(' '));
    std::string needle = rest.substr(path.size() + 1);
    v1::ValidateConfigurationRequest req;
    req.set_config_yaml(text);
    v1::ValidateConfigurationResponse resp;
    grpc::Status s = stub_->ValidateConfiguration(Ctx().get(), req, &resp);
    if (!s.ok()) {  // unparsable: INVALID_ARGUMENT, issues in the details
      ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << entry.path();
      google::rpc::Status rich;
      ASSERT_TRUE(rich.ParseFromString(s.error_details()));
      ASSERT_GE(rich.details_size(), 1);
      ASSERT_TRUE(rich.details(0).UnpackTo(&resp));
    }
    EXPECT_FALSE(resp.valid()) << entry.path();
    bool found = false;
    for (const auto& i : resp.issues()) {
      found |= i.severity() == severity && i.path() == path &&
               i.description().find(needle) != std::string::npos && i.line() > 0;
    }
    EXPECT_TRUE(found) << entry.path() << ": expected " << expect;
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

TEST_F(GrpcE2eTest, ApplyChangeRollbackRestart) {
  grpc::Status s;
  v1::ApplyConfigurationResponse r1 = Apply(Seed(), &s);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(r1.success());
  EXPECT_EQ(r1.config_version(), "1");

  v1::ApplyConfigurationResponse same = Apply(Seed(), &s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(same.config_version(), "1");

  // The changed vehicle through UpdateNetworkConfiguration (replace), which
  // reports affected components.
  v1::UpdateNetworkConfigurationRequest up;
  up.set_update_yaml(SeedWithExtraPod());
  up.set_incremental(false);
  v1::UpdateNetworkConfigurationResponse upr;
  s = stub_->UpdateNetworkConfiguration(Ctx().get(), up, &upr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> affected(upr.affected_components().begin(),
                                    upr.affected_components().end());
  EXPECT_EQ(affected, (std::vector<std::string>{"planning-pod", "vm1/ph-podbr0"}));

  v1::RollbackConfigurationRequest rb;
  v1::RollbackConfigurationResponse rbr;
  s = stub_->RollbackConfiguration(Ctx().get(), rb, &rbr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rbr.current_version(), "1");

  rb.set_target_version("42");
  s = stub_->RollbackConfiguration(Ctx().get(), rb, &rbr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  // Graceful restart: versions and current configuration survive.
  EXPECT_EQ(daemon_.Stop(), 0);
  ASSERT_TRUE(daemon_.Start());
  Connect();
  auto ctl = pharos::ctl::v1::PharosControlService::NewStub(channel_);
  pharos::ctl::v1::ListConfigVersionsResponse versions;
  s = ctl->ListConfigVersions(Ctx().get(), {}, &versions);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(versions.versions_size(), 2);
  EXPECT_TRUE(versions.versions(0).current());
  v1::GetNetworkStatusRequest sreq;
  sreq.set_component_filter("pod");
  v1::GetNetworkStatusResponse sresp;
  ASSERT_TRUE(stub_->GetNetworkStatus(Ctx().get(), sreq, &sresp).ok());
  EXPECT_EQ(sresp.components_size(), 2);  // version 1 has two pods

  // kill -9: nothing acknowledged is lost.
  ASSERT_TRUE(Apply(SeedWithExtraPod(), &s).success());
  daemon_.Kill9();
  ASSERT_TRUE(daemon_.Start());
  Connect();
  ASSERT_TRUE(stub_->GetNetworkStatus(Ctx().get(), sreq, &sresp).ok());
  EXPECT_EQ(sresp.components_size(), 3);
}

TEST_F(GrpcE2eTest, InvalidApplyIsInvalidArgumentWithDetails) {
  grpc::Status s;
  std::string bad = Seed();
  bad.replace(bad.find("10.2.0.10"), 9, "10.7.0.10");
  Apply(bad, &s);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("outside its subnet"), std::string::npos);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(s.error_details()));
  v1::ApplyConfigurationResponse resp;
  ASSERT_TRUE(rich.details(0).UnpackTo(&resp));
  EXPECT_FALSE(resp.success());
  v1::ValidateConfigurationResponse issues;
  ASSERT_TRUE(rich.details(1).UnpackTo(&issues));
  EXPECT_GT(issues.issues_size(), 0);
  // And nothing changed.
  v1::GetNetworkStatusResponse st;
  ASSERT_TRUE(stub_->GetNetworkStatus(Ctx().get(), {}, &st).ok());
  EXPECT_EQ(st.components_size(), 0);
}

TEST_F(GrpcE2eTest, ConfigureVehicleNetworkDryRunAndStatus) {
  v1::ConfigureVehicleNetworkRequest req;
  req.set_vehicle_yaml(Seed());
  req.set_dry_run(true);
  v1::ConfigureVehicleNetworkResponse resp;
  ASSERT_TRUE(stub_->ConfigureVehicleNetwork(Ctx().get(), req, &resp).ok());
  EXPECT_TRUE(resp.success());
  v1::GetNetworkStatusResponse st;
  ASSERT_TRUE(stub_->GetNetworkStatus(Ctx().get(), {}, &st).ok());
  EXPECT_EQ(st.components_size(), 0);  // dry run applied nothing
  req.set_dry_run(false);
  ASSERT_TRUE(stub_->ConfigureVehicleNetwork(Ctx().get(), req, &resp).ok());
  v1::GetNetworkStatusRequest f;
  f.set_component_filter("perception-*");
  ASSERT_TRUE(stub_->GetNetworkStatus(Ctx().get(), f, &st).ok());
  ASSERT_EQ(st.components_size(), 1);
  EXPECT_EQ(st.components(0).type(), "pod");
  EXPECT_EQ(st.components(0).status(), "planned");
  EXPECT_EQ(st.components(0).ip_address(), "10.2.1.2");
  EXPECT_EQ(st.components(0).connected_to(0), "vm1/ph-podbr0");
}

TEST_F(GrpcE2eTest, PullpiriAliasAndUnbuiltRpcsAndPlanModeDiagnosticsAnswerClearly) {
  auto pullpiri = v1::PharosNetworkServiceConnection::NewStub(channel_);
  v1::PullpiriRequestNetworkPodRequest preq;
  preq.set_pod_name("scenario-1");
  v1::RequestNetworkPodResponse presp;
  grpc::Status s = pullpiri->RequestNetworkPod(Ctx().get(), preq, &presp);
  // The alias reaches the real handler: an empty node_yaml is refused.
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("node_yaml"), std::string::npos) << s.error_message();
  // Diagnostics exist but need a dataplane with something to probe.
  v1::TestConnectivityResponse tresp;
  s = stub_->TestConnectivity(Ctx().get(), {}, &tresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::TestConnectivityRequest treq;
  treq.set_source("perception-pod");
  treq.set_destination("control-pod");
  s = stub_->TestConnectivity(Ctx().get(), treq, &tresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("--dataplane=emulated"), std::string::npos) << s.error_message();
  v1::EmergencyNetworkModeRequest ereq;
  ereq.set_activate(true);
  ereq.set_mode("party");
  v1::EmergencyNetworkModeResponse eresp;
  s = stub_->EmergencyNetworkMode(Ctx().get(), ereq, &eresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  v1::ConfigureCloudFeedingRequest creq;
  creq.set_enabled(true);
  creq.set_interval_seconds(0);
  creq.add_data_fields("pharos.network.status");
  creq.set_target_endpoint("mqtt://127.0.0.1:1883/t");
  v1::ConfigureCloudFeedingResponse cresp;
  s = stub_->ConfigureCloudFeeding(Ctx().get(), creq, &cresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("interval_seconds"), std::string::npos) << s.error_message();
}

TEST_F(GrpcE2eTest, HealthServiceServes) {
  // grpc.health.v1.Health/Check with an empty request, raw, to avoid
  // depending on generated health stubs.
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status result;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status st) {
                      std::lock_guard l(mu);
                      result = st;
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock l(mu);
  cv.wait(l, [&] { return done; });
  ASSERT_TRUE(result.ok()) << result.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
}

}  // namespace
}  // namespace pharos::e2e

namespace pharos::e2e {
namespace {

TEST(DaemonStartup, RefusesAnUnusableInterfacePrefix) {
  TempDir dir;
  DaemonProcess daemon(dir.path(), {"--dataplane=plan", "--interface-prefix=toolong-"});
  EXPECT_FALSE(daemon.Start());
  EXPECT_NE(daemon.Log().find("--interface-prefix 'toolong-' must be at most 6"), std::string::npos)
      << daemon.Log();
}

}  // namespace
}  // namespace pharos::e2e

namespace pharos::e2e {
namespace {

// Issue 15, A: 1.8 KB of nested aliases (a million pods once expanded) is
// refused at once, and the daemon keeps answering.
TEST_F(GrpcE2eTest, AnAliasBombIsRefusedInMillisecondsAndChangesNothing) {
  std::string bomb = "x-pod: &p {name: p, networking: {type: cni, subnet: \"10.2.1.0/24\"}}\n"
                     "x-pods: &pods [*p";
  for (int i = 1; i < 100; ++i) bomb += ", *p";
  bomb += "]\nx-vm: &vm {name: v, ip: \"10.2.0.10\", subnet: \"10.2.0.0/24\", pods: *pods}\n"
          "x-vms: &vms [*vm";
  for (int i = 1; i < 100; ++i) bomb += ", *vm";
  bomb += "]\nx-soc: &soc {name: s, ip: \"10.1.0.2\", subnet: \"10.1.0.0/24\", vms: *vms}\n"
          "vehicle:\n  name: bomb\n  socs: [*soc";
  for (int i = 1; i < 100; ++i) bomb += ", *soc";
  bomb += "]\n";
  auto start = std::chrono::steady_clock::now();
  v1::ValidateConfigurationRequest req;
  req.set_config_yaml(bomb);
  v1::ValidateConfigurationResponse resp;
  grpc::Status s = stub_->ValidateConfiguration(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("expands to more than"), std::string::npos)
      << s.error_message();
  grpc::Status applied;
  v1::ApplyConfigurationResponse apply = Apply(bomb, &applied);
  EXPECT_EQ(applied.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::RequestNetworkPodRequest pod;
  pod.set_node_yaml("name: vm1\n");
  pod.set_pod_name("p");
  pod.set_network_yaml(bomb);
  v1::RequestNetworkPodResponse answer;
  EXPECT_NE(stub_->RequestNetworkPod(Ctx().get(), pod, &answer).error_code(), grpc::StatusCode::OK);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  v1::GetNetworkStatusResponse status;
  EXPECT_TRUE(stub_->GetNetworkStatus(Ctx().get(), {}, &status).ok());
  EXPECT_TRUE(status.components().empty());  // nothing was applied
}

}  // namespace
}  // namespace pharos::e2e
