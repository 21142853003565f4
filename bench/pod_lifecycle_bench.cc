// Pod lifecycle benchmark (needs root): RequestNetworkPod → CompleteNetworkSetting
// latency in pharosd's own code path (PodManager + controller + Linux
// backend, completions captured at the outbox boundary, without the two
// gRPC hops of ~0.2 ms each), at 1, 10 and 100 concurrent requests; the
// same job through pharos-cni (a namespace + the plugin's ADD, spawned as a
// runtime does, served by the same CniService pharosd runs); side by side
// with the reference CNI `bridge` + `host-local` plugins doing the same job
// (a namespace + ADD per pod) at the same concurrency.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "cni/cni_service.h"
#include "cni/socket_server.h"
#include "cni_runner.h"
#include "common/clock.h"
#include "core/config_controller.h"
#include "core/pod_manager.h"
#include "dataplane/linux_backend.h"
#include "dataplane/netlink_kernel.h"
#include "dataplane/timed_kernel.h"
#include "store/config_store.h"

namespace {

using Clock = std::chrono::steady_clock;

// Records when each completion arrives.
class TimingSink : public pharos::core::CompletionSink {
 public:
  absl::Status CompleteAll(const std::vector<pharos::core::CompletionRecord>& batch) override {
    std::lock_guard lock(mu_);
    for (const auto& c : batch) {
      done_[c.request_id] = {Clock::now(), c.result == pharos::core::Completion::kOk};
    }
    cv_.notify_all();
    return absl::OkStatus();
  }
  std::pair<Clock::time_point, bool> Wait(const std::string& id) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(60), [&] { return done_.count(id) > 0; });
    return done_.count(id) ? done_[id] : std::make_pair(Clock::now(), false);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::pair<Clock::time_point, bool>> done_;
};

struct Percentiles {
  double p50, p99;
};
Percentiles Of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  return {at(0.50), at(0.99)};
}

constexpr char kVehicle[] = R"(vehicle:
  name: bench
  socs:
    - name: soc1
      ip: "10.1.0.2"
      subnet: "10.1.0.0/24"
      vms:
        - name: vm1
          ip: "10.2.0.10"
          subnet: "10.2.0.0/24"
          pods:
            - name: anchor
              networking: {type: cni, subnet: "10.3.0.0/16"}
)";

// soc1 with `existing` pods declared (plus the anchor): vm1 takes the
// first 1,000 on 10.3.0.0/16, further VMs 1,000 each on their own /16 (a
// Linux bridge has at most 1,024 ports).
std::string VehicleWithPods(int existing) {
  std::string y = kVehicle;
  constexpr int kPerVm = 1000;
  for (int vm = 1; vm == 1 || (vm - 1) * kPerVm < existing; ++vm) {
    if (vm > 1) {
      y += fmt::format(
          "        - name: vm{0}\n          ip: \"10.2.0.{1}\"\n          subnet: "
          "\"10.2.0.0/24\"\n          pods:\n",
          vm, 9 + vm);
    }
    for (int i = (vm - 1) * kPerVm; i < std::min(existing, vm * kPerVm); ++i) {
      int k = i % kPerVm;
      y += fmt::format(
          "            - name: e{}\n              networking: {{type: cni, subnet: "
          "\"10.{}.0.0/16\", ip: \"10.{}.{}.{}\"}}\n",
          i, 2 + vm, 2 + vm, 100 + k / 250, 2 + k % 250);
    }
  }
  return y;
}

// One more pod's setup (RequestNetworkPod to its completion, one at a
// time) on a vehicle that already has `existing` pods, with where the time
// goes: the kernel calls (timed one by one) and the rest (validation,
// planning, store, completion). The same code path as pharosd's.
void PerPodOnVehicleOf(int existing, int index) {
  std::string prefix = fmt::format("pv{}{}-", index, getpid() % 100);
  std::filesystem::path dir = std::filesystem::temp_directory_path() / (prefix + "state");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  pharos::SystemClock clock;
  std::string db_path = (dir / "pharos.db").string();
  auto store =
      pharos::store::ConfigStore::Open(std::move(*pharos::store::Database::Open(db_path)), clock);
  auto pods_db = pharos::store::Database::Open(db_path);
  auto timed = std::make_unique<pharos::dataplane::TimedKernel>(
      std::make_unique<pharos::dataplane::NetlinkKernel>());
  pharos::dataplane::TimedKernel& kernel = *timed;
  pharos::dataplane::LinuxBackend backend(std::move(timed),
                                          {pharos::dataplane::DataplaneMode::kEmulated, "", prefix});
  pharos::core::RuntimePodTable runtime_pods(**pods_db);
  pharos::core::ControllerOptions options{prefix};
  pharos::core::ConfigController controller(**store, backend, options, nullptr, &runtime_pods);
  TimingSink sink;
  pharos::core::PodManager pods(controller, runtime_pods, sink, clock, std::chrono::seconds(60));
  auto t0 = Clock::now();
  if (auto applied = controller.Apply(VehicleWithPods(existing), "bench", false);
      !applied.status.ok()) {
    fprintf(stderr, "the vehicle with %d pods did not apply: %s\n", existing,
            std::string(applied.status.message()).substr(0, 400).c_str());
    return;
  }
  double bring_up = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  pods.Start();
  const std::string node = "name: vm1\n";
  const std::string net = "networking: {type: cni, subnet: \"10.3.0.0/16\"}\n";
  const int kPods = getenv("PHAROS_BENCH_PODS") ? atoi(getenv("PHAROS_BENCH_PODS")) : 20;
  std::vector<double> took;
  kernel.Reset();
  for (int i = 0; i < kPods; ++i) {
    auto start = Clock::now();
    pharos::core::PodRequestAnswer a = pods.Request(node, fmt::format("n{}", i), net);
    if (!a.status.ok()) continue;
    auto [end, ok] = sink.Wait(a.request_id);
    if (ok) took.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::map<std::string, pharos::dataplane::KernelOpStats> ops = kernel.Stats();
  pods.Stop();
  (void)controller.Teardown();
  std::filesystem::remove_all(dir);
  if (took.empty()) {
    printf("%-16d failed\n", existing);
    return;
  }
  double total = 0, kernel_ms = 0;
  for (double t : took) total += t;
  std::string breakdown;
  for (const auto& [op, st] : ops) {
    double ms = std::chrono::duration<double, std::milli>(st.total).count() / took.size();
    kernel_ms += ms;
    if (ms >= 0.05) {
      breakdown += fmt::format(" {} {:.1f}x {:.2f}ms;", op, double(st.calls) / took.size(), ms);
    }
  }
  Percentiles p = Of(took);
  printf("%-16d %9.2fms %9.2fms %9.2fms %9.2fms  (bring-up %.0f ms)  kernel per pod:%s\n",
         existing, p.p50, p.p99, kernel_ms, total / took.size() - kernel_ms, bring_up,
         breakdown.c_str());
}

void PrintFlatnessHeader() {
  printf("\none more pod on a vehicle that already has N pods (serial, %s)\n",
         "RequestNetworkPod to completion");
  printf("%-16s %11s %11s %11s %11s\n", "existing pods", "p50", "p99", "kernel", "rest");
}

}  // namespace

// No arguments: everything. `flat N...`: only the per-pod rows for those
// vehicle sizes (for profiling one size under perf).
int main(int argc, char** argv) {
  if (geteuid() != 0) {
    fprintf(stderr, "the pod lifecycle benchmark builds namespaces and needs root\n");
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "flat") {
    PrintFlatnessHeader();
    for (int i = 2; i < argc; ++i) PerPodOnVehicleOf(std::atoi(argv[i]), i);
    return 0;
  }
  std::string prefix = fmt::format("pl{}-", getpid() % 1000);
  std::string runtime_prefix = fmt::format("pr{}-", getpid() % 1000);
  std::filesystem::path dir = std::filesystem::temp_directory_path() / (prefix + "state");
  std::filesystem::create_directories(dir);
  pharos::SystemClock clock;
  std::string db_path = (dir / "pharos.db").string();
  auto store =
      pharos::store::ConfigStore::Open(std::move(*pharos::store::Database::Open(db_path)), clock);
  auto pods_db = pharos::store::Database::Open(db_path);
  pharos::dataplane::LinuxBackend backend(std::make_unique<pharos::dataplane::NetlinkKernel>(),
                                          {pharos::dataplane::DataplaneMode::kEmulated, "", prefix});
  pharos::core::RuntimePodTable runtime_pods(**pods_db);
  pharos::core::ConfigController controller(**store, backend, {prefix}, nullptr, &runtime_pods);
  TimingSink sink;
  pharos::core::PodManager pods(controller, runtime_pods, sink, clock, std::chrono::seconds(60));
  if (!controller.Apply(kVehicle, "bench", false).status.ok()) {
    fprintf(stderr, "the benchmark vehicle did not apply\n");
    return 0;
  }
  pods.Start();
  pharos::cni::CniService cni_service(pods, controller, {prefix, true, std::chrono::seconds(60)});
  std::string socket = (dir / "cni.sock").string();
  pharos::cni::SocketServer cni_server(
      socket, [&](const nlohmann::json& r) { return cni_service.Handle(r); });
  if (!cni_server.Start().ok()) {
    fprintf(stderr, "cannot serve the pharos-cni socket\n");
    return 0;
  }
  const std::string pharos_cni_config =
      "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"pharos-cni\",\"vm\":\"vm1\","
      "\"subnet\":\"10.3.0.0/16\",\"socket\":\"" +
      socket + "\"}";

  const std::string node = "name: vm1\n";
  const std::string net = "networking: {type: cni, subnet: \"10.3.0.0/16\"}\n";
  printf("%-16s %11s %11s %11s %11s %11s %11s\n", "concurrent pods", "Request p50", "Request p99",
         "p-cni p50", "p-cni p99", "ref p50", "ref p99");
  int serial = 0;
  std::string cni_host = prefix + "cnihost";
  (void)pharos::netlink::CreateNamedNetns(cni_host);
  std::string data_dir = (dir / "cni").string();
  std::string config = pharos::bench::CniConfig(prefix, "10.250.0.0/16", data_dir);
  std::vector<std::string> cni_namespaces;
  for (int concurrency : {1, 10, 100}) {
    int rounds = concurrency == 1 ? 20 : concurrency == 10 ? 3 : 1;
    std::vector<double> ours, plugin, theirs;
    for (int r = 0; r < rounds; ++r) {
      // Pharos: `concurrency` requests at once, each timed to its completion.
      std::vector<std::thread> threads;
      std::mutex mu;
      for (int i = 0; i < concurrency; ++i) {
        std::string name = fmt::format("b{}", serial++);
        threads.emplace_back([&, name] {
          auto start = Clock::now();
          pharos::core::PodRequestAnswer a = pods.Request(node, name, net);
          if (!a.status.ok()) return;
          auto [end, ok] = sink.Wait(a.request_id);
          std::lock_guard lock(mu);
          if (ok) ours.push_back(std::chrono::duration<double, std::milli>(end - start).count());
        });
      }
      for (auto& t : threads) t.join();
      threads.clear();
      // A CNI plugin as a runtime runs it: per pod a namespace + ADD, all at once.
      auto run_plugin = [&](const std::string& plugin_path, const std::string& host,
                            const std::string& conf, std::vector<double>& into) {
        for (int i = 0; i < concurrency; ++i) {
          // Not under Pharos's own prefix: a runtime's namespace there is refused.
          std::string ns = fmt::format("{}c{}", runtime_prefix, cni_namespaces.size());
          cni_namespaces.push_back(ns);
          threads.emplace_back([&, ns] {
            auto start = Clock::now();
            if (!pharos::netlink::CreateNamedNetns(ns).ok()) return;
            if (pharos::bench::CniAdd(plugin_path, host, ns, ns, conf) < 0) return;
            std::lock_guard lock(mu);
            into.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
          });
        }
        for (auto& t : threads) t.join();
        threads.clear();
      };
      run_plugin(PHAROS_CNI_BINARY, "", pharos_cni_config, plugin);
      run_plugin(pharos::bench::kCniBridge, cni_host, config, theirs);
    }
    if (ours.empty() || plugin.empty() || theirs.empty()) {
      printf("%-16d %11s (%zu/%zu/%zu done)\n", concurrency, "failed", ours.size(), plugin.size(),
             theirs.size());
      continue;
    }
    Percentiles p = Of(ours), q = Of(plugin), c = Of(theirs);
    printf(
        "%-16d %9.2fms %9.2fms %9.2fms %9.2fms %9.2fms %9.2fms   p50 ratio ref/Request "
        "%.1fx, ref/pharos-cni %.1fx\n",
        concurrency, p.p50, p.p99, q.p50, q.p99, c.p50, c.p99, c.p50 / p.p50, c.p50 / q.p50);
  }
  cni_server.Stop();
  pods.Stop();
  (void)controller.Teardown();

  PrintFlatnessHeader();
  int index = 0;
  for (int existing : {10, 500, 2000}) PerPodOnVehicleOf(existing, index++);
  for (const auto& ns : cni_namespaces) (void)pharos::netlink::DeleteNamedNetns(ns);
  (void)pharos::netlink::DeleteNamedNetns(cni_host);
  std::filesystem::remove_all(dir);
  return 0;
}
