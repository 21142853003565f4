#include "plan/planner.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "plan/naming.h"
#include "plan/path_tracer.h"
#include "plan/plan_diff.h"
#include "unit/test_support.h"

namespace pharos::plan {
namespace {

using pharos::testing::Analyze;
using pharos::testing::Replace;
using pharos::testing::SeedVehicleYaml;

Plan SeedPlan() {
  core::Analysis a = Analyze(SeedVehicleYaml());
  EXPECT_TRUE(a.plan) << pharos::testing::Dump(a.findings);
  return a.plan.value_or(Plan{});
}

const NamespaceObject* FindNs(const Plan& p, const std::string& name) {
  for (const auto& n : p.namespaces)
    if (n.name == name) return &n;
  return nullptr;
}

bool HasAddress(const Plan& p, const std::string& ns, const std::string& ifname,
                const std::string& cidr) {
  for (const auto& a : p.addresses) {
    if (a.netns == ns && a.ifname == ifname &&
        a.address.ToString() + "/" + std::to_string(a.prefix_length) == cidr)
      return true;
  }
  return false;
}

const RouteObject* FindRoute(const Plan& p, const std::string& ns, const std::string& dst) {
  for (const auto& r : p.routes)
    if (r.netns == ns && r.destination.ToString() == dst) return &r;
  return nullptr;
}

TEST(PlannerTest, SeedVehicleNamespacesAndBridges) {
  Plan p = SeedPlan();
  for (const char* ns : {"ph-vehicle", "ph-soc1", "ph-soc2", "ph-vm1", "ph-perception-pod",
                         "ph-control-pod"}) {
    EXPECT_NE(FindNs(p, ns), nullptr) << ns;
  }
  EXPECT_TRUE(FindNs(p, "ph-soc1")->forwarding);
  EXPECT_FALSE(FindNs(p, "ph-control-pod")->forwarding);
  ASSERT_EQ(p.bridges.size(), 3u);  // backbone, vm1's network, pod network
}

TEST(PlannerTest, SeedVehicleAddressesAndGateways) {
  Plan p = SeedPlan();
  EXPECT_TRUE(HasAddress(p, "ph-vehicle", "ph-bb0", "10.1.0.1/24"));
  EXPECT_TRUE(HasAddress(p, "ph-soc1", "ph-uplink", "10.1.0.2/24"));
  EXPECT_TRUE(HasAddress(p, "ph-soc1", "ph-vmbr0", "10.2.0.1/24"));  // VM gateway on SoC
  EXPECT_TRUE(HasAddress(p, "ph-vm1", "ph-podbr0", "10.2.1.1/24"));  // pod gateway on VM
  EXPECT_TRUE(HasAddress(p, "ph-perception-pod", "eth0", "10.2.1.2/24"));
  EXPECT_TRUE(HasAddress(p, "ph-control-pod", "eth0", "10.2.1.3/24"));
}

TEST(PlannerTest, PodInterfacesHaveTheMacOfTheirAddressOthersTheKernels) {
  Plan p = SeedPlan();
  for (const auto& v : p.veths) {
    if (v.peer_netns == "ph-perception-pod") {
      ASSERT_TRUE(v.peer_mac);
      EXPECT_EQ(v.peer_mac->ToString(), "02:50:0a:02:01:02");  // 10.2.1.2
    } else if (v.peer_netns == "ph-control-pod") {
      ASSERT_TRUE(v.peer_mac);
      EXPECT_EQ(v.peer_mac->ToString(), "02:50:0a:02:01:03");
    } else {
      EXPECT_FALSE(v.peer_mac) << v.peer_netns << " is not a pod";
    }
  }
}

TEST(PlannerTest, DerivedAndConfiguredRoutes) {
  Plan p = SeedPlan();
  const RouteObject* r = FindRoute(p, "ph-soc1", "10.2.1.0/24");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->gateway->ToString(), "10.2.0.10");  // pod subnet via vm1 on the SoC
  r = FindRoute(p, "ph-vehicle", "10.2.1.0/24");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->gateway->ToString(), "10.1.0.2");
  r = FindRoute(p, "ph-perception-pod", "0.0.0.0/0");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->gateway->ToString(), "10.2.1.1");
  EXPECT_EQ(r->origin, "vehicle.routes[1]");  // configured overrides derived
  r = FindRoute(p, "ph-vm1", "0.0.0.0/0");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->gateway->ToString(), "10.2.0.1");
}

TEST(PlannerTest, PathsAcrossTheVehicle) {
  Plan p = SeedPlan();
  PathTrace t = TracePath(p, "ph-perception-pod", *Ipv4Address::Parse("10.2.1.3"));
  EXPECT_EQ(t.outcome, PathTrace::Outcome::kDelivered) << t.detail;
  t = TracePath(p, "ph-perception-pod", *Ipv4Address::Parse("10.1.0.3"));
  EXPECT_EQ(t.outcome, PathTrace::Outcome::kDelivered) << t.detail;
  std::vector<std::string> hops;
  for (const auto& h : t.hops) hops.push_back(h.component);
  EXPECT_EQ(hops, (std::vector<std::string>{"perception-pod", "vm1", "soc1", "soc2"}));
  t = TracePath(p, "ph-soc2", *Ipv4Address::Parse("10.2.1.2"));
  EXPECT_EQ(t.outcome, PathTrace::Outcome::kDelivered) << t.detail;
  t = TracePath(p, "ph-soc2", *Ipv4Address::Parse("8.8.8.8"));
  EXPECT_EQ(t.outcome, PathTrace::Outcome::kNoRoute);
}

TEST(PlannerTest, IsDeterministic) {
  std::string a = FormatPlanJson(SeedPlan());
  std::string b = FormatPlanJson(SeedPlan());
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("\"ph-control-pod\""), std::string::npos);
}

TEST(PlannerTest, AllInterfaceNamesFitTheKernel) {
  std::string yaml = Replace(SeedVehicleYaml(), "name: perception-pod",
                             "name: a-very-long-perception-pod-name");
  core::Analysis a = Analyze(yaml);
  ASSERT_TRUE(a.plan) << pharos::testing::Dump(a.findings);
  for (const auto& v : a.plan->veths) {
    EXPECT_LE(v.name.size(), 15u) << v.name;
    EXPECT_LE(v.peer.size(), 15u) << v.peer;
    EXPECT_EQ(v.name.rfind("ph-", 0), 0u) << v.name;
  }
  for (const auto& b : a.plan->bridges) EXPECT_LE(b.name.size(), 15u);
}

TEST(NamingTest, ShortensLongNamesUniquely) {
  EXPECT_EQ(InterfaceName("ph-", "vm1"), "ph-vm1");
  std::string a = InterfaceName("ph-", "perception-pod");
  std::string b = InterfaceName("ph-", "perception-pod2");
  EXPECT_EQ(a.size(), 15u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("ph-percept", 0), 0u);
}

TEST(PlanDiffTest, AddingAPodAffectsOnlyItsNeighbourhood) {
  std::string yaml2 = pharos::testing::SeedWithPlanningPod(true);
  core::Analysis a = Analyze(SeedVehicleYaml());
  core::Analysis b = Analyze(yaml2);
  ASSERT_TRUE(a.plan && b.plan) << pharos::testing::Dump(b.findings);
  PlanDiff d = DiffPlans(*a.plan, *b.plan);
  std::set<std::string> expected = {"planning-pod", "vm1/ph-podbr0"};
  EXPECT_EQ(d.affected_components, expected);
  EXPECT_TRUE(DiffPlans(*a.plan, *a.plan).empty());
}

TEST(PlanDiffTest, RemovalIsReported) {
  core::Analysis a = Analyze(SeedVehicleYaml());
  std::string yaml2 = Replace(SeedVehicleYaml(), "    - name: soc2\n      ip: \"10.1.0.3\"\n      subnet: \"10.1.0.0/24\"\n", "");
  core::Analysis b = Analyze(yaml2);
  ASSERT_TRUE(b.plan) << pharos::testing::Dump(b.findings);
  PlanDiff d = DiffPlans(*a.plan, *b.plan);
  EXPECT_TRUE(d.affected_components.count("soc2"));
  bool removed_ns = false;
  for (const auto& c : d.changes)
    removed_ns |= c.kind == PlanChange::Kind::kRemove && c.key == "netns/ph-soc2";
  EXPECT_TRUE(removed_ns);
}

}  // namespace
}  // namespace pharos::plan
