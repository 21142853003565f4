#include "core/runtime_pods.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "core/runtime_pod_rows.h"

namespace pharos::core {

std::vector<RuntimePodSpec> RuntimePodTable::OverlayPods() {
  std::lock_guard lock(mu_);
  absl::StatusOr<std::vector<store::RuntimePod>> rows = rows_.List();
  if (!rows.ok()) {
    spdlog::error("runtime pods: {}", std::string(rows.status().message()));
    return {};
  }
  std::vector<RuntimePodSpec> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    if (r.state == store::PodState::kRemoving || held_.count(r.name)) continue;
    if (std::optional<model::PodSpec> pod = PodSpecOf(r))
      out.push_back({r.soc, r.vm, std::move(*pod)});
  }
  return out;
}

std::vector<RuntimeNetworkSpec> RuntimePodTable::OverlayNetworks() {
  std::lock_guard lock(mu_);
  absl::StatusOr<std::vector<store::RuntimeNetwork>> rows = networks_.List();
  if (!rows.ok()) return {};
  std::vector<RuntimeNetworkSpec> out;
  for (const auto& r : *rows) {
    std::optional<Ipv4Prefix> subnet = Ipv4Prefix::Parse(r.subnet);
    if (!subnet) continue;
    model::PodNetworkSpec net;
    net.name = r.name;
    net.subnet.value = r.subnet;
    net.subnet.prefix = subnet;
    net.subnet.present = true;
    net.bridge.value = r.bridge;
    net.bridge.present = !r.bridge.empty();
    out.push_back({r.soc, r.vm, std::move(net)});
  }
  return out;
}

}  // namespace pharos::core
