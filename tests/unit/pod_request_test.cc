// RequestNetworkPod's fields read against the seed vehicle, with the
// namespace judge scripted: what is refused before anything is stored, and
// with which code and message.
#include "core/pod_request.h"

#include <gtest/gtest.h>

#include "unit/test_support.h"

namespace pharos::core {
namespace {

class PodRequestTest : public ::testing::Test {
 protected:
  absl::StatusOr<PodRequestIntent> Read(const std::string& name, const std::string& network,
                                        const std::string& node = "name: vm1\n") {
    return ReadPodRequest(node, name, network, topo_, "ph-", [&](const std::string& path) {
      return path == "/run/netns/ph-soc2" ? std::string("is the namespace of soc2") : "";
    });
  }
  void ExpectRefused(const std::string& name, const std::string& network, absl::StatusCode code,
                     const std::string& says) {
    absl::StatusOr<PodRequestIntent> r = Read(name, network);
    ASSERT_FALSE(r.ok()) << network;
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_NE(r.status().message().find(says), std::string::npos) << r.status();
    EXPECT_LT(r.status().message().size(), 1024u);
  }
  model::Topology topo_ = pharos::testing::Analyze(pharos::testing::SeedVehicleYaml()).topology;
};

constexpr char kNet[] = "namespace: planning\nnetworking: {subnet: \"10.2.1.0/24\"}\n";

TEST_F(PodRequestTest, AValidRequestNamesItsVmAndSubnet) {
  absl::StatusOr<PodRequestIntent> r = Read("planning-pod", kNet);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->removal);
  ASSERT_NE(r->host, nullptr);
  EXPECT_EQ(r->host->name, "vm1");
  EXPECT_EQ(r->subnet.ToString(), "10.2.1.0/24");
  // A new pod subnet of the VM (its own bridge) is fine too.
  EXPECT_TRUE(Read("planning-pod", "networking: {subnet: \"10.2.9.0/24\"}\n").ok());
}

TEST_F(PodRequestTest, RemovalIsAStrictBoolean) {
  absl::StatusOr<PodRequestIntent> r = Read("planning-pod", "remove: true\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->removal);
  EXPECT_TRUE(Read("planning-pod", "pod: {remove: true}\n")->removal);
  for (const char* value : {"1", "yes", "\"true\" ", "[true]"}) {
    ExpectRefused("planning-pod", std::string("remove: ") + value + "\n",
                  absl::StatusCode::kInvalidArgument, "remove must be true or false");
  }
}

TEST_F(PodRequestTest, NamesFieldsAndSubnetsAreRefusedWithTheValidatorsRules) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  ExpectRefused("", kNet, kInvalid, "pod_name is required");
  ExpectRefused("../etc", kNet, kInvalid, "is not valid");
  ExpectRefused("a\nforged", kNet, kInvalid, "a\\nforged");  // shown escaped
  ExpectRefused(std::string(5000, 'a'), kNet, kInvalid, "bytes cut");
  ExpectRefused("p", "name: q\nnetworking: {subnet: \"10.2.1.0/24\"}\n", kInvalid, "differs");
  ExpectRefused("p", "networking: {subnet: \"10.2.1.0/24\", interface: lo}\n", kInvalid, "lo");
  ExpectRefused("p", "networking: {subnet: \"10.2.1.0/24\", bridge: \"br;ls\"}\n", kInvalid,
                "bridge name");
  ExpectRefused("p", "networking: {subnet: \"224.0.0.0/4\"}\n", kInvalid, "multicast");
  ExpectRefused("p", "networking: {subnet: \"10.2.0.0/24\"}\n", kInvalid, "overlaps");
  ExpectRefused("p", "networking: {subnet: \"10.2.0.0/16\"}\n", kInvalid, "overlaps");
  ExpectRefused("p", "networking: {subnet: \"10.2.1.0/24\", netns: /run/netns/ph-soc2}\n", kInvalid,
                "is the namespace of soc2");
  ExpectRefused("p", "networking: {subnet: \"10.2.1.0/24\", netns: relative}\n", kInvalid,
                "absolute path");
  ExpectRefused("p", "pod: 5\n", kInvalid, "must be a mapping");
  ExpectRefused("p", "networking: {}\n", kInvalid, "subnet");
}

TEST_F(PodRequestTest, AnUnknownVmIsNotFoundAndNothingAppliedIsAPrecondition) {
  absl::StatusOr<PodRequestIntent> r = Read("p", kNet, "name: vm9\n");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  model::Topology empty;
  r = ReadPodRequest("name: vm1\n", "p", kNet, empty, "ph-",
                     [](const std::string&) { return std::string(); });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pharos::core
