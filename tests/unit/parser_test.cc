#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>

#include "model/config_merge.h"
#include "model/config_parser.h"
#include "model/yaml_limits.h"
#include "unit/test_support.h"

namespace pharos::model {
namespace {

using testing::HasFinding;

TEST(ParserTest, SeedVehicleParsesUnchanged) {
  ParsedConfig p = ParseConfig(pharos::testing::SeedVehicleYaml());
  ASSERT_TRUE(p.syntax_ok);
  EXPECT_FALSE(p.findings.HasErrors()) << pharos::testing::Dump(p.findings);
  EXPECT_EQ(p.findings.Count(Severity::kWarning), 0u) << pharos::testing::Dump(p.findings);
  const VehicleSpec& v = p.document.vehicle;
  EXPECT_EQ(v.name.value, "premium_sedan");
  ASSERT_EQ(v.socs.size(), 2u);
  ASSERT_EQ(v.socs[0].vms.size(), 1u);
  ASSERT_EQ(v.socs[0].vms[0].pods.size(), 2u);
  EXPECT_EQ(v.socs[0].vms[0].pods[1].name.value, "control-pod");
  EXPECT_EQ(v.socs[0].vms[0].pods[1].k8s_namespace.value, "control");
  EXPECT_EQ(v.socs[0].vms[0].pods[0].subnet.prefix->ToString(), "10.2.1.0/24");
  ASSERT_EQ(v.routes.size(), 2u);
  EXPECT_EQ(v.routes[1].to.prefix->length(), 0);
  // Positions are 1-based lines/columns of the value.
  EXPECT_EQ(v.socs[0].ip.mark.line, 5);
  EXPECT_EQ(v.socs[0].ip.path, "vehicle.socs[0].ip");
}

TEST(ParserTest, SeedPolicyParsesUnchanged) {
  ParsedConfig p = ParseConfig(pharos::testing::SeedPolicyYaml());
  ASSERT_TRUE(p.syntax_ok);
  EXPECT_FALSE(p.findings.HasErrors()) << pharos::testing::Dump(p.findings);
  const SecurityPolicySpec& pol = p.document.policy;
  ASSERT_TRUE(pol.present);
  EXPECT_EQ(pol.default_action.value, "deny");
  ASSERT_EQ(pol.rules.size(), 2u);
  EXPECT_EQ(pol.rules[0].ports.size(), 2u);
  EXPECT_EQ(pol.rules[0].ports[1].first, 8081);
  EXPECT_EQ(pol.rules[1].from.tls_verified, true);
  EXPECT_EQ(pol.rules[1].to.service.value, "update-service");
}

TEST(ParserTest, SyntaxErrorHasPosition) {
  ParsedConfig p = ParseConfig("vehicle:\n  socs: [\n    - name: a\n");
  EXPECT_FALSE(p.syntax_ok);
  ASSERT_EQ(p.findings.items().size(), 1u);
  EXPECT_GT(p.findings.items()[0].mark.line, 0);
  EXPECT_NE(p.findings.items()[0].description.find("not valid YAML"), std::string::npos);
}

TEST(ParserTest, EmptyAndForeignDocumentsAreErrors) {
  EXPECT_TRUE(ParseConfig("").findings.HasErrors());
  EXPECT_TRUE(ParseConfig("# only a comment\n").findings.HasErrors());
  ParsedConfig p = ParseConfig("hello: world\n");
  EXPECT_TRUE(p.findings.HasErrors());
  EXPECT_TRUE(ParseConfig("- a\n- b\n").findings.HasErrors());
  EXPECT_TRUE(ParseConfig("a: 1\n---\nb: 2\n").findings.HasErrors());
}

TEST(ParserTest, UnknownKeysWarnWithSuggestion) {
  ParsedConfig p = ParseConfig(pharos::testing::Replace(pharos::testing::SeedVehicleYaml(),
                                                        "      vms:", "      vmz:"));
  EXPECT_TRUE(HasFinding(p.findings, Severity::kWarning, "vehicle.socs[0].vmz", "unknown key"));
  bool suggested = false;
  for (const auto& f : p.findings.items()) suggested |= f.recommendation.find("'vms'") != std::string::npos;
  EXPECT_TRUE(suggested);
}

TEST(ParserTest, WrongTypesAreErrorsNotCrashes) {
  ParsedConfig p = ParseConfig("vehicle:\n  socs: \"soc1\"\n");
  EXPECT_TRUE(HasFinding(p.findings, Severity::kError, "vehicle.socs", "must be a list"));
  p = ParseConfig("vehicle:\n  socs:\n    - name: [a, b]\n      ip: 10.1.0.2\n      subnet: 10.1.0.0/24\n");
  EXPECT_TRUE(HasFinding(p.findings, Severity::kError, "vehicle.socs[0].name", "single value"));
  p = ParseConfig("vehicle: 3\n");
  EXPECT_TRUE(HasFinding(p.findings, Severity::kError, "vehicle", "must be a mapping"));
}

TEST(ParserTest, DuplicateKeysAreErrors) {
  ParsedConfig p = ParseConfig("vehicle:\n  name: a\n  name: b\n  socs: []\n");
  EXPECT_TRUE(HasFinding(p.findings, Severity::kError, "vehicle.name", "appears twice"));
}

TEST(ParserTest, NodeYamlSpecForm) {
  ParsedNode n = ParseNodeYaml("name: vm1\nip: 10.2.0.10\n");
  EXPECT_FALSE(n.findings.HasErrors());
  EXPECT_EQ(n.node.name, "vm1");
  EXPECT_EQ(n.node.ip->ToString(), "10.2.0.10");
  EXPECT_FALSE(n.node.pullpiri_artifact);
}

TEST(ParserTest, NodeYamlPullpiriArtifact) {
  ParsedNode n = ParseNodeYaml(R"(apiVersion: v1
kind: Node
metadata:
  name: vm1
spec:
  role: nodeagent
  ip_address: 10.2.0.10
  hostname: vm1.vehicle
  resources:
    cpu_cores: 4
    memory_mb: 4096
  cluster_id: vehicle-1
  status: Ready
)");
  EXPECT_FALSE(n.findings.HasErrors()) << pharos::testing::Dump(n.findings);
  EXPECT_TRUE(n.node.pullpiri_artifact);
  EXPECT_EQ(n.node.name, "vm1");
  EXPECT_EQ(n.node.ip->ToString(), "10.2.0.10");
  EXPECT_EQ(n.node.role, "nodeagent");
}

TEST(ParserTest, NodeYamlRejectsWrongKindAndEmpty) {
  EXPECT_TRUE(ParseNodeYaml("kind: Pod\nmetadata:\n  name: x\n").findings.HasErrors());
  EXPECT_TRUE(ParseNodeYaml("role: x\n").findings.HasErrors());
  EXPECT_TRUE(ParseNodeYaml("name: vm1\nip: 10.2.0.300\n").findings.HasErrors());
}

TEST(ParserTest, PodNetworkYaml) {
  ParsedPod p = ParsePodNetworkYaml(R"(namespace: perception
networking:
  type: cni
  subnet: 10.2.1.0/24
services:
  - name: detector
    port: 8080
    protocol: tcp
)", "perception-pod");
  EXPECT_FALSE(p.findings.HasErrors()) << pharos::testing::Dump(p.findings);
  EXPECT_EQ(p.pod.name.value, "perception-pod");
  EXPECT_EQ(p.pod.subnet.prefix->ToString(), "10.2.1.0/24");
  ASSERT_EQ(p.pod.services.size(), 1u);
  EXPECT_EQ(*p.pod.services[0].port.number, 8080);
  EXPECT_TRUE(ParsePodNetworkYaml("networking:\n  type: cni\n", "x").findings.HasErrors());
}

}  // namespace
}  // namespace pharos::model

namespace pharos::model {
namespace {

// 1.8 KB that yaml-cpp would expand into a million pods (issue 15, A).
std::string AliasBomb() {
  std::string pods = "x-pod: &p {name: p, networking: {type: cni, subnet: \"10.2.1.0/24\"}}\n"
                     "x-pods: &pods [";
  for (int i = 0; i < 100; ++i) pods += i ? ", *p" : "*p";
  pods += "]\nx-vm: &vm {name: v, ip: \"10.2.0.10\", subnet: \"10.2.0.0/24\", pods: *pods}\n"
          "x-vms: &vms [";
  for (int i = 0; i < 100; ++i) pods += i ? ", *vm" : "*vm";
  pods += "]\nx-soc: &soc {name: s, ip: \"10.1.0.2\", subnet: \"10.1.0.0/24\", vms: *vms}\n"
          "vehicle:\n  name: bomb\n  socs: [";
  for (int i = 0; i < 100; ++i) pods += i ? ", *soc" : "*soc";
  return pods + "]\n";
}

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(YamlLimitsTest, AnAliasBombIsRefusedAtOnceWithoutExpandingIt) {
  std::string bomb = AliasBomb();
  ASSERT_LT(bomb.size(), 4096u);
  long rss_before = MaxRssKb();
  auto start = std::chrono::steady_clock::now();
  ParsedConfig parsed = ParseConfig(bomb);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(parsed.syntax_ok);
  ASSERT_TRUE(parsed.findings.HasErrors());
  EXPECT_NE(parsed.findings.items()[0].description.find("expands to more than 500000"),
            std::string::npos)
      << parsed.findings.items()[0].description;
  EXPECT_LT(took, std::chrono::milliseconds(100));
  EXPECT_LT(MaxRssKb() - rss_before, 50 * 1024);
  // The pod path refuses it too.
  EXPECT_TRUE(ParsePodNetworkYaml(bomb, "p").findings.HasErrors());
}

TEST(YamlLimitsTest, AliasesWithinTheLimitAndLargeLiteralDocumentsPass) {
  EXPECT_TRUE(CheckYamlBounds("a: &x [1, 2, 3]\nb: *x\nc: *x\n").ok());
  // map, a, [1 2 3] (4), b, [*x *x] (1 + 4 + 4): 16 nodes expanded.
  EXPECT_TRUE(
      CheckYamlBounds("a: &x [1, 2, 3]\nb: [*x, *x]\n", {kMaxConfigBytes, 16, kMaxYamlDepth}).ok());
  EXPECT_FALSE(
      CheckYamlBounds("a: &x [1, 2, 3]\nb: [*x, *x]\n", {kMaxConfigBytes, 15, kMaxYamlDepth}).ok());
  EXPECT_TRUE(CheckYamlBounds("not: [valid").ok());  // the loader reports the syntax
  std::string big = "vehicle:\n  name: big\n  socs:\n";
  for (int s = 0; s < 2000; ++s) {
    big += "    - {name: soc" + std::to_string(s) + ", ip: \"10.1.0.2\", subnet: \"10.1.0.0/24\"}\n";
  }
  EXPECT_TRUE(CheckYamlBounds(big).ok());
}

TEST(YamlLimitsTest, DeepNestingIsRefusedWithTheLimitNotABadFile) {
  std::string deep = "vehicle: ";
  for (int i = 0; i < 600; ++i) deep += "[";
  for (int i = 0; i < 600; ++i) deep += "]";
  ParsedConfig parsed = ParseConfig(deep);
  ASSERT_TRUE(parsed.findings.HasErrors());
  EXPECT_NE(parsed.findings.items()[0].description.find("nests deeper than 64 levels"),
            std::string::npos)
      << parsed.findings.items()[0].description;
  std::string fine = "vehicle: ";
  for (int i = 0; i < 20; ++i) fine += "[";
  for (int i = 0; i < 20; ++i) fine += "]";
  EXPECT_TRUE(CheckYamlBounds(fine).ok());
}

TEST(YamlLimitsTest, TagsAreRefusedNotIgnored) {
  for (const char* text : {"vehicle: !!python/object:os.system {name: x}\n",
                           "vehicle:\n  name: !!binary aGVsbG8=\n", "vehicle: !custom {}\n"}) {
    absl::Status s = CheckYamlBounds(text);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(s.message().find("is not accepted"), std::string::npos) << s.message();
  }
  // Quoted and plain scalars carry no tag of their own.
  EXPECT_TRUE(CheckYamlBounds("vehicle:\n  name: \"x\"\n  other: 'y'\n  n: 5\n").ok());
}

TEST(YamlLimitsTest, AnOversizedDocumentIsRefusedBeforeItIsRead) {
  std::string big = "vehicle:\n  name: big\n  x: \"" + std::string(kMaxConfigBytes, 'a') + "\"\n";
  ParsedConfig parsed = ParseConfig(big);
  ASSERT_TRUE(parsed.findings.HasErrors());
  EXPECT_NE(parsed.findings.items()[0].description.find("the limit is 2097152 bytes"),
            std::string::npos)
      << parsed.findings.items()[0].description;
  // The pod request's fields have their own, smaller bound.
  std::string pod =
      "name: p\nnetworking: {subnet: \"10.2.1.0/24\"}\nx: \"" + std::string(70000, 'a') + "\"\n";
  ParsedPod p = ParsePodNetworkYaml(pod, "p");
  ASSERT_TRUE(p.findings.HasErrors());
  EXPECT_NE(p.findings.items()[0].description.find("the limit is 65536 bytes"), std::string::npos);
}

TEST(ParserTest, UnknownTopLevelKeysAreRefusedAndShownShort) {
  std::string yaml = "vehicle:\n  name: v\n  socs: []\n" + std::string(200, 'k') + ": 1\n";
  ParsedConfig parsed = ParseConfig(yaml);
  bool found = false;
  for (const auto& f : parsed.findings.items()) {
    if (f.severity == Severity::kError && f.description.find("unknown key") != std::string::npos) {
      found = true;
      EXPECT_LT(f.description.size(), 160u) << f.description;
      EXPECT_NE(f.description.find("bytes cut"), std::string::npos) << f.description;
    }
  }
  EXPECT_TRUE(found) << "no error for the unknown top-level key";
  // Below the top, an unknown key stays a warning.
  ParsedConfig inner = ParseConfig("vehicle:\n  name: v\n  colour: red\n  socs: []\n");
  for (const auto& f : inner.findings.items()) {
    if (f.path == "vehicle.colour") EXPECT_EQ(f.severity, Severity::kWarning);
  }
}

TEST(ParserTest, NamesMustBeStringsNotBooleans) {
  ParsedConfig parsed = ParseConfig(
      "vehicle:\n  name: v\n  socs:\n    - name: true\n      ip: \"10.1.0.2\"\n"
      "      subnet: \"10.1.0.0/24\"\n");
  bool found = false;
  for (const auto& f : parsed.findings.items()) {
    if (f.path == "vehicle.socs[0].name" && f.severity == Severity::kError &&
        f.description.find("reads as a boolean") != std::string::npos) {
      found = true;
    }
  }
  EXPECT_TRUE(found);
  // Quoted, it is a name like any other.
  ParsedConfig quoted = ParseConfig(
      "vehicle:\n  name: v\n  socs:\n    - name: \"true\"\n      ip: \"10.1.0.2\"\n"
      "      subnet: \"10.1.0.0/24\"\n");
  for (const auto& f : quoted.findings.items()) {
    EXPECT_EQ(f.description.find("reads as a boolean"), std::string::npos) << f.description;
  }
}

TEST(ParserTest, APodBlockThatIsNotAMappingIsSaidSo) {
  ParsedPod p = ParsePodNetworkYaml("pod: 5\n", "p");
  ASSERT_TRUE(p.findings.HasErrors());
  EXPECT_NE(p.findings.items()[0].description.find("must be a mapping"), std::string::npos)
      << p.findings.items()[0].description;
}

std::string PodList(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) {
    out += "            - {name: p" + std::to_string(i) +
           ", networking: {type: cni, subnet: \"10.2.1.0/16\"}}\n";
  }
  return out;
}

std::string VehicleWithPods(int from, int to) {
  return "vehicle:\n  socs:\n    - name: soc1\n      vms:\n        - name: vm1\n"
         "          pods:\n" +
         PodList(from, to);
}

TEST(MergeTest, ItemsMergeByNameRemoveAndKeepTheirOrder) {
  MergeResult m =
      MergeConfigYaml(VehicleWithPods(0, 3),
                      "vehicle:\n  socs:\n    - name: soc1\n      vms:\n"
                      "        - name: vm1\n          pods:\n"
                      "            - {name: p1, remove: true}\n"
                      "            - {name: p3, networking: {subnet: \"10.2.3.0/24\"}}\n"
                      "            - {name: p0, namespace: zero}\n");
  ASSERT_TRUE(m.ok) << m.findings.ErrorSummary();
  size_t p0 = m.yaml.find("name: p0"), p2 = m.yaml.find("name: p2"), p3 = m.yaml.find("name: p3");
  EXPECT_EQ(m.yaml.find("name: p1"), std::string::npos) << m.yaml;
  ASSERT_NE(p0, std::string::npos);
  EXPECT_LT(p0, p2);
  EXPECT_LT(p2, p3);
  EXPECT_NE(m.yaml.find("namespace: zero"), std::string::npos) << m.yaml;
}

TEST(MergeTest, RemoveMustBeABoolean) {
  for (const char* value : {"yes", "1", "\"true \"", "[true]"}) {
    MergeResult m = MergeConfigYaml(VehicleWithPods(0, 2),
                                    std::string("vehicle:\n  socs:\n    - name: soc1\n      vms:\n"
                                                "        - name: vm1\n          pods:\n"
                                                "            - {name: p1, remove: ") +
                                        value + "}\n");
    EXPECT_FALSE(m.ok) << value;
    EXPECT_NE(m.findings.ErrorSummary().find("remove must be true or false"), std::string::npos)
        << m.findings.ErrorSummary();
  }
}

TEST(MergeTest, ThousandsOfPodsMergeInLinearTime) {
  // 8,000 pods merged into 8,000 took 19 s when every item was searched
  // for in the list (issue 15, B); with an index it is well under 2 s.
  std::string base = VehicleWithPods(0, 8000);
  std::string update = VehicleWithPods(4000, 12000);
  auto start = std::chrono::steady_clock::now();
  MergeResult m = MergeConfigYaml(base, update);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(m.ok);
  EXPECT_NE(m.yaml.find("name: p11999"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(4));
}

}  // namespace
}  // namespace pharos::model
