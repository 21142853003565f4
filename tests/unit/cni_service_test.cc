// What pharosd answers pharos-cni, over the plan dataplane: the protocol's
// refusals, and an ADD that becomes a runtime pod with an address lease.
#include "cni/cni_service.h"

#include <gtest/gtest.h>

#include "cni/protocol.h"
#include "unit/plan_core.h"
#include "unit/test_support.h"

namespace pharos::cni {
namespace {

using nlohmann::json;

class CniServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        core_.controller->Apply(pharos::testing::SeedVehicleYaml(), "apply", false).status.ok());
    core_.pods->Start();
  }
  json Request(const std::string& command, json config,
               const std::string& args = "K8S_POD_NAME=web") {
    return {{"command", command},
            {"containerId", "c0ffee0123456789"},
            {"netns", "/proc/self/ns/net"},
            {"ifname", "eth0"},
            {"args", args},
            {"config", std::move(config)}};
  }
  static json Config() {
    return {{"cniVersion", "1.0.0"},
            {"name", "vehicle"},
            {"type", "pharos-cni"},
            {"vm", "vm1"},
            {"subnet", "10.2.1.0/24"}};
  }
  pharos::testing::PlanCore core_;
  CniService service_{*core_.pods, *core_.controller, {"ph-", true, std::chrono::seconds(10)}};
};

TEST_F(CniServiceTest, AddLeasesAnAddressAndDelReleasesIt) {
  json added = service_.Handle(Request("ADD", Config()));
  ASSERT_EQ(added.value("code", -1), 0) << added.dump();
  auto leases = core_.pods->Leases();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ((*leases)[0].pod, "web");
  EXPECT_EQ((*leases)[0].container_id, "c0ffee0123456789");
  EXPECT_EQ((*leases)[0].ip.rfind("10.2.1.", 0), 0u) << (*leases)[0].ip;
  EXPECT_NE(core_.controller->CurrentTopology().FindNode("web"), nullptr);
  json deleted = service_.Handle(Request("DEL", Config()));
  EXPECT_EQ(deleted.value("code", -1), 0) << deleted.dump();
  EXPECT_TRUE(core_.pods->Leases()->empty());
  EXPECT_EQ(core_.controller->CurrentTopology().FindNode("web"), nullptr);
}

TEST_F(CniServiceTest, BadRequestsGetTheCniErrorCodeAndChangeNothing) {
  json config = Config();
  config["cniVersion"] = "9.9.9";
  EXPECT_EQ(service_.Handle(Request("ADD", config)).value("code", 0), kIncompatibleVersion);
  config = Config();
  config.erase("subnet");
  json missing = service_.Handle(Request("ADD", config));
  EXPECT_EQ(missing.value("code", 0), kInvalidNetworkConfig);
  EXPECT_NE(missing.value("msg", "").find("\"subnet\""), std::string::npos) << missing.dump();
  config = Config();
  config["vm"] = "vm9";
  EXPECT_EQ(service_.Handle(Request("ADD", config)).value("code", 0), kInvalidNetworkConfig);
  EXPECT_EQ(service_.Handle(Request("FROB", Config())).value("code", 0), kInvalidEnvironment);
  json no_config = Request("ADD", Config());
  no_config["config"] = "not an object";
  EXPECT_EQ(service_.Handle(no_config).value("code", 0), kDecodingFailure);
  EXPECT_TRUE(core_.pods->Leases()->empty());
}

TEST_F(CniServiceTest, StatusSaysWhetherPodsCanBeSetUp) {
  EXPECT_EQ(service_.Handle({{"command", "STATUS"}}).value("code", -1), 0);
  CniService plan_only(*core_.pods, *core_.controller, {"ph-", false, std::chrono::seconds(1)});
  json refused = plan_only.Handle({{"command", "STATUS"}});
  EXPECT_EQ(refused.value("code", 0), kPluginNotAvailable);
  EXPECT_NE(refused.value("msg", "").find("--dataplane=plan"), std::string::npos);
  EXPECT_EQ(plan_only.Handle(Request("ADD", Config())).value("code", 0), kTryAgainLater);
}

}  // namespace
}  // namespace pharos::cni
