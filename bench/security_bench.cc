// Security benchmark (needs root), in one run on this machine:
//  (a) compile + apply of policies with 100, 1,000 and 10,000 rules into
//      the seed vehicle's VM, against the nft command line applying the
//      very same ruleset text (the peer: what an operator would type);
//  (b) TCP throughput (iperf3) from perception-pod to control-pod with no
//      policy, against the same with a 1,000-rule policy in force.
// Everything carries the prefix "ps<pid>-" and is removed at the end.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "bench_support.h"
#include "core/config_analysis.h"
#include "dataplane/linux_backend.h"
#include "dataplane/netlink_kernel.h"
#include "security/nft_policy.h"
#include "security/policy_enforcer.h"

namespace {

using pharos::bench::Clock;
using pharos::bench::IperfGbps;
using pharos::bench::Ms;
using pharos::bench::ReadAll;
using pharos::bench::Run;

// `n` rules from distinct /24s (each its own set), then the allowance the
// measured flows need, then default deny.
std::string PolicyYaml(int n) {
  std::string y = "security_policy:\n  default_action: deny\n  rules:\n";
  for (int i = 0; i < n; ++i) {
    y += fmt::format(
        "    - name: r{0}\n      from: {{cidr: \"10.{1}.{2}.0/24\"}}\n"
        "      to: {{namespace: control}}\n      ports: [{3}]\n      protocol: tcp\n"
        "      action: {4}\n",
        i, 100 + i / 250, i % 250, 1000 + i % 5000, i % 3 ? "allow" : "deny");
  }
  y += "    - name: bench_flow\n      from: {namespace: perception}\n"
       "      to: {namespace: control}\n      ports: [5201]\n      protocol: tcp\n"
       "      action: allow\n";
  return y;
}

// Gbit/s from perception-pod to control-pod.
double Iperf(const std::string& prefix) {
  return IperfGbps(prefix + "control-pod", prefix + "perception-pod", "10.2.1.3", 5201);
}

}  // namespace

int main() {
  if (geteuid() != 0) {
    fprintf(stderr, "security bench: needs root (namespaces, nftables)\n");
    return 0;
  }
  std::string prefix = fmt::format("ps{}-", getpid() % 1000);
  pharos::core::Analysis a = pharos::core::AnalyzeConfig(
      ReadAll(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"), {prefix, nullptr, nullptr});
  pharos::dataplane::LinuxBackend backend(
      std::make_unique<pharos::dataplane::NetlinkKernel>(),
      pharos::dataplane::BackendOptions{pharos::dataplane::DataplaneMode::kEmulated, "", prefix});
  if (!a.plan || !backend.Apply(*a.plan).ok()) {
    fprintf(stderr, "security bench: could not build the seed vehicle\n");
    (void)backend.Teardown();
    return 0;
  }
  pharos::security::Inventory inv = pharos::security::InventoryOf(a.topology);
  auto points = pharos::security::EnforcementPoints(inv.pod_subnets, {prefix, ""});
  std::vector<pharos::Ipv4Prefix> all;
  for (const auto& s : inv.pod_subnets) all.push_back(s.prefix);
  pharos::security::NftFirewall firewall;
  std::string vm = points.at(0).netns;

  std::printf("(a) compile + apply into %s (one transaction), vs `nft -f` of the same text\n",
              vm.c_str());
  std::printf("%8s %12s %12s %14s %12s\n", "rules", "compile ms", "apply ms", "pharos total",
              "nft CLI ms");
  for (int n : {100, 1000, 10000}) {
    pharos::core::Analysis p = pharos::core::AnalyzeConfig(PolicyYaml(n), {prefix, &a.topology});
    if (!p.valid()) {
      fprintf(stderr, "policy of %d rules does not validate\n", n);
      continue;
    }
    auto t0 = Clock::now();
    pharos::security::Policy policy = pharos::security::FromSpec(p.document.policy);
    auto membership = pharos::security::Resolve(policy, inv);
    auto compiled = pharos::security::CompilePolicy(policy, membership, points[0], all, {27});
    auto t1 = Clock::now();
    absl::Status s = firewall.Run(vm, compiled.replace_text);
    auto t2 = Clock::now();
    std::string file = fmt::format("/tmp/{}policy.nft", prefix);
    std::ofstream(file) << compiled.replace_text;
    auto t3 = Clock::now();
    int rc = Run(fmt::format("ip netns exec {} nft -f {}", vm, file));
    auto t4 = Clock::now();
    std::remove(file.c_str());
    std::printf("%8d %12.1f %12.1f %14.1f %12.1f%s\n", n, Ms(t0, t1), Ms(t1, t2), Ms(t0, t2),
                Ms(t3, t4), s.ok() && rc == 0 ? "" : "  (failed)");
  }

  std::printf("\n(b) iperf3 perception-pod -> control-pod, 3 s each\n");
  (void)firewall.Run(vm, pharos::security::RemovePolicyText());
  double open = Iperf(prefix);
  pharos::core::Analysis p = pharos::core::AnalyzeConfig(PolicyYaml(1000), {prefix, &a.topology});
  pharos::security::Policy policy = pharos::security::FromSpec(p.document.policy);
  auto compiled = pharos::security::CompilePolicy(policy, pharos::security::Resolve(policy, inv),
                                                  points[0], all, {27});
  absl::Status applied = firewall.Run(vm, compiled.replace_text);
  double guarded = Iperf(prefix);
  std::printf("  no policy:        %6.2f Gbit/s\n", open);
  std::printf("  1,000-rule policy: %6.2f Gbit/s%s\n", guarded,
              applied.ok() ? "" : " (not applied)");
  if (open > 0)
    std::printf("  ratio: %.0f %% of the throughput without policy\n", 100 * guarded / open);

  (void)backend.Teardown();
  return 0;
}
