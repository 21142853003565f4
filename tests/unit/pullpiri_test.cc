// Eclipse Pullpiri's launch (RequestNetworkPod with its Node and Network
// artifacts, verbatim) read at the edge and resolved against the vehicle:
// the three Network shapes of Pullpiri's docs and tests, the resourcemanager
// branch's networkName/networkMode, the optional pullpiri: mapping, the
// scenario-name mapping, and every refusal with its code and message.
#include <gtest/gtest.h>

#include <set>

#include "api/pullpiri/launch_request.h"
#include "e2e/pullpiri/artifacts.h"
#include "core/named_networks.h"
#include "core/pod_request.h"
#include "unit/plan_core.h"
#include "unit/test_support.h"

namespace pharos {
namespace {

using api::pullpiri::IsNetworkArtifact;
using api::pullpiri::PodNameForScenario;
using api::pullpiri::ReadLaunch;

using namespace testing::pullpiri;  // the artifacts

// The seed vehicle with its pod bridge named br0 (as Pullpiri's artifacts
// name it) and a mapping for two networks.
std::string MappedVehicle() {
  std::string yaml = testing::SeedVehicleYaml();
  size_t at = yaml.find("                subnet: \"10.2.1.0/24\"");
  yaml.insert(at, "                bridge: br0\n");
  // soc2 gets a VM (without pods) for the mapping to name.
  const std::string soc2 = "      ip: \"10.1.0.3\"\n      subnet: \"10.1.0.0/24\"\n";
  at = yaml.find(soc2);
  yaml.insert(at + soc2.size(),
              "      vms:\n        - name: vm2\n          ip: \"10.3.0.10\"\n"
              "          subnet: \"10.3.0.0/24\"\n");
  return yaml + R"(pullpiri:
  networks:
    - name: nav-net
      subnet: "10.2.7.0/24"
      namespace: navigation
      services:
        - name: route-planner
          port: 50051
    - name: far-away
      vm: vm2
)";
}

class PullpiriLaunchTest : public ::testing::Test {
 protected:
  absl::StatusOr<core::PodRequestIntent> Launch(const std::string& scenario,
                                                const std::string& network,
                                                const std::string& node = kNodeArtifact) {
    absl::StatusOr<core::PodRequest> request = ReadLaunch(node, scenario, network);
    if (!request.ok()) return request.status();
    return core::CheckPodRequest(std::move(*request), analysis_.topology,
                                 analysis_.document.pullpiri, "ph-",
                                 [](const std::string&) { return std::string(); });
  }
  core::Analysis analysis_ = testing::Analyze(testing::SeedVehicleYaml());
};

TEST_F(PullpiriLaunchTest, OnlyNetworkArtifactsTakeThePullpiriPath) {
  EXPECT_TRUE(IsNetworkArtifact(kPackageDocShape));
  EXPECT_TRUE(IsNetworkArtifact(kNoSpecShape));
  EXPECT_FALSE(IsNetworkArtifact("networking: {subnet: \"10.2.1.0/24\"}\n"));
  EXPECT_FALSE(IsNetworkArtifact("remove: true\n"));
  EXPECT_FALSE(IsNetworkArtifact("kind: Node\n"));
  EXPECT_FALSE(IsNetworkArtifact("[unclosed"));
}

TEST_F(PullpiriLaunchTest, EveryShapeGetsTheVmsFirstPodSubnetByDefault) {
  for (const char* shape : {kPackageDocShape, kNoSpecShape, kResourceManagerShape}) {
    absl::StatusOr<core::PodRequestIntent> r = Launch("helloworld", shape);
    ASSERT_TRUE(r.ok()) << shape << r.status();
    ASSERT_NE(r->host, nullptr);
    EXPECT_EQ(r->host->name, "vm1");  // found by the Node artifact's ip_address
    EXPECT_EQ(r->subnet.ToString(), "10.2.1.0/24");
    EXPECT_EQ(r->name, "helloworld");
    EXPECT_NE(r->origin.find("Pullpiri scenario 'helloworld'"), std::string::npos);
  }
  // Unknown fields are told, not fatal; Pullpiri's own metadata is quiet.
  absl::StatusOr<core::PodRequestIntent> doc = Launch("helloworld", kPackageDocShape);
  ASSERT_EQ(doc->notes.size(), 1u);
  EXPECT_NE(doc->notes[0].find("spec.dummy"), std::string::npos) << doc->notes[0];
  // networkName names the network, not metadata.name.
  absl::StatusOr<core::PodRequestIntent> rm = Launch("nav", kResourceManagerShape);
  EXPECT_EQ(rm->network, "nav-net");
  EXPECT_TRUE(Launch("helloworld", kNoSpecShape)->notes.empty());
}

TEST_F(PullpiriLaunchTest, InterfacesNameThePodsInterfaceAndItsBridge) {
  // The seed's pod bridge is unnamed: the kernel's name podbr0 matches.
  std::string podbr0 = kInterfacesShape;
  podbr0.replace(podbr0.find("br0"), 3, "podbr0");
  absl::StatusOr<core::PodRequestIntent> r = Launch("s1", podbr0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->pod.interface.value, "eth0");
  EXPECT_EQ(r->subnet.ToString(), "10.2.1.0/24");
  // br0 is no bridge of vm1 here: refused, naming the bridges it has.
  absl::StatusOr<core::PodRequestIntent> unknown = Launch("s1", kInterfacesShape);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("bridge 'br0' is not a pod bridge of vm1"),
            std::string::npos)
      << unknown.status();
  EXPECT_NE(unknown.status().message().find("podbr0 (10.2.1.0/24)"), std::string::npos);
  // Named so in the vehicle, it is found.
  analysis_ = testing::Analyze(MappedVehicle());
  ASSERT_TRUE(analysis_.valid()) << analysis_.findings.ErrorSummary();
  EXPECT_TRUE(Launch("s1", kInterfacesShape).ok());
}

TEST_F(PullpiriLaunchTest, TheMappingGivesSubnetNamespaceAndServices) {
  analysis_ = testing::Analyze(MappedVehicle());
  absl::StatusOr<core::PodRequestIntent> r = Launch("nav", kResourceManagerShape);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->subnet.ToString(), "10.2.7.0/24");  // its own bridge inside vm1
  EXPECT_EQ(r->pod.k8s_namespace.value, "navigation");
  ASSERT_EQ(r->pod.services.size(), 1u);
  EXPECT_EQ(r->pod.services[0].name.value, "route-planner");
  // A network mapped to another VM than the scenario's node.
  std::string far = kNoSpecShape;
  far.replace(far.find("helloworld_dds1"), 15, "far-away");
  absl::StatusOr<core::PodRequestIntent> elsewhere = Launch("s", far);
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(elsewhere.status().message().find("is mapped to vm2"), std::string::npos)
      << elsewhere.status();
  // A VM without a pod subnet, and no mapping for the network: nothing to give.
  std::string on_vm2 = "name: vm2\n";
  absl::StatusOr<core::PodRequestIntent> none = Launch("s", kNoSpecShape, on_vm2);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("vm2 has no pod subnet"), std::string::npos)
      << none.status();
}

TEST_F(PullpiriLaunchTest, UnsupportedModesAreRefusedNamingWhatIsSupported) {
  for (const char* mode : {"macvlan", "ipvlan", "overlay", "host", "mesh"}) {
    std::string shape = kResourceManagerShape;
    shape.replace(shape.find("bridge"), 6, mode);
    absl::StatusOr<core::PodRequestIntent> r = Launch("nav", shape);
    ASSERT_FALSE(r.ok()) << mode;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(mode), std::string::npos) << r.status();
    EXPECT_NE(r.status().message().find("supported: bridge"), std::string::npos) << r.status();
    EXPECT_NE(core::UnsupportedNetworkModeReason(mode), "");
  }
  EXPECT_EQ(core::UnsupportedNetworkModeReason("bridge"), "");
  EXPECT_EQ(core::UnsupportedNetworkModeReason(""), "");
}

TEST_F(PullpiriLaunchTest, DocumentsThatAreNoNetworkArtifactAreRefusedClearly) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  struct Case {
    std::string yaml, says;
  } cases[] = {
      {"kind: Network\n", "metadata"},
      {"kind: Network\nmetadata: {name: x}\nspec: [1]\n", "spec must be a mapping"},
      {"kind: Network\nmetadata: {name: x}\nspec: {interfaces: {name: eth0}}\n", "must be a list"},
      {"kind: Network\nmetadata: {name: x}\nspec: {interfaces: [{name: \"a/b\"}]}\n",
       "not a valid Linux interface name"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<core::PodRequestIntent> r = Launch("s", c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.status().code(), kInvalid) << c.yaml;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status();
  }
  // The scenario's name and the node are required as for any request.
  EXPECT_EQ(Launch("", kNoSpecShape).status().code(), kInvalid);
  EXPECT_EQ(Launch("s", kNoSpecShape, "kind: Node\nmetadata: {name: nowhere}\n").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PullpiriLaunchTest, TheNodeArtifactsAddressDecidesThenItsNames) {
  analysis_ = testing::Analyze(MappedVehicle());
  auto host_of = [&](const std::string& node) {
    absl::StatusOr<core::PodRequestIntent> r = Launch("s", kResourceManagerShape, node);
    return r.ok() ? r->host->name : std::string(r.status().message());
  };
  // metadata.name says vm1, the address is vm2's: a host's name is no VM's.
  EXPECT_EQ(host_of("kind: Node\nmetadata: {name: vm1}\nspec: {ip_address: 10.3.0.10}\n"), "vm2");
  EXPECT_EQ(host_of("kind: Node\nmetadata: {name: vm1}\n"), "vm1");
  EXPECT_EQ(host_of("kind: Node\nmetadata: {name: hpc}\nspec: {hostname: vm2}\n"), "vm2");
  // The spec's own form: the name decides.
  EXPECT_EQ(host_of("name: vm1\nip: \"10.3.0.10\"\n"), "vm1");
}

TEST(PullpiriScenarioNames, ValidNamesStayAndOthersMapDeterministically) {
  EXPECT_EQ(PodNameForScenario("helloworld_dds1"), "helloworld_dds1");
  EXPECT_EQ(PodNameForScenario("antipinch-enable"), "antipinch-enable");
  std::set<std::string> seen;
  for (const char* s : {"hello world", "hello/world", "_hidden", "Ünïcode scenario", "...",
                        "a-very-long-scenario-name-that-goes-on-and-on-beyond-what-a-pod-may-be"}) {
    std::string pod = PodNameForScenario(s);
    EXPECT_TRUE(model::IsValidName(pod)) << s << " -> " << pod;
    EXPECT_EQ(PodNameForScenario(s), pod) << "not deterministic";
    EXPECT_TRUE(seen.insert(pod).second) << pod << " given twice";
  }
  // Two scenarios that differ only where characters are replaced differ.
  EXPECT_NE(PodNameForScenario("a b"), PodNameForScenario("a/b"));
  EXPECT_EQ(PodNameForScenario("hello world").rfind("hello-world-", 0), 0u);
}

TEST_F(PullpiriLaunchTest, AMappedScenarioNameIsToldInTheNotes) {
  absl::StatusOr<core::PodRequestIntent> r = Launch("hello world", kNoSpecShape);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->name, PodNameForScenario("hello world"));
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes[0].find("scenario 'hello world' is pod '" + r->name + "'"), std::string::npos)
      << r->notes[0];
}

TEST(PullpiriMapping, TheValidatorChecksEveryMappedNetwork) {
  auto errors_of = [](const std::string& mapping) {
    return testing::Analyze(testing::SeedVehicleYaml() + mapping).findings.ErrorSummary(10);
  };
  EXPECT_TRUE(
      testing::Analyze(testing::SeedVehicleYaml() +
                       "pullpiri:\n  networks:\n    - name: a\n      subnet: \"10.2.7.0/24\"\n")
          .valid());
  EXPECT_NE(errors_of("pullpiri:\n  networks:\n    - name: a\n      vm: vm9\n")
                .find("vm 'vm9' is not a VM of this vehicle"),
            std::string::npos);
  EXPECT_NE(errors_of("pullpiri:\n  networks:\n    - name: a\n      subnet: \"10.2.0.0/25\"\n")
                .find("overlaps"),
            std::string::npos);
  EXPECT_NE(
      errors_of("pullpiri:\n  networks:\n    - name: a\n    - name: a\n").find("mapped twice"),
      std::string::npos);
  EXPECT_NE(testing::Analyze("security_policy: {default_action: allow}\npullpiri: {}\n")
                .findings.ErrorSummary()
                .find("lacks"),
            std::string::npos);
}

}  // namespace
}  // namespace pharos

namespace pharos {
namespace {

// Networks by name over the plan dataplane: what SetupNetwork builds (in
// the plan), that it survives a new pod manager, and when RemoveNetwork
// refuses.
class NamedNetworksTest : public ::testing::Test {
 protected:
  void Apply(const std::string& yaml) {
    core::ChangeOutcome out = core_.controller->Apply(yaml, "apply", false);
    ASSERT_TRUE(out.status.ok()) << out.message;
  }
  const model::Segment* SegmentOf(const std::string& network) {
    topo_ = core_.controller->CurrentTopology();
    for (const auto& s : topo_.segments) {
      if (s.network == network) return &s;
    }
    return nullptr;
  }
  bool BridgePlanned(const std::string& name) {
    for (const auto& b : core_.controller->CurrentPlan().bridges) {
      if (b.name == name) return true;
    }
    return false;
  }
  testing::PlanCore core_;
  model::Topology topo_;
};

TEST_F(NamedNetworksTest, AMappedNetworkGetsItsOwnBridgeAndADefaultOneOnlyAName) {
  Apply(testing::SeedVehicleYaml() +
        "pullpiri:\n  networks:\n    - name: nav-net\n      subnet: \"10.2.7.0/24\"\n");
  absl::StatusOr<std::string> set_up = core_.networks->Setup("nav-net", "bridge");
  ASSERT_TRUE(set_up.ok()) << set_up.status();
  EXPECT_NE(set_up->find("bridge ph-nav-net"), std::string::npos) << *set_up;
  const model::Segment* seg = SegmentOf("nav-net");
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->owner, "vm1");
  EXPECT_EQ(seg->prefix.ToString(), "10.2.7.0/24");
  EXPECT_TRUE(BridgePlanned("ph-nav-net"));
  EXPECT_NE(core_.networks->Setup("nav-net", "")->find("already set up"), std::string::npos);

  // Unmapped: the first VM's first pod subnet, which exists anyway.
  absl::StatusOr<std::string> shared = core_.networks->Setup("vd-network", "bridge");
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_NE(shared->find("10.2.1.0/24, a pod subnet of the vehicle"), std::string::npos);
  EXPECT_EQ(SegmentOf("vd-network"), nullptr) << "it owns nothing";
  ASSERT_EQ(core_.networks->List()->size(), 2u);

  // Re-applying the vehicle keeps them.
  Apply(testing::SeedVehicleYaml() +
        "pullpiri:\n  networks:\n    - name: nav-net\n      subnet: \"10.2.7.0/24\"\n"
        "# a new version\n    - name: other\n");
  EXPECT_TRUE(BridgePlanned("ph-nav-net"));

  ASSERT_TRUE(core_.networks->Remove("vd-network").ok());
  ASSERT_TRUE(core_.networks->Remove("nav-net").ok());
  EXPECT_FALSE(BridgePlanned("ph-nav-net"));
  EXPECT_EQ(core_.networks->Remove("nav-net").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(NamedNetworksTest, RefusalsSayWhyAndChangeNothing) {
  EXPECT_EQ(core_.networks->Setup("nav-net", "bridge").status().code(),
            absl::StatusCode::kFailedPrecondition);  // no vehicle yet
  Apply(testing::SeedVehicleYaml());
  EXPECT_EQ(core_.networks->Setup("a/b", "bridge").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::string> overlay = core_.networks->Setup("mesh", "overlay");
  EXPECT_EQ(overlay.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(overlay.status().message().find("supported: bridge"), std::string::npos);
  EXPECT_TRUE(core_.networks->List()->empty());
}

}  // namespace
}  // namespace pharos
