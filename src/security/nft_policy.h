// A policy compiled to nftables for one enforcement point. Pure text (nft
// syntax), unit-tested without a kernel; the enforcer runs it through
// libnftables in the point's namespace as one transaction.
//
// Enforcement points are the VMs that have pods: their pod bridge sees
// every packet to or from those pods (bridged traffic too, through
// br_netfilter). A flow is judged once: where its destination pod lives,
// or, when it goes to something that is not a pod, where its source pod
// lives. Traffic between routers (vehicle, SoCs, VMs) is the vehicle's
// infrastructure and is not judged.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plan/naming.h"
#include "security/policy.h"

namespace pharos::security {

inline constexpr char kPolicyTable[] = "pharos_policy";

struct EnforcementPoint {
  std::string vm;
  std::string netns;
  std::vector<Ipv4Prefix> local_subnets;  // its pod subnets
};

// One point per VM with a pod subnet, in order. Judging by subnet, not by
// pod address, fails closed: a pod is judged from its first packet, before
// any selector set knows it.
// Only the VMs this machine holds (all in the twin, the `--node` one in host mode).
std::vector<EnforcementPoint> EnforcementPoints(const std::vector<PodSubnet>& pod_subnets,
                                                const plan::NodeNamespaces& namespaces);

struct CompiledPolicy {
  // Identifies the rules (not the set members): when it is unchanged, a
  // membership change is applied as set updates only.
  std::string rules_digest;
  // The set contents (every set of the table) for change detection.
  std::string members_digest;
  // Replaces the whole table (one transaction).
  std::string replace_text;
  // Rewrites only the set elements (one transaction).
  std::string sets_text;
};

struct CompileOptions {
  int nflog_group = 0;  // denied packets are logged to this NFLOG group
};

CompiledPolicy CompilePolicy(const Policy& policy, const Membership& membership,
                             const EnforcementPoint& point,
                             const std::vector<Ipv4Prefix>& all_pod_subnets,
                             const CompileOptions& options);
// Removes the table if it is there (add + delete: no error when absent).
std::string RemovePolicyText();

// The NFLOG prefix of a deny rule ("ph:" + sanitized name) and its reverse.
std::string LogPrefix(const std::string& rule_name);
std::string RuleFromLogPrefix(std::string_view prefix);  // "" if not ours

}  // namespace pharos::security
