// The reconciler and the Linux backend against an in-memory kernel: what
// gets created, that a second apply changes nothing, that a change only
// touches the namespaces it concerns, and that nothing foreign is touched.
#include <gtest/gtest.h>

#include <algorithm>

#include "dataplane/linux_backend.h"
#include "dataplane/nat_ruleset.h"
#include "fake_kernel.h"
#include "test_support.h"

namespace pharos::dataplane {
namespace {

using pharos::testing::Analyze;
using pharos::testing::FakeKernel;
using pharos::testing::SeedVehicleYaml;
using pharos::testing::SeedWithPlanningPod;

plan::Plan SeedPlan() { return *Analyze(SeedVehicleYaml()).plan; }

class LinuxBackendTest : public ::testing::Test {
 protected:
  LinuxBackendTest() {
    auto owned = std::make_unique<FakeKernel>();
    kernel_ = owned.get();
    backend_ = std::make_unique<LinuxBackend>(std::move(owned),
                                              BackendOptions{DataplaneMode::kEmulated, "", "ph-"});
  }
  size_t Calls(std::string_view prefix) const {
    return std::count_if(kernel_->calls.begin(), kernel_->calls.end(),
                         [&](const std::string& c) { return c.rfind(prefix, 0) == 0; });
  }
  FakeKernel* kernel_;
  std::unique_ptr<LinuxBackend> backend_;
};

TEST_F(LinuxBackendTest, BuildsTheSeedVehicle) {
  plan::Plan plan = SeedPlan();
  absl::StatusOr<ApplyResult> r = backend_->Apply(plan);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(kernel_->namespaces.size(), plan.namespaces.size());
  EXPECT_EQ(Calls("CreateBridge"), plan.bridges.size());
  EXPECT_EQ(Calls("CreateVeth"), plan.veths.size());
  EXPECT_EQ(Calls("AddAddress"), plan.addresses.size());
  EXPECT_EQ(Calls("AddRoute"), plan.routes.size());
  const auto& vm1 = kernel_->namespaces.at("ph-vm1");
  EXPECT_TRUE(vm1.forwarding);
  EXPECT_EQ(vm1.links.at("ph-control-pod").master, "ph-podbr0");
  EXPECT_EQ(kernel_->namespaces.at("ph-vm1").marker, NamespaceMarker("ph-"));
  EXPECT_TRUE(r->changed_components.count("control-pod"));
}

TEST_F(LinuxBackendTest, ApplyingTwiceChangesNothing) {
  ASSERT_TRUE(backend_->Apply(SeedPlan()).ok());
  kernel_->calls.clear();
  absl::StatusOr<ApplyResult> again = backend_->Apply(SeedPlan());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->actions.empty());
  EXPECT_TRUE(kernel_->calls.empty());

  // A fresh backend (pharosd restarted) observes everything and still
  // changes nothing.
  auto kernel = std::make_unique<FakeKernel>(*kernel_);
  FakeKernel* raw = kernel.get();
  raw->calls.clear();
  LinuxBackend restarted(std::move(kernel), {DataplaneMode::kEmulated, "", "ph-"});
  absl::StatusOr<ApplyResult> after_restart = restarted.Apply(SeedPlan());
  ASSERT_TRUE(after_restart.ok()) << after_restart.status();
  EXPECT_TRUE(after_restart->actions.empty()) << after_restart->actions.front();
}

TEST_F(LinuxBackendTest, AddingAPodTouchesOnlyThatPodAndItsBridge) {
  ASSERT_TRUE(backend_->Apply(SeedPlan()).ok());
  kernel_->calls.clear();
  // A static address: without the controller's sticky addresses a dynamic one
  // would renumber the pods declared after it.
  absl::StatusOr<ApplyResult> r = backend_->Apply(*Analyze(SeedWithPlanningPod(true)).plan);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->changed_components, (std::set<std::string>{"planning-pod"}));
  for (const auto& call : kernel_->calls) {
    EXPECT_NE(call.find("plann"), std::string::npos)
        << "unrelated change: " << call;
  }
  // The pair is made from the pod's side: its VM (with every other pod's
  // link) is not observed, so a pod costs the same on a VM of 1,000 pods.
  EXPECT_EQ(Calls("Observe ph-vm1"), 0u);
  EXPECT_EQ(Calls("Observe ph-planning-pod"), 1u);
  ASSERT_TRUE(kernel_->namespaces.at("ph-vm1").links.count("ph-planning-pod"));
  // And removing it again removes its namespace and the VM-side end,
  // without a look at the VM.
  kernel_->calls.clear();
  r = backend_->Apply(SeedPlan());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(kernel_->namespaces.count("ph-planning-pod"));
  EXPECT_EQ(Calls("DeleteNamespace"), 1u);
  EXPECT_EQ(Calls("DeleteLink ph-vm1 ph-planning-pod"), 1u);  // by name, at once
  EXPECT_EQ(Calls("Observe ph-vm1"), 0u);
  EXPECT_FALSE(kernel_->namespaces.at("ph-vm1").links.count("ph-planning-pod"));
}

// ApplyChange (the incremental pod path): told which namespaces changed,
// the backend does the same as Apply, and remembers what it converged so
// that a full Apply afterwards finds nothing to do.
TEST_F(LinuxBackendTest, AChangeToldByNamespaceConvergesAsAFullApplyWould) {
  ASSERT_TRUE(backend_->Apply(SeedPlan()).ok());
  plan::Plan with_pod = *Analyze(SeedWithPlanningPod(true)).plan;
  // As the incremental planner tells it: the pod's namespace, and one link
  // of its VM's.
  const plan::ChangedParts touched{{"ph-planning-pod"}, {{"ph-vm1", "ph-planning-pod"}}};
  kernel_->calls.clear();
  absl::StatusOr<ApplyResult> r = backend_->ApplyChange(with_pod, touched);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->changed_components, (std::set<std::string>{"planning-pod"}));
  EXPECT_EQ(Calls("Observe ph-vm1"), 0u);
  ASSERT_TRUE(kernel_->namespaces.count("ph-planning-pod"));
  ASSERT_TRUE(kernel_->namespaces.at("ph-vm1").links.count("ph-planning-pod"));
  // Removed the same way straight after: the VM's end goes by name, which
  // needs the link ApplyChange recorded.
  kernel_->calls.clear();
  r = backend_->ApplyChange(SeedPlan(), touched);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(kernel_->namespaces.count("ph-planning-pod"));
  EXPECT_EQ(Calls("DeleteLink ph-vm1 ph-planning-pod"), 1u);
  EXPECT_EQ(Calls("Observe ph-vm1"), 0u);
  // What ApplyChange recorded is what a full Apply would: nothing to do.
  kernel_->calls.clear();
  absl::StatusOr<ApplyResult> again = backend_->Apply(SeedPlan());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->actions.empty()) << again->actions.front();
  EXPECT_EQ(Calls("Observe"), 0u);
  ASSERT_TRUE(backend_->ApplyChange(with_pod, touched).ok());
  kernel_->calls.clear();
  again = backend_->Apply(with_pod);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->actions.empty()) << again->actions.front();
  EXPECT_EQ(Calls("Observe"), 0u) << "the digests ApplyChange kept are not the full ones";

  // Given a new address, the pod takes its new MAC from its own side; its
  // VM is not observed for that.
  plan::Plan moved = with_pod;
  Ipv4Address to = *Ipv4Address::Parse("10.2.1.77");
  for (auto& a : moved.addresses) {
    if (a.component == "planning-pod") a.address = to;
  }
  for (auto& v : moved.veths) {
    if (v.component == "planning-pod") v.peer_mac = MacAddress::DerivedFrom(to);
  }
  kernel_->calls.clear();
  ASSERT_TRUE(backend_->ApplyChange(moved, touched).ok());
  EXPECT_EQ(Calls("Observe ph-vm1"), 0u);
  EXPECT_EQ(Calls("SetLinkMac ph-planning-pod eth0 02:50:0a:02:01:4d"), 1u);
}

TEST_F(LinuxBackendTest, ForeignNamespaceWithOurNameIsRefusedAndLeftAlone) {
  kernel_->namespaces["ph-soc2"].marker = "someone-else";
  kernel_->namespaces["ph-soc2"].links["eth9"] = {50, "veth", "", "", "", "", true};
  absl::StatusOr<ApplyResult> r = backend_->Apply(SeedPlan());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("ph-soc2"), std::string_view::npos);
  EXPECT_EQ(kernel_->namespaces.at("ph-soc2").links.size(), 1u);
  EXPECT_EQ(kernel_->namespaces.at("ph-soc2").marker, "someone-else");
}

TEST_F(LinuxBackendTest, StaleOwnedNamespacesAreSweptForeignOnesKept) {
  kernel_->namespaces["ph-old-pod"].marker = NamespaceMarker("ph-");
  kernel_->namespaces["ph-not-ours"].marker = "";
  kernel_->namespaces["ph-not-ours"].links["x"] = {60, "dummy", "", "", "", "", true};
  ASSERT_TRUE(backend_->Apply(SeedPlan()).ok());
  EXPECT_FALSE(kernel_->namespaces.count("ph-old-pod"));
  EXPECT_TRUE(kernel_->namespaces.count("ph-not-ours"));
}

TEST_F(LinuxBackendTest, DriftIsRepairedOnlyWhereMarkedDirty) {
  ASSERT_TRUE(backend_->Apply(SeedPlan()).ok());
  kernel_->namespaces.at("ph-vm1").links.erase("ph-podbr0");
  kernel_->namespaces.at("ph-soc1").routes.clear();
  backend_->MarkDirty({"ph-vm1"});
  kernel_->calls.clear();
  absl::StatusOr<ApplyResult> r = backend_->Apply(SeedPlan());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Calls("CreateBridge ph-vm1 ph-podbr0"), 1u);
  EXPECT_EQ(Calls("AddRoute ph-soc1"), 0u) << "ph-soc1 was not reported dirty";
  EXPECT_TRUE(r->changed_components.count("vm1/ph-podbr0"));
}

TEST_F(LinuxBackendTest, APodsInterfaceGetsTheMacOfItsAddressAndKeepsItRepaired) {
  ASSERT_TRUE(backend_->Apply(SeedPlan()).ok());
  auto& eth0 = kernel_->namespaces.at("ph-control-pod").links.at("eth0");
  EXPECT_EQ(eth0.mac, "02:50:0a:02:01:03");
  EXPECT_EQ(kernel_->namespaces.at("ph-vm1").links.at("ph-control-pod").mac, "")
      << "the VM's end keeps the kernel's MAC";
  eth0.mac = "02:11:22:33:44:55";  // e.g. a pod created before, with a random one
  backend_->MarkDirty({"ph-control-pod"});
  kernel_->calls.clear();
  ASSERT_TRUE(backend_->Apply(SeedPlan()).ok());
  EXPECT_EQ(Calls("SetLinkMac ph-control-pod eth0 02:50:0a:02:01:03"), 1u);
  EXPECT_EQ(Calls("CreateVeth"), 0u) << "the link is kept, only its MAC changes";
  EXPECT_EQ(eth0.mac, "02:50:0a:02:01:03");
}

TEST_F(LinuxBackendTest, TeardownRemovesEveryNamespace) {
  ASSERT_TRUE(backend_->Apply(SeedPlan()).ok());
  ASSERT_TRUE(backend_->Teardown().ok());
  EXPECT_TRUE(kernel_->namespaces.empty());
}

TEST(HostMode, KeepsOnlyTheNodesObjectsInTheHostNamespace) {
  plan::Plan host = PlanForHost(SeedPlan(), "ph-vm1");
  ASSERT_EQ(host.namespaces.size(), 1u);
  EXPECT_EQ(host.namespaces[0].name, "");
  EXPECT_TRUE(host.veths.empty());
  for (const auto& a : host.addresses) EXPECT_EQ(a.netns, "");
  ASSERT_EQ(host.bridges.size(), 1u);
  EXPECT_EQ(host.bridges[0].name, "ph-podbr0");

  auto kernel = std::make_unique<FakeKernel>();
  FakeKernel* raw = kernel.get();
  raw->namespaces[""].links["ph-uplink"] = {7, "", "", "", "", "", true};  // the physical NIC
  raw->namespaces[""].links["eth0"] = {8, "", "", "", "", "", true};       // not Pharos's
  LinuxBackend backend(std::move(kernel), {DataplaneMode::kHost, "vm1", "ph-"});
  absl::StatusOr<ApplyResult> r = backend.Apply(SeedPlan());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(raw->namespaces[""].links.count("ph-podbr0"));
  EXPECT_TRUE(raw->namespaces[""].links.count("eth0"));
  EXPECT_EQ(raw->namespaces.size(), 1u) << "host mode creates no namespaces";
}

TEST(NatRuleset, DnatRuleAndFingerprintFollowTheContent) {
  plan::NatObject n;
  n.netns = "ph-vehicle";
  n.name = "forward";
  n.type = "dnat";
  n.destination = Ipv4Prefix::Parse("10.9.0.1/32");
  n.protocol = "tcp";
  n.port = 8080;
  n.to_address = Ipv4Address::Parse("10.2.1.3");
  std::string json = NatRulesetJson({n});
  EXPECT_NE(json.find(R"("dnat":{"addr":"10.2.1.3","port":8080})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("hook":"prerouting")"), std::string::npos);
  std::string before = NatFingerprint({n});
  EXPECT_NE(json.find(before), std::string::npos);
  n.to_port = 9090;
  EXPECT_NE(NatFingerprint({n}), before);
}

}  // namespace
}  // namespace pharos::dataplane
