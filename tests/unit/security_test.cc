// The security controller's pure parts: first-match evaluation, emergency
// modes, the nftables text, event aggregation and NFLOG decoding.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "core/config_analysis.h"
#include "security/nflog_reader.h"
#include "security/nft_policy.h"
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
            - name: cam
              namespace: perception
              networking: {type: static, subnet: "10.2.1.0/24", ip: "10.2.1.5"}
            - name: brake
              namespace: control
              networking: {type: static, subnet: "10.2.1.0/24", ip: "10.2.1.6"}
security_policy:
  default_action: deny
  rules:
    - name: no_debug
      from: {namespace: perception}
      to: {namespace: control}
      ports: [9000-9100]
      protocol: tcp
      action: deny
    - name: cam_to_brake
      from: {namespace: perception}
      to: {pod: brake}
      ports: [8080, 9000-9999]
      protocol: tcp
      action: allow
      safety_critical: true
    - name: any_udp
      from: {cidr: 10.2.1.0/24}
      protocol: udp
      action: allow
  emergency:
    failsafe_allow:
      - name: heartbeat
        from: {pod: brake}
        to: {pod: cam}
        ports: [7000]
        protocol: udp
        action: allow
    diagnostic:
      tester: {cidr: 10.1.0.0/24}
      ports: [13400]
)";

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    analysis_ = core::AnalyzeConfig(kDoc, {});
    ASSERT_TRUE(analysis_.valid()) << pharos::testing::Dump(analysis_.findings);
    inventory_ = InventoryOf(analysis_.topology);
  }
  Decision Decide(EmergencyMode mode, const char* src, const char* dst, Protocol p, int port) {
    Policy policy = EffectivePolicy(analysis_.document.policy, mode);
    Membership m = Resolve(policy, inventory_);
    return Explain(policy, m, inventory_.pod_subnets,
                   {*Ipv4Address::Parse(src), *Ipv4Address::Parse(dst), p, port});
  }
  core::Analysis analysis_;
  Inventory inventory_;
};

TEST_F(PolicyTest, FirstMatchWinsAndTheDefaultComesLast) {
  auto d = Decide(EmergencyMode::kNone, "10.2.1.5", "10.2.1.6", Protocol::kTcp, 8080);
  EXPECT_EQ(d.action, Action::kAllow);
  EXPECT_EQ(d.rule, "cam_to_brake");
  d = Decide(EmergencyMode::kNone, "10.2.1.5", "10.2.1.6", Protocol::kTcp, 9050);
  EXPECT_EQ(d.action, Action::kDeny);  // no_debug comes first
  EXPECT_EQ(d.rule, "no_debug");
  EXPECT_EQ(d.Describe(), "deny by no_debug (security_policy.rules[0])");
  d = Decide(EmergencyMode::kNone, "10.2.1.6", "10.2.1.5", Protocol::kTcp, 8080);
  EXPECT_EQ(d.rule, "default_action");
  EXPECT_EQ(d.action, Action::kDeny);
  d = Decide(EmergencyMode::kNone, "10.2.1.6", "10.2.1.5", Protocol::kUdp, 53);
  EXPECT_EQ(d.rule, "any_udp");
  // Router to router is not judged.
  d = Decide(EmergencyMode::kNone, "10.1.0.2", "10.2.0.10", Protocol::kTcp, 22);
  EXPECT_EQ(d.action, Action::kAllow);
  EXPECT_NE(d.Describe().find("not judged"), std::string::npos);
}

TEST_F(PolicyTest, EmergencyModesReshapeThePolicy) {
  // minimal: the safety-critical allow rules only.
  EXPECT_EQ(Decide(EmergencyMode::kMinimal, "10.2.1.5", "10.2.1.6", Protocol::kTcp, 8080).rule,
            "cam_to_brake");
  EXPECT_EQ(Decide(EmergencyMode::kMinimal, "10.2.1.5", "10.2.1.6", Protocol::kTcp, 9050).rule,
            "cam_to_brake");  // the deny rule is gone
  EXPECT_EQ(Decide(EmergencyMode::kMinimal, "10.2.1.6", "10.2.1.5", Protocol::kUdp, 53).action,
            Action::kDeny);
  // failsafe: the allow-list only.
  EXPECT_EQ(Decide(EmergencyMode::kFailsafe, "10.2.1.5", "10.2.1.6", Protocol::kTcp, 8080).action,
            Action::kDeny);
  EXPECT_EQ(Decide(EmergencyMode::kFailsafe, "10.2.1.6", "10.2.1.5", Protocol::kUdp, 7000).rule,
            "heartbeat");
  // diagnostic: the tester first, then the policy.
  EXPECT_EQ(Decide(EmergencyMode::kDiagnostic, "10.1.0.2", "10.2.1.5", Protocol::kTcp, 13400).rule,
            "emergency_diagnostic");
  EXPECT_EQ(Decide(EmergencyMode::kDiagnostic, "10.2.1.5", "10.2.1.6", Protocol::kTcp, 8080).rule,
            "cam_to_brake");
}

TEST_F(PolicyTest, CompiledTableUsesNamedSetsCountersAndOneTransaction) {
  Policy policy = EffectivePolicy(analysis_.document.policy, EmergencyMode::kNone);
  Membership m = Resolve(policy, inventory_);
  auto points = EnforcementPoints(inventory_.pod_subnets, {"ph-", ""});
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].netns, "ph-vm1");
  // Host mode: the table goes into the machine's own namespace, and only
  // on the machine that is that VM.
  EXPECT_EQ(EnforcementPoints(inventory_.pod_subnets, {"ph-", "vm1"}).at(0).netns, "");
  EXPECT_TRUE(EnforcementPoints(inventory_.pod_subnets, {"ph-", "soc1"}).empty());
  std::vector<Ipv4Prefix> all{*Ipv4Prefix::Parse("10.2.1.0/24")};
  CompiledPolicy c = CompilePolicy(policy, m, points[0], all, {27});
  const std::string& t = c.replace_text;
  // Delete and re-create in one buffer: one nft transaction.
  EXPECT_EQ(t.rfind("table inet pharos_policy {}\ndelete table inet pharos_policy\n", 0), 0u);
  EXPECT_NE(t.find("comment \"ns=perception\"\n    elements = { 10.2.1.5 }"), std::string::npos);
  EXPECT_NE(t.find("ip saddr @m0 ip daddr @m1 tcp dport { 9000-9100 } counter log prefix "
                   "\"ph:no_debug\" group 27 drop comment \"no_debug\""),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("tcp dport { 8080, 9000-9999 } counter accept"), std::string::npos) << t;
  // A cidr never changes membership: written inline, not as a set.
  EXPECT_NE(t.find("ip saddr 10.2.1.0/24 meta l4proto udp counter accept"), std::string::npos) << t;
  EXPECT_EQ(t.find("set m3"), std::string::npos) << t;
  EXPECT_NE(t.find("counter log prefix \"ph:default_action\" group 27 drop"), std::string::npos);
  EXPECT_NE(t.find("ct state established,related accept"), std::string::npos);

  // A pod joining a namespace changes set members, not the rules.
  Inventory more = inventory_;
  more.pods.push_back({"cam2", "perception", *Ipv4Address::Parse("10.2.1.7"), "vm1"});
  CompiledPolicy c2 = CompilePolicy(policy, Resolve(policy, more), points[0], all, {27});
  EXPECT_EQ(c2.rules_digest, c.rules_digest);
  EXPECT_NE(c2.members_digest, c.members_digest);
  EXPECT_NE(c2.sets_text.find("flush set inet pharos_policy m0\nadd element inet pharos_policy "
                              "m0 { 10.2.1.5, 10.2.1.7 }"),
            std::string::npos)
      << c2.sets_text;
}

TEST(EventAggregatorTest, FirstHitInfoBurstWarningRepeatsCritical) {
  EventThresholds t;
  t.window = std::chrono::seconds(10);
  t.burst_packets = 5;
  t.critical_windows = 3;
  EventAggregator agg(t);
  std::chrono::steady_clock::time_point now{};
  DeniedPacket p{*Ipv4Address::Parse("10.2.1.5"), *Ipv4Address::Parse("10.2.1.6"), 6, 8443,
                 "default_action", "ph-vm1"};
  auto first = agg.Observe(p, now);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->severity, Severity::kInfo);
  EXPECT_EQ(first->destination, "10.2.1.6:8443/tcp");
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(agg.Observe(p, now));
  now += std::chrono::seconds(10);
  auto w1 = agg.Flush(now);
  ASSERT_EQ(w1.size(), 1u);
  EXPECT_EQ(w1[0].severity, Severity::kInfo);  // 2 packets: below the burst
  EXPECT_EQ(w1[0].packets, 2);
  for (int i = 0; i < 6; ++i) agg.Observe(p, now);
  now += std::chrono::seconds(10);
  auto w2 = agg.Flush(now);
  ASSERT_EQ(w2.size(), 1u);
  EXPECT_EQ(w2[0].severity, Severity::kWarning);  // a burst
  agg.Observe(p, now);
  now += std::chrono::seconds(10);
  auto w3 = agg.Flush(now);
  ASSERT_EQ(w3.size(), 1u);
  EXPECT_EQ(w3[0].severity, Severity::kCritical);  // third window in a row
  // SSH is sensitive: WARNING at once.
  DeniedPacket ssh = p;
  ssh.port = 22;
  auto s = agg.Observe(ssh, now);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->severity, Severity::kWarning);
}

TEST(EventAggregatorTest, RateLimitCountsWhatItHolds) {
  EventThresholds t;
  t.max_events_per_minute = 2;
  EventAggregator agg(t);
  std::chrono::steady_clock::time_point now{};
  int published = 0;
  for (int i = 0; i < 5; ++i) {
    DeniedPacket p{*Ipv4Address::Parse("10.2.1.5"), Ipv4Address(0x0a020100u + 10 + i), 17, 53,
                   "default_action", ""};
    published += agg.Observe(p, now).has_value();
  }
  EXPECT_EQ(published, 2);
  EXPECT_EQ(agg.suppressed(), 3);
  now += std::chrono::minutes(1);
  DeniedPacket p{*Ipv4Address::Parse("10.2.1.9"), *Ipv4Address::Parse("10.2.1.6"), 17, 53,
                 "default_action", ""};
  auto e = agg.Observe(p, now);
  ASSERT_TRUE(e);
  EXPECT_NE(e->details.find("3 earlier events suppressed"), std::string::npos) << e->details;
}

TEST(NflogTest, DecodesPrefixAddressesAndPort) {
  char buf[512] = {};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
  mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg));
  mnl_attr_put_strz(nlh, NFULA_PREFIX, "ph:default_action");
  uint8_t ip[24] = {0x45, 0, 0, 24, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 2, 1, 5, 10, 2, 1, 6,
                    0x9c, 0x40, 0x00, 0x16};  // 40000 -> 22
  mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof(ip), ip);
  auto p = ParseNflogMessage(nlh, nlh->nlmsg_len);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rule, "default_action");
  EXPECT_EQ(p->source.ToString(), "10.2.1.5");
  EXPECT_EQ(p->destination.ToString(), "10.2.1.6");
  EXPECT_EQ(p->protocol, 6);
  EXPECT_EQ(p->port, 22);
  // Not ours: another prefix.
  char other[512] = {};
  nlh = mnl_nlmsg_put_header(other);
  nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
  mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg));
  mnl_attr_put_strz(nlh, NFULA_PREFIX, "iptables:");
  mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof(ip), ip);
  EXPECT_FALSE(ParseNflogMessage(nlh, nlh->nlmsg_len));
}

}  // namespace
}  // namespace pharos::security
