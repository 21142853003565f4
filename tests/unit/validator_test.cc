// One test per validation rule: the rule fires on a broken vehicle (at the
// right path) and stays silent on a near miss that is fine.
#include "model/validator.h"

#include <gtest/gtest.h>

#include "unit/test_support.h"

namespace pharos::model {
namespace {

using pharos::testing::Analyze;
using pharos::testing::Dump;
using pharos::testing::HasFinding;
using pharos::testing::Replace;
using pharos::testing::SeedVehicleYaml;

Findings Check(const std::string& yaml) { return Analyze(yaml).findings; }
constexpr Severity kE = Severity::kError;
constexpr Severity kW = Severity::kWarning;

TEST(ValidatorTest, SeedVehicleIsValid) {
  core::Analysis a = Analyze(SeedVehicleYaml());
  EXPECT_TRUE(a.valid()) << Dump(a.findings);
  EXPECT_EQ(a.findings.Count(kW), 0u) << Dump(a.findings);
  EXPECT_TRUE(a.plan.has_value());
}

TEST(ValidatorTest, MalformedIpAndCidr) {
  Findings f = Check(Replace(SeedVehicleYaml(), "\"10.2.0.10\"", "\"10.2.0.1000\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].ip", "malformed IPv4")) << Dump(f);
  f = Check(Replace(SeedVehicleYaml(), "subnet: \"10.2.0.0/24\"", "subnet: \"10.2.0.0/40\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].subnet", "malformed CIDR")) << Dump(f);
  f = Check(Replace(SeedVehicleYaml(), "subnet: \"10.2.0.0/24\"", "subnet: \"10.2.0.0\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].subnet", "no prefix length"));
}

TEST(ValidatorTest, CidrWithHostBitsIsAWarningNotAnError) {
  core::Analysis a = Analyze(Replace(SeedVehicleYaml(), "subnet: \"10.2.0.0/24\"",
                                     "subnet: \"10.2.0.7/24\""));
  EXPECT_TRUE(HasFinding(a.findings, kW, "vehicle.socs[0].vms[0].subnet", "host bits"));
  EXPECT_TRUE(a.valid()) << Dump(a.findings);
}

TEST(ValidatorTest, AddressOutsideSubnet) {
  Findings f = Check(Replace(SeedVehicleYaml(), "\"10.2.0.10\"", "\"10.3.0.10\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].ip", "outside its subnet")) << Dump(f);
  f = Check(Replace(SeedVehicleYaml(), "\"10.2.0.10\"", "\"10.2.0.254\""));
  EXPECT_FALSE(f.HasErrors()) << Dump(f);
}

TEST(ValidatorTest, NetworkOrBroadcastAsHost) {
  Findings f = Check(Replace(SeedVehicleYaml(), "\"10.2.0.10\"", "\"10.2.0.255\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].ip", "broadcast")) << Dump(f);
  f = Check(Replace(SeedVehicleYaml(), "\"10.2.0.10\"", "\"10.2.0.0\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].ip", "network")) << Dump(f);
}

TEST(ValidatorTest, DuplicateNames) {
  Findings f = Check(Replace(SeedVehicleYaml(), "name: control-pod", "name: perception-pod"));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].pods[1].name", "duplicate name"))
      << Dump(f);
  f = Check(Replace(SeedVehicleYaml(), "name: soc2", "name: vm1"));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[1].name", "duplicate name")) << Dump(f);
}

TEST(ValidatorTest, InvalidAndReservedNames) {
  Findings f = Check(Replace(SeedVehicleYaml(), "name: soc2", "name: \"soc 2\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[1].name", "not valid")) << Dump(f);
  f = Check(Replace(SeedVehicleYaml(), "name: soc2", "name: vehicle"));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[1].name", "reserved")) << Dump(f);
}

TEST(ValidatorTest, DuplicateAddresses) {
  Findings f = Check(Replace(SeedVehicleYaml(), "ip: \"10.1.0.3\"", "ip: \"10.1.0.2\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[1].ip", "duplicate address")) << Dump(f);
  // A host on the default gateway address.
  f = Check(Replace(SeedVehicleYaml(), "\"10.2.0.10\"", "\"10.2.0.1\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].ip", "duplicate address")) << Dump(f);
}

TEST(ValidatorTest, OverlappingSubnetsOfDifferentNetworks) {
  Findings f = Check(Replace(SeedVehicleYaml(), "subnet: \"10.2.0.0/24\"",
                             "subnet: \"10.2.0.0/16\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].pods[0].networking.subnet", "overlaps"))
      << Dump(f);
  // The same subnet on the same bridge (two SoCs on the backbone) is fine.
  EXPECT_FALSE(Check(SeedVehicleYaml()).HasErrors());
}

TEST(ValidatorTest, PodsSharingASubnetAcrossVms) {
  std::string yaml = Replace(SeedVehicleYaml(), "    - name: soc2\n      ip: \"10.1.0.3\"\n      subnet: \"10.1.0.0/24\"\n",
                             R"(    - name: soc2
      ip: "10.1.0.3"
      subnet: "10.1.0.0/24"
      vms:
        - name: vm2
          ip: "10.3.0.10"
          subnet: "10.3.0.0/24"
          pods:
            - name: stray-pod
              namespace: control
              networking:
                type: cni
                subnet: "10.2.1.0/24"
)");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[1].vms[0].pods[0].networking.subnet",
                         "pods on different VMs share subnet"))
      << Dump(f);
  std::string fixed = yaml;
  fixed.replace(fixed.find("10.2.1.0/24", fixed.find("stray-pod")), 11, "10.3.1.0/24");
  EXPECT_FALSE(Check(fixed).HasErrors()) << Dump(Check(fixed));
}

TEST(ValidatorTest, VmSubnetSharedAcrossSocs) {
  std::string yaml = Replace(SeedVehicleYaml(), "    - name: soc2\n      ip: \"10.1.0.3\"\n      subnet: \"10.1.0.0/24\"\n",
                             R"(    - name: soc2
      ip: "10.1.0.3"
      subnet: "10.1.0.0/24"
      vms:
        - name: vm2
          ip: "10.2.0.11"
          subnet: "10.2.0.0/24"
)");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[1].vms[0].subnet", "VMs on different SoCs"))
      << Dump(f);
}

TEST(ValidatorTest, RouteGatewayUnreachableFromSource) {
  // 10.1.0.3 is soc2 on the backbone; pods in 10.2.1.0/24 are not on it.
  Findings f = Check(Replace(SeedVehicleYaml(), "gateway: \"10.2.1.1\"", "gateway: \"10.1.0.3\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.routes[1].gateway", "not reachable")) << Dump(f);
  f = Check(Replace(SeedVehicleYaml(), "gateway: \"10.2.1.1\"", "gateway: \"192.168.7.1\""));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.routes[1].gateway", "not on any network")) << Dump(f);
}

TEST(ValidatorTest, RouteLoopIsDetected) {
  std::string yaml = Replace(SeedVehicleYaml(), "  routes:\n", R"(  routes:
    - node: soc1
      to: "10.9.0.0/16"
      gateway: "10.1.0.3"
    - node: soc2
      to: "10.9.0.0/16"
      gateway: "10.1.0.2"
)");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.routes[0]", "loops")) << Dump(f);
  // Only one direction: no loop (soc2 sends it to the vehicle, which drops it).
  std::string one_way = Replace(yaml, R"(    - node: soc2
      to: "10.9.0.0/16"
      gateway: "10.1.0.2"
)", "");
  EXPECT_FALSE(Check(one_way).HasErrors()) << Dump(Check(one_way));
}

TEST(ValidatorTest, ConflictingRoutes) {
  std::string yaml = Replace(SeedVehicleYaml(), "  routes:\n", R"(  routes:
    - from: "10.2.1.0/24"
      to: "0.0.0.0/0"
      gateway: "10.2.1.9"
)");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.routes[2]", "conflicts with")) << Dump(f);
}

TEST(ValidatorTest, UnknownNodeReferences) {
  std::string yaml = Replace(SeedVehicleYaml(), "  routes:\n", R"(  routes:
    - node: soc9
      to: "10.9.0.0/16"
      gateway: "10.1.0.3"
  nat:
    - name: out
      type: masquerade
      node: vm7
      source: 10.2.1.0/24
)");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.routes[0].node", "unknown node 'soc9'")) << Dump(f);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.nat[0].node", "unknown node 'vm7'")) << Dump(f);
}

TEST(ValidatorTest, UnknownNamespaceInPolicyIsAWarning) {
  std::string yaml = SeedVehicleYaml() +
                     Replace(pharos::testing::SeedPolicyYaml(), "namespace: control",
                             "namespace: controll");
  core::Analysis a = Analyze(yaml);
  EXPECT_TRUE(HasFinding(a.findings, kW, "security_policy.rules[0].to.namespace", "controll"))
      << Dump(a.findings);
  EXPECT_TRUE(a.valid());
  a = Analyze(SeedVehicleYaml() + pharos::testing::SeedPolicyYaml());
  EXPECT_EQ(a.findings.Count(kW), 0u) << Dump(a.findings);
}

TEST(ValidatorTest, ShadowedPolicyRule) {
  std::string yaml = pharos::testing::SeedPolicyYaml() + R"(
    - name: deny_perception_to_control_8080
      from:
        namespace: perception
      to:
        namespace: control
      ports: [8080]
      protocol: tcp
      action: deny
)";
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kW, "security_policy.rules[2]", "never matches")) << Dump(f);
}

TEST(ValidatorTest, InterfaceNameTooLongAfterPrefix) {
  std::string yaml = Replace(SeedVehicleYaml(), "          subnet: \"10.2.0.0/24\"\n",
                             "          subnet: \"10.2.0.0/24\"\n          bridge: vm1-backbone-br\n");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].bridge", "at most 15")) << Dump(f);
  yaml = Replace(SeedVehicleYaml(), "          subnet: \"10.2.0.0/24\"\n",
                 "          subnet: \"10.2.0.0/24\"\n          bridge: vm1br\n");
  EXPECT_FALSE(Check(yaml).HasErrors());
}

TEST(ValidatorTest, BridgeNamesUseTheNameAlphabet) {
  for (const char* bad : {"\"..\"", "\"br;ls\"", "\"a/b\""}) {
    std::string yaml =
        Replace(SeedVehicleYaml(), "          subnet: \"10.2.0.0/24\"\n",
                std::string("          subnet: \"10.2.0.0/24\"\n          bridge: ") + bad + "\n");
    Findings f = Check(yaml);
    EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].bridge", "is not valid"))
        << bad << Dump(f);
  }
}

TEST(ValidatorTest, SubnetsOutsideUsableRangesAreRefused) {
  struct Case {
    const char* subnet;
    const char* why;
  };
  for (const Case& c : {Case{"224.0.0.0/4", "multicast"}, Case{"127.0.0.0/24", "loopback"},
                        Case{"0.0.0.0/0", "default route"}, Case{"169.254.1.0/24", "link-local"},
                        Case{"16.0.0.0/4", "shorter than /8"}, Case{"240.0.0.0/24", "reserved"}}) {
    Findings f = Check(Replace(SeedVehicleYaml(), "subnet: \"10.2.1.0/24\"",
                               std::string("subnet: \"") + c.subnet + "\""));
    EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].pods[0].networking.subnet", c.why))
        << c.subnet << Dump(f);
  }
  EXPECT_EQ(UnusableSubnetReason(*Ipv4Prefix::Parse("10.2.1.0/24")), "");
  EXPECT_EQ(UnusableSubnetReason(*Ipv4Prefix::Parse("192.168.0.0/16")), "");
}

TEST(ValidatorTest, PodCountAboveTheLimitIsRefused) {
  model::ParsedConfig parsed = model::ParseConfig(SeedVehicleYaml());
  model::ValidatorOptions options;
  options.max_pods = 1;  // the seed has two
  Findings f;
  Validate(parsed.document, options, f);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle", "the limit is 1")) << Dump(f);
  options.max_pods = 2;
  Findings ok;
  Validate(parsed.document, options, ok);
  EXPECT_FALSE(ok.HasErrors()) << Dump(ok);
}

TEST(ValidatorTest, PodFieldsCheckedOnTheirOwn) {
  model::ParsedPod p = model::ParsePodNetworkYaml(
      "name: p\nnamespace: \"a b\"\nnetworking: {subnet: \"10.2.1.0/24\", interface: lo}\n", "p");
  ASSERT_FALSE(p.findings.HasErrors()) << Dump(p.findings);
  Findings f;
  CheckPodFields(p.pod, f);
  EXPECT_TRUE(HasFinding(f, kE, "namespace", "is not valid")) << Dump(f);
  EXPECT_TRUE(HasFinding(f, kE, "networking.interface", "loopback")) << Dump(f);
}

TEST(ValidatorTest, EmptyVehicle) {
  Findings f = Check("vehicle:\n  name: empty\n");
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs", "no SoCs")) << Dump(f);
  f = Check("vehicle:\n  socs: []\n");
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs", "no SoCs")) << Dump(f);
}

TEST(ValidatorTest, WrongTypeWhereAListBelongs) {
  Findings f = Check(Replace(SeedVehicleYaml(), "  routes:\n", "  routes: \"none\"\n  x:\n"));
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.routes", "must be a list")) << Dump(f);
}

TEST(ValidatorTest, MissingRequiredFields) {
  Findings f = Check("vehicle:\n  socs:\n    - name: soc1\n");
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].ip", "required field 'ip'")) << Dump(f);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].subnet", "required")) << Dump(f);
}

TEST(ValidatorTest, SubnetTooSmall) {
  std::string yaml = Replace(Replace(SeedVehicleYaml(), "subnet: \"10.2.1.0/24\"", "subnet: \"10.2.1.0/30\""),
                             "subnet: \"10.2.1.0/24\"", "subnet: \"10.2.1.0/30\"");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].pods[0].networking.subnet", "needed"))
      << Dump(f);
}

TEST(ValidatorTest, NatRuleNeedsItsFields) {
  std::string yaml = Replace(SeedVehicleYaml(), "  routes:\n", R"(  nat:
    - name: fwd
      type: dnat
      node: soc1
      protocol: tcp
      port: 8443
  routes:
)");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.nat[0]", "to_address")) << Dump(f);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.nat[0]", "destination")) << Dump(f);
}

TEST(ValidatorTest, GatewayOutsideSubnet) {
  std::string yaml = Replace(SeedVehicleYaml(), "          subnet: \"10.2.0.0/24\"\n",
                             "          subnet: \"10.2.0.0/24\"\n          gateway: 10.9.0.1\n");
  Findings f = Check(yaml);
  EXPECT_TRUE(HasFinding(f, kE, "vehicle.socs[0].vms[0].gateway", "outside its subnet")) << Dump(f);
}

TEST(ValidatorTest, NeverCrashesOnOddInputs) {
  for (const char* text :
       {"vehicle:", "vehicle: []", "vehicle:\n  socs:\n    - 7\n", "{{{{", "!!binary xyz",
        "vehicle: &a\n  socs: *a\n", "security_policy:\n  rules: [1, {name: x}]\n",
        "vehicle:\n  socs:\n    - name: s\n      ip: 1.1.1.1\n      subnet: 1.1.1.0/32\n"}) {
    core::Analysis a = Analyze(text);
    EXPECT_TRUE(a.findings.HasErrors()) << text;
  }
}

}  // namespace
}  // namespace pharos::model
