// The security policy as Pharos evaluates it: the YAML rules reduced to
// selectors, ports and actions, the emergency modes applied, and the
// selectors resolved to addresses. Pure: the nftables compiler, the
// diagnostics and `pharosctl policy explain` all decide with this code,
// so what the kernel does and what Pharos explains cannot disagree.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ipv4.h"
#include "model/topology.h"
#include "model/vehicle.h"

namespace pharos::security {

enum class Action { kAllow, kDeny };
enum class Protocol { kAny, kTcp, kUdp, kIcmp };
enum class EmergencyMode { kNone, kMinimal, kFailsafe, kDiagnostic };

std::string_view ActionName(Action a);  // "allow" | "deny"
std::string_view ProtocolName(Protocol p);
// "8080,9000-9100"; "" for none (every port).
std::string PortsText(const std::vector<model::PortRange>& ports);
std::optional<Protocol> ParseProtocol(std::string_view text);  // "" = any
std::string_view ModeName(EmergencyMode m);                    // "" for kNone
std::optional<EmergencyMode> ParseMode(std::string_view text);

// Who a rule is about. Every field that is set must hold (intersection);
// no field set means every address.
struct Selector {
  std::string k8s_namespace;
  std::string pod;
  std::string service;
  std::optional<Ipv4Prefix> cidr;
  bool external = false;      // from the cloud side (the cloud subnet)
  bool tls_verified = false;  // through Pharos's TLS-verifying ingress

  bool any() const {
    return k8s_namespace.empty() && pod.empty() && service.empty() && !cidr && !external &&
           !tls_verified;
  }
  // Stable, readable identity ("ns=perception", "pod=a,cidr=10.0.0.0/8");
  // selectors with the same key share one nftables set.
  std::string Key() const;
  bool operator==(const Selector&) const = default;
};

struct Rule {
  std::string name;
  Selector from;
  Selector to;
  std::vector<model::PortRange> ports;  // empty: every port
  Protocol protocol = Protocol::kAny;
  Action action = Action::kDeny;
  bool safety_critical = false;
  std::string origin;  // YAML path, for explanations
};

struct Policy {
  bool enforced = false;  // false: no policy, everything passes unjudged
  std::vector<Rule> rules;
  Action default_action = Action::kDeny;
  EmergencyMode mode = EmergencyMode::kNone;
};

// The configured policy (spec must be valid) as rules.
Policy FromSpec(const model::SecurityPolicySpec& spec);
// What is enforced in `mode`:
//   none        the configured policy;
//   minimal     its allow rules marked safety_critical, default deny;
//   failsafe    only emergency.failsafe_allow, default deny;
//   diagnostic  the tester reaches the diagnostic ports of every pod, then
//               the configured policy.
// An emergency mode is enforced even when no policy is configured.
Policy EffectivePolicy(const model::SecurityPolicySpec& spec, EmergencyMode mode);

// What selectors resolve against.
struct PodAddress {
  std::string name;
  std::string k8s_namespace;
  Ipv4Address ip;
  std::string vm;  // the VM whose pod bridge it hangs off
};
struct ServiceAddress {
  std::string name;
  Ipv4Address ip;
};
struct PodSubnet {
  std::string vm;  // the VM holding the pod bridge
  Ipv4Prefix prefix;
};
struct Inventory {
  std::vector<PodSubnet> pod_subnets;
  std::vector<PodAddress> pods;
  std::vector<ServiceAddress> services;
  std::optional<Ipv4Prefix> cloud_subnet;
  std::optional<Ipv4Address> cloud_gateway;  // the vehicle's address on the cloud bridge
  // Where the TLS ingress's forwarded connections come from (its cloud
  // gateway) when the ingress runs; unset, `tls_verified` matches nothing.
  std::optional<Ipv4Address> ingress_address;
};
// Pod subnets, pods and the cloud side of a topology (services come from
// the registry, the ingress from the daemon).
Inventory InventoryOf(const model::Topology& topology);

// Selector key -> the prefixes it stands for (host addresses are /32).
using Membership = std::map<std::string, std::vector<Ipv4Prefix>>;
Membership Resolve(const Policy& policy, const Inventory& inventory);
bool Matches(const Membership& membership, const Selector& selector, Ipv4Address address);

struct Flow {
  Ipv4Address source;
  Ipv4Address destination;
  Protocol protocol = Protocol::kTcp;  // kAny is not a flow's protocol
  int port = 0;                        // destination port (tcp/udp)
};

struct Decision {
  Action action = Action::kAllow;
  std::string rule;  // the rule's name, or "default_action", or "no policy"
  int index = -1;    // position in Policy::rules; -1 for the default
  std::string origin;
  std::string Describe() const;  // "allow by allow_perception_to_control"
};

Decision Evaluate(const Policy& policy, const Membership& membership, const Flow& flow);

// The dataplane judges a flow only when one end is in a pod subnet (see
// nft_policy.h); Explain says so instead of naming a rule otherwise.
bool Judged(const std::vector<PodSubnet>& pod_subnets, const Flow& flow);
Decision Explain(const Policy& policy, const Membership& membership,
                 const std::vector<PodSubnet>& pod_subnets, const Flow& flow);
// For a source/destination pair without port: the rules whose selectors
// match it, in order ("allow_x: allow tcp 8080,8081"), then the default.
std::vector<std::string> RulesForPair(const Policy& policy, const Membership& membership,
                                      const std::vector<PodSubnet>& pod_subnets, Ipv4Address source,
                                      Ipv4Address destination);

}  // namespace pharos::security
