// The TLS ingress's pure parts: routing by SNI, choosing an instance, where
// it listens, what `tls_verified` resolves to, and how refusals become
// security events. The real handshakes are in tests/e2e/ingress_test.cc.
#include "security/tls_ingress.h"

#include <gtest/gtest.h>

#include "core/config_analysis.h"
#include "security/policy.h"
#include "security/security_events.h"
#include "test_support.h"

namespace pharos::security {
namespace {

constexpr char kDoc[] = R"(vehicle:
  name: car
  socs:
    - name: soc1
      ip: "10.1.0.2"
      subnet: "10.1.0.0/24"
      vms:
        - name: vm1
          ip: "10.2.0.10"
          subnet: "10.2.0.0/24"
          pods:
            - name: updater
              namespace: ota
              networking: {type: static, subnet: "10.2.1.0/24", ip: "10.2.1.5"}
  cloud:
    subnet: "10.9.0.0/24"
    endpoints:
      - {name: backend, ip: "10.9.0.10"}
security_policy:
  default_action: deny
  rules:
    - name: allow_cloud_updates
      from: {external: true, tls_verified: true}
      to: {pod: updater}
      ports: [443]
      protocol: tcp
      action: allow
)";

Ipv4Address Ip(const char* text) { return *Ipv4Address::Parse(text); }

TEST(TlsIngressTest, TheFirstLabelOfTheServerNameIsTheService) {
  EXPECT_EQ(ServiceOfServerName("update-service"), "update-service");
  EXPECT_EQ(ServiceOfServerName("update-service.vehicle.example"), "update-service");
  EXPECT_EQ(ServiceOfServerName(""), "");
}

TEST(TlsIngressTest, InstancesAreChosenHealthyFirstInTurn) {
  std::vector<IngressBackend> instances{{Ip("10.2.1.5"), 443, "unhealthy"},
                                        {Ip("10.2.1.6"), 443, "healthy"},
                                        {Ip("10.2.1.7"), 443, "degraded"},
                                        {Ip("10.2.1.8"), 8443, "registered"}};
  EXPECT_EQ(PickBackend(instances, 0)->ip, Ip("10.2.1.6"));
  EXPECT_EQ(PickBackend(instances, 1)->ip, Ip("10.2.1.8"));
  EXPECT_EQ(PickBackend(instances, 1)->port, 8443);
  EXPECT_EQ(PickBackend(instances, 2)->ip, Ip("10.2.1.6"));
  instances.erase(instances.begin() + 1);
  instances.pop_back();
  EXPECT_EQ(PickBackend(instances, 5)->ip, Ip("10.2.1.7"));  // degraded before unhealthy
  instances.pop_back();
  EXPECT_EQ(PickBackend(instances, 0)->ip, Ip("10.2.1.5"));  // nothing else left
  EXPECT_FALSE(PickBackend({}, 0));
}

class TlsVerifiedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    analysis_ = core::AnalyzeConfig(kDoc, {});
    ASSERT_TRUE(analysis_.valid()) << pharos::testing::Dump(analysis_.findings);
  }
  Decision Decide(const Inventory& inv, const char* src) {
    Policy policy = EffectivePolicy(analysis_.document.policy, EmergencyMode::kNone);
    return Explain(policy, Resolve(policy, inv), inv.pod_subnets,
                   {Ip(src), Ip("10.2.1.5"), Protocol::kTcp, 443});
  }
  core::Analysis analysis_;
};

TEST_F(TlsVerifiedTest, TheIngressListensOnTheCloudGatewayOfTheVehicleNode) {
  std::optional<IngressPlacement> at = IngressPlacementOf(analysis_.topology, {"ph-", ""});
  ASSERT_TRUE(at);
  EXPECT_EQ(at->netns, "ph-vehicle");
  EXPECT_EQ(at->address, Ip("10.9.0.1"));
  core::Analysis without =
      core::AnalyzeConfig(std::string(kDoc).substr(0, std::string(kDoc).find("  cloud:")), {});
  EXPECT_FALSE(IngressPlacementOf(without.topology, {"ph-", ""}));
  // Host mode: on the machine that is the vehicle node, in its own namespace.
  at = IngressPlacementOf(analysis_.topology, {"ph-", "vehicle"});
  ASSERT_TRUE(at);
  EXPECT_EQ(at->netns, "");
  EXPECT_FALSE(IngressPlacementOf(analysis_.topology, {"ph-", "vm1"}));
}

TEST_F(TlsVerifiedTest, OnlyTheIngressAddressIsVerifiedAndOnlyWhileTheIngressRuns) {
  Inventory inv = InventoryOf(analysis_.topology);
  // No ingress: nothing is verified, not even the gateway.
  EXPECT_EQ(Decide(inv, "10.9.0.1").rule, "default_action");
  inv.ingress_address = inv.cloud_gateway;
  EXPECT_EQ(Decide(inv, "10.9.0.1").rule, "allow_cloud_updates");
  EXPECT_EQ(Decide(inv, "10.9.0.1").action, Action::kAllow);
  // A cloud host straight to the pod: external, but not verified.
  EXPECT_EQ(Decide(inv, "10.9.0.10").rule, "default_action");
  EXPECT_EQ(Decide(inv, "10.9.0.10").action, Action::kDeny);
}

TEST(TlsIngressEventsTest, ARefusedClientIsAWarningFromTheFirstAttemptAndAggregates) {
  EventAggregator agg(EventThresholds{});
  std::chrono::steady_clock::time_point now{};
  DeniedPacket attempt{Ip("10.9.0.10"), Ip("10.9.0.1"), 6, 443, "tls_ingress", ""};
  attempt.event_type = "tls_refused";
  attempt.reason = "TLS handshake refused: peer did not return a certificate";
  std::optional<SecurityEvent> first = agg.Observe(attempt, now);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->severity, Severity::kWarning);
  EXPECT_EQ(first->event_type, "tls_refused");
  EXPECT_EQ(first->destination, "10.9.0.1:443/tcp");
  EXPECT_EQ(first->details, attempt.reason + ": first attempt");
  EXPECT_FALSE(agg.Observe(attempt, now + std::chrono::seconds(1)));  // aggregated
  std::vector<SecurityEvent> later = agg.Flush(now + std::chrono::seconds(11));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].packets, 1);
  EXPECT_NE(later[0].details.find("1 more attempts"), std::string::npos) << later[0].details;
}

TEST(TlsIngressCreateTest, UnreadableCredentialsNameTheFlag) {
  auto missing = TlsIngress::Create(
      {"/nonexistent/ingress.pem", "/nonexistent/ingress.key", "/nonexistent/ca.pem"}, nullptr,
      nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("--ingress-cert /nonexistent/ingress.pem"),
            std::string::npos)
      << missing.status().message();
  auto bad_port = TlsIngress::Create({"a", "b", "c", 0}, nullptr, nullptr);
  EXPECT_EQ(bad_port.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pharos::security
