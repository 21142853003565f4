// The incremental planner against the full one: adding and removing
// runtime pods on the applied seed vehicle must give the plan BuildPlan
// gives for the vehicle with those pods, object for object, and refuse
// what breaks an invariant without touching anything.
#include "core/runtime_pod_planner.h"

#include <gtest/gtest.h>

#include "core/config_analysis.h"
#include "dataplane/reconciler.h"
#include "unit/test_support.h"

namespace pharos::core {
namespace {

model::TextField Text(const std::string& v) {
  model::TextField f;
  f.value = v;
  f.present = true;
  return f;
}

RuntimePodSpec Pod(const std::string& name, const std::string& ip,
                   const std::string& subnet = "10.2.1.0/24") {
  RuntimePodSpec p;
  p.soc = "soc1";
  p.vm = "vm1";
  p.pod.name = Text(name);
  p.pod.k8s_namespace = Text("planning");
  p.pod.networking_type = Text("cni");
  p.pod.subnet.value = subnet;
  p.pod.subnet.present = true;
  p.pod.subnet.prefix = Ipv4Prefix::Parse(subnet);
  p.pod.ip.value = ip;
  p.pod.ip.present = true;
  p.pod.ip.address = Ipv4Address::Parse(ip);
  model::ServicePortSpec svc;
  svc.name = Text(name + "-api");
  svc.port.number = 8080;
  svc.port.present = true;
  p.pod.services.push_back(svc);
  return p;
}

class RuntimePodPlannerTest : public ::testing::Test {
 protected:
  // The seed with `pods` planned in full, as the controller's full path does.
  Analysis Full(const std::vector<RuntimePodSpec>& pods) {
    model::ConfigDocument doc = seed_.document;
    for (const auto& p : pods) {
      for (auto& soc : doc.vehicle.socs) {
        for (auto& vm : soc.vms) {
          if (soc.name.value == p.soc && vm.name.value == p.vm) vm.pods.push_back(p.pod);
        }
      }
    }
    model::PlannedAddresses keep = model::PlannedAddressesOf(seed_.topology);
    AnalysisOptions o;
    o.preferred_addresses = &keep;
    return AnalyzeDocument(std::move(doc), o);
  }

  absl::StatusOr<bool> Change(const AppliedRuntimePods& applied,
                              const std::vector<RuntimePodSpec>& wanted) {
    RuntimePodChange change = DiffRuntimePods(applied, wanted);
    IncrementalPodOptions o;
    o.declarative = &seed_.topology;
    plan::Plan before = plan_;
    absl::StatusOr<bool> done =
        PlanRuntimePodChange(seed_.document.vehicle, change, o, topology_, plan_, &touched_);
    if (done.ok() && *done) ExpectTouchedCovers(before);
    return done;
  }

  // Every namespace whose own objects differ is in `touched_.namespaces`,
  // every parent's link to a child that differs in `touched_.child_links`
  // (the backend looks at those alone), and nothing unchanged is told.
  void ExpectTouchedCovers(const plan::Plan& before) {
    auto was = dataplane::DigestByNamespace(before);
    auto now = dataplane::DigestByNamespace(plan_);
    std::set<std::string> differ;
    std::set<std::pair<std::string, std::string>> links;
    auto compare_links = [&](const dataplane::NamespaceDigest* a,
                             const dataplane::NamespaceDigest* b, const std::string& ns) {
      for (const auto* d : {a, b}) {
        if (!d) continue;
        for (const auto& [name, link] : d->children) {
          const auto* other = d == a ? b : a;
          auto it = other ? other->children.find(name) : decltype(d->children.end()){};
          if (!other || it == other->children.end() || !(it->second == link)) {
            links.insert({ns, name});
          }
        }
      }
    };
    for (const auto& [ns, d] : now) {
      auto old = was.find(ns);
      if (old == was.end() || old->second.own != d.own) differ.insert(ns);
      compare_links(old == was.end() ? nullptr : &old->second, &d, ns);
    }
    for (const auto& [ns, d] : was) {
      if (now.count(ns)) continue;
      differ.insert(ns);
      compare_links(&d, nullptr, ns);
    }
    EXPECT_EQ(touched_.namespaces, differ);
    // A link removed and made again the same (a pod given a new address)
    // is told without differing.
    for (const auto& l : links) {
      EXPECT_TRUE(touched_.child_links.count(l)) << l.first << " " << l.second << " untold";
    }
    for (const auto& [ns, name] : touched_.child_links) {
      EXPECT_TRUE(ns == "ph-vm1") << ns << " is not the VM of a changed pod";
    }
  }

  static AppliedRuntimePods AppliedOf(const std::vector<RuntimePodSpec>& pods) {
    AppliedRuntimePods out;
    for (const auto& p : pods) out[p.pod.name.value] = RuntimePodFingerprint(p);
    return out;
  }

  void ExpectPlanIs(const plan::Plan& want) {
    EXPECT_EQ(plan_.namespaces, want.namespaces);
    EXPECT_EQ(plan_.bridges, want.bridges);
    EXPECT_EQ(plan_.veths, want.veths);
    EXPECT_EQ(plan_.addresses, want.addresses);
    EXPECT_EQ(plan_.routes, want.routes);
    EXPECT_EQ(plan_.rules, want.rules);
    EXPECT_EQ(plan_.nats, want.nats);
    EXPECT_EQ(plan_.components, want.components);
  }

  Analysis seed_ = pharos::testing::Analyze(pharos::testing::SeedVehicleYaml());
  model::Topology topology_ = seed_.topology;
  plan::Plan plan_ = *seed_.plan;
  plan::ChangedParts touched_;
};

TEST_F(RuntimePodPlannerTest, AddingPodsGivesTheFullPlan) {
  std::vector<RuntimePodSpec> pods{Pod("planning-pod", "10.2.1.10"), Pod("a-very-long-pod-name", "10.2.1.11")};
  pods[1].pod.interface = Text("net1");
  absl::StatusOr<bool> done = Change({}, pods);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_TRUE(*done);
  Analysis full = Full(pods);
  ASSERT_TRUE(full.plan) << full.findings.ErrorSummary();
  ExpectPlanIs(*full.plan);  // the seed's configured route from 10.2.1.0/24 included
  ASSERT_NE(topology_.FindNode("planning-pod"), nullptr);
  EXPECT_EQ(topology_.FindNode("planning-pod")->services, full.topology.FindNode("planning-pod")->services);
  EXPECT_EQ(topology_.FindSegment("vm1:10.2.1.0/24")->members,
            full.topology.FindSegment("vm1:10.2.1.0/24")->members);
}

TEST_F(RuntimePodPlannerTest, RemovingAndChangingPodsGivesTheFullPlan) {
  std::vector<RuntimePodSpec> three{Pod("p1", "10.2.1.10"), Pod("p2", "10.2.1.11"),
                                    Pod("p3", "10.2.1.12")};
  ASSERT_TRUE(*Change({}, three));
  // p2 goes, p3 moves to another address (removed and added again).
  std::vector<RuntimePodSpec> after{Pod("p1", "10.2.1.10"), Pod("p3", "10.2.1.20")};
  absl::StatusOr<bool> done = Change(AppliedOf(three), after);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_TRUE(*done);
  ExpectPlanIs(*Full(after).plan);
  // And all of them gone: the seed again.
  ASSERT_TRUE(*Change(AppliedOf(after), {}));
  ExpectPlanIs(*seed_.plan);
}

TEST_F(RuntimePodPlannerTest, WhatBreaksAnInvariantIsRefusedAndNothingIsTouched) {
  struct Case {
    RuntimePodSpec pod;
    std::string says;
  } cases[] = {
      {Pod("gw", "10.2.1.1"), "gateway"},
      {Pod("taken", "10.2.1.2"), "in use by perception-pod"},
      {Pod("control-pod", "10.2.1.30"), "component named control-pod"},
      {Pod("outside", "10.2.1.255"), "not a host address"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<bool> done = Change({}, {c.pod});
    ASSERT_FALSE(done.ok()) << c.says;
    EXPECT_EQ(done.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(done.status().message().find(c.says), std::string_view::npos) << done.status();
    ExpectPlanIs(*seed_.plan);
  }
  // Two pods of one batch on one address.
  absl::StatusOr<bool> twice = Change({}, {Pod("x1", "10.2.1.40"), Pod("x2", "10.2.1.40")});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("requested twice"), std::string_view::npos);
  ExpectPlanIs(*seed_.plan);
}

TEST_F(RuntimePodPlannerTest, ANewSubnetIsLeftToTheFullPlan) {
  absl::StatusOr<bool> done = Change({}, {Pod("elsewhere", "10.2.9.10", "10.2.9.0/24")});
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(*done);
  ExpectPlanIs(*seed_.plan);
}

}  // namespace
}  // namespace pharos::core
