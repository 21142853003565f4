// Dataplane benchmark (needs root): in one run on this machine,
//  (a) bring-up of the seed vehicle and of a large vehicle
//      (4 SoCs x 4 VMs x 32 pods) by the Linux backend (netlink + nftables);
//  (b) the cost of setting up one more pod in Pharos, against the
//      reference CNI plugins (containernetworking-plugins: bridge +
//      host-local), invoked the way a runtime invokes them, once per pod,
//      into a fresh namespace.
// Everything it creates carries the prefix "pb<pid>" and is removed at
// the end. The CNI plugin runs inside its own "host" namespace, so the
// machine's own namespace is never touched.
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.h"
#include "cni_runner.h"
#include "core/config_analysis.h"
#include "dataplane/linux_backend.h"
#include "dataplane/netlink_kernel.h"
#include "netlink/netns.h"

namespace {

using pharos::bench::Clock;
using pharos::bench::Ms;
using pharos::bench::ReadAll;

std::string LargeVehicle(int socs, int vms, int pods, int extra_pods) {
  std::string y = "vehicle:\n  name: bench\n  socs:\n";
  for (int s = 1; s <= socs; ++s) {
    y += fmt::format(
        "    - name: soc{0}\n      ip: \"10.1.0.{1}\"\n      subnet: \"10.1.0.0/24\"\n"
        "      vms:\n",
        s, s + 1);
    for (int v = 1; v <= vms; ++v) {
      int vm = (s - 1) * vms + v;
      y += fmt::format(
          "        - name: vm{0}\n          ip: \"10.{1}.0.{2}\"\n          subnet: "
          "\"10.{1}.0.0/24\"\n          pods:\n",
          vm, 1 + s, 9 + v);
      int count = pods + (vm == 1 ? extra_pods : 0);
      for (int p = 1; p <= count; ++p) {
        y += fmt::format(
            "            - name: p{0}-{1}\n              ip: \"10.{2}.{3}.{4}\"\n"
            "              networking:\n                type: cni\n"
            "                subnet: \"10.{2}.0.0/16\"\n",
            vm, p, 100 + vm, p / 200, 2 + p % 200);
      }
    }
  }
  return y;
}

pharos::plan::Plan PlanOf(const std::string& yaml, const std::string& prefix) {
  pharos::core::Analysis a = pharos::core::AnalyzeConfig(yaml, {prefix, nullptr, nullptr});
  if (!a.plan) {
    fprintf(stderr, "benchmark vehicle does not validate\n");
    std::exit(1);
  }
  return *a.plan;
}

}  // namespace

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    fprintf(stderr, "the dataplane benchmark builds namespaces and needs root\n");
    return 0;  // a benchmark never fails the build
  }
  const int kPerPod = argc > 1 ? std::atoi(argv[1]) : 32;
  std::string prefix = fmt::format("pb{}-", getpid() % 1000);
  using pharos::dataplane::LinuxBackend;
  using pharos::dataplane::NetlinkKernel;
  auto make_backend = [&] {
    return std::make_unique<LinuxBackend>(
        std::make_unique<NetlinkKernel>(),
        pharos::dataplane::BackendOptions{pharos::dataplane::DataplaneMode::kEmulated, "", prefix});
  };

  printf("%-58s %12s\n", "measurement", "result");
  // (a) Seed vehicle bring-up.
  std::string seed = ReadAll(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml");
  {
    auto backend = make_backend();
    pharos::plan::Plan plan = PlanOf(seed, prefix);
    auto t0 = Clock::now();
    auto r = backend->Apply(plan);
    auto t1 = Clock::now();
    if (!r.ok()) fprintf(stderr, "seed: %s\n", std::string(r.status().message()).c_str());
    printf("%-58s %9.1f ms\n", "bring-up, seed vehicle (6 namespaces)", Ms(t0, t1));
    (void)backend->Teardown();
  }
  // (a) Large vehicle, then (b) Pharos per-pod: one more pod per apply.
  auto backend = make_backend();
  pharos::plan::Plan large = PlanOf(LargeVehicle(4, 4, 32, 0), prefix);
  auto t0 = Clock::now();
  auto r = backend->Apply(large);
  auto t1 = Clock::now();
  if (!r.ok()) {
    fprintf(stderr, "large: %s\n", std::string(r.status().message()).c_str());
    (void)backend->Teardown();
    return 0;
  }
  printf("%-58s %9.1f ms\n",
         fmt::format("bring-up, 4 SoCs x 4 VMs x 32 pods ({} namespaces)", large.namespaces.size())
             .c_str(),
         Ms(t0, t1));
  std::vector<pharos::plan::Plan> steps;
  for (int i = 1; i <= kPerPod; ++i) steps.push_back(PlanOf(LargeVehicle(4, 4, 32, i), prefix));
  double pharos_total = 0;
  for (const auto& step : steps) {
    auto s0 = Clock::now();
    auto sr = backend->Apply(step);
    pharos_total += Ms(s0, Clock::now());
    if (!sr.ok()) fprintf(stderr, "pod: %s\n", std::string(sr.status().message()).c_str());
  }
  double pharos_per_pod = pharos_total / kPerPod;
  printf("%-58s %9.2f ms\n", "Pharos: one more pod, all included (netns+veth+addr+route)",
         pharos_per_pod);

  // (b) Reference CNI plugins, same number of pods, while the large
  // vehicle is still up: both face the same ~570 namespaces.
  auto teardown = [&] {
    auto d0 = Clock::now();
    (void)backend->Teardown();
    printf("%-58s %9.1f ms\n", "teardown of the large vehicle", Ms(d0, Clock::now()));
  };
  if (access("/usr/lib/cni/bridge", X_OK) != 0) {
    printf("%-58s %12s\n", "CNI bridge plugin", "not installed");
    teardown();
    return 0;
  }
  std::string host = prefix + "cnihost";
  std::string data_dir = fmt::format("/tmp/{}cni", prefix);
  (void)pharos::netlink::CreateNamedNetns(host);
  std::string config = pharos::bench::CniConfig(prefix, "10.250.0.0/16", data_dir);
  double cni_total = 0, netns_total = 0;
  int ok = 0;
  for (int i = 0; i < kPerPod; ++i) {
    std::string pod = fmt::format("{}cni{}", prefix, i);
    auto n0 = Clock::now();
    (void)pharos::netlink::CreateNamedNetns(pod);
    netns_total += Ms(n0, Clock::now());
    double ms = pharos::bench::CniAdd(pharos::bench::kCniBridge, host, pod,
                                      fmt::format("bench{}", i), config);
    if (ms >= 0) {
      cni_total += ms;
      ++ok;
    }
  }
  for (int i = 0; i < kPerPod; ++i) {
    (void)pharos::netlink::DeleteNamedNetns(fmt::format("{}cni{}", prefix, i));
  }
  (void)pharos::netlink::DeleteNamedNetns(host);
  std::filesystem::remove_all(data_dir);
  teardown();
  if (ok == 0) {
    printf("%-58s %12s\n", "CNI bridge plugin", "failed");
    return 0;
  }
  double cni_per_pod = cni_total / ok;
  double netns_per_pod = netns_total / kPerPod;
  printf("%-58s %9.2f ms\n", "CNI bridge+host-local: ADD per pod (netns made before)", cni_per_pod);
  printf("%-58s %9.2f ms\n", "  + the runtime's netns creation", netns_per_pod);
  printf("%-58s %9.1fx\n", "ratio CNI ADD / Pharos all included (target >= 10x)",
         cni_per_pod / pharos_per_pod);
  printf("%-58s %9.1fx\n", "ratio CNI ADD+netns / Pharos all included",
         (cni_per_pod + netns_per_pod) / pharos_per_pod);
  return 0;
}
