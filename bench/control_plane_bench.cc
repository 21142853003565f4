// Control-plane benchmark (issue: control plane).
//  - parse + validate + plan of a large vehicle: 8 SoCs x 4 VMs x 64 pods
//    (2,048 pods) plus a 1,000-rule security policy. Target: < 100 ms.
//  - peak memory of that analysis (ru_maxrss delta, reported as a counter).
//  - ApplyConfiguration round trip over real gRPC on loopback, against the
//    real pharosd (in process, plan dataplane, SQLite WAL synchronous=FULL);
//    alternating two configurations so every call really changes the
//    current version.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <filesystem>

#include "common/strings.h"
#include "core/config_analysis.h"
#include "dataplane/plan_backend.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "plan_daemon.h"

namespace {

std::string LargeVehicle(int socs, int vms, int pods, int rules, int variant = 0) {
  std::string y = "vehicle:\n  name: bench\n  socs:\n";
  for (int s = 0; s < socs; ++s) {
    pharos::StrAppend(&y, "    - name: soc", s, "\n      ip: \"10.0.0.", s + 2,
                      "\"\n      subnet: \"10.0.0.0/24\"\n      vms:\n");
    for (int v = 0; v < vms; ++v) {
      int vm = s * vms + v;
      pharos::StrAppend(&y, "        - name: vm", vm, "\n          ip: \"10.", 64 + s, ".", v,
                        ".10\"\n          subnet: \"10.", 64 + s, ".", v,
                        ".0/24\"\n          pods:\n");
      for (int p = 0; p < pods; ++p) {
        pharos::StrAppend(&y, "            - name: pod-", vm, "-", p,
                          "\n              namespace: ns", p % 16,
                          "\n              networking:\n                type: cni\n"
                          "                subnet: \"10.",
                          128 + vm / 2, ".", (vm % 2) * 128, ".0/25\"\n");
        if (variant && p == 0)
          pharos::StrAppend(&y, "                ip: \"10.", 128 + vm / 2, ".", (vm % 2) * 128,
                            ".100\"\n");
      }
    }
  }
  y += "security_policy:\n  default_action: deny\n  rules:\n";
  for (int r = 0; r < rules; ++r) {
    pharos::StrAppend(&y, "    - name: rule", r, "\n      from:\n        namespace: ns", r % 16,
                      "\n      to:\n        namespace: ns", (r + 1) % 16, "\n      ports: [",
                      1000 + r, "]\n      protocol: tcp\n      action: allow\n");
  }
  return y;
}

// Request logging would dominate the measurement.
const bool kQuiet = [] {
  spdlog::set_level(spdlog::level::off);
  return true;
}();

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

void BM_ParseValidatePlan_2048Pods_1000Rules(benchmark::State& state) {
  std::string yaml = LargeVehicle(8, 4, 64, 1000);
  long before = MaxRssKb();
  size_t objects = 0;
  for (auto _ : state) {
    pharos::core::Analysis a = pharos::core::AnalyzeConfig(yaml, {});
    if (!a.plan) {
      state.SkipWithError("generated vehicle did not validate");
      return;
    }
    objects = a.plan->ObjectCount();
    benchmark::DoNotOptimize(a);
  }
  state.counters["plan_objects"] = static_cast<double>(objects);
  state.counters["yaml_kb"] = static_cast<double>(yaml.size()) / 1024;
  state.counters["peak_rss_growth_mb"] = static_cast<double>(MaxRssKb() - before) / 1024;
}
BENCHMARK(BM_ParseValidatePlan_2048Pods_1000Rules)->Unit(benchmark::kMillisecond);

// The same size without the policy, to show what the policy costs.
void BM_ParseValidatePlan_2048Pods(benchmark::State& state) {
  std::string yaml = LargeVehicle(8, 4, 64, 0);
  for (auto _ : state) benchmark::DoNotOptimize(pharos::core::AnalyzeConfig(yaml, {}));
}
BENCHMARK(BM_ParseValidatePlan_2048Pods)->Unit(benchmark::kMillisecond);

void ApplyRoundTrip(benchmark::State& state, int socs, int vms, int pods) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("pharos-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  pharos::SystemClock clock;
  std::unique_ptr<pharos::Daemon> daemon = StartPlanDaemon(dir, clock);
  if (!daemon) {
    state.SkipWithError("pharosd did not start");
    return;
  }
  auto stub = pharos::api::v1::PharosService::NewStub(
      grpc::CreateChannel(daemon->address(), grpc::InsecureChannelCredentials()));
  std::string configs[2] = {LargeVehicle(socs, vms, pods, 0, 0),
                            LargeVehicle(socs, vms, pods, 0, 1)};
  int i = 0;
  for (auto _ : state) {
    pharos::api::v1::ApplyConfigurationRequest req;
    req.set_config_yaml(configs[i++ % 2]);
    pharos::api::v1::ApplyConfigurationResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub->ApplyConfiguration(&ctx, req, &resp);
    if (!s.ok()) {
      state.SkipWithError(s.error_message().c_str());
      break;
    }
  }
  daemon.reset();
  std::filesystem::remove_all(dir);
}

void BM_ApplyConfigurationGrpc_SeedSized(benchmark::State& state) {
  ApplyRoundTrip(state, 2, 1, 2);
}
BENCHMARK(BM_ApplyConfigurationGrpc_SeedSized)->Unit(benchmark::kMillisecond);

void BM_ApplyConfigurationGrpc_2048Pods(benchmark::State& state) {
  ApplyRoundTrip(state, 8, 4, 64);
}
BENCHMARK(BM_ApplyConfigurationGrpc_2048Pods)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
