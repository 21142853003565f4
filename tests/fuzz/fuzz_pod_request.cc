// Fuzzes RequestNetworkPod's request path before anything is stored: the
// input is split at NUL bytes into node_yaml, pod_name and network_yaml,
// read against the seed vehicle (a Pullpiri Network artifact through the
// Pullpiri reader). The property: no crash, no hang, no
// sanitizer report; a refusal has a bounded, single-line message; an
// accepted request names a VM and a usable subnet.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "api/pullpiri/launch_request.h"
#include "core/config_analysis.h"
#include "core/pod_request.h"
#include "model/validator.h"

namespace {

const pharos::model::Topology& SeedTopology() {
  static const pharos::model::Topology* topo = [] {
    std::ifstream in(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml");
    std::stringstream text;
    text << in.rdbuf();
    auto* t = new pharos::model::Topology(pharos::core::AnalyzeConfig(text.str(), {}).topology);
    if (t->nodes.empty()) std::abort();  // the seed must build
    return t;
  }();
  return *topo;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string parts[3];
  for (int i = 0, at = 0; i < 3; ++i) {
    size_t end = i < 2 ? in.find('\0', at) : std::string_view::npos;
    if (end == std::string_view::npos) end = in.size();
    if (static_cast<size_t>(at) <= in.size()) parts[i] = std::string(in.substr(at, end - at));
    at = static_cast<int>(end) + 1;
    if (end >= in.size()) break;
  }
  auto judge = [](const std::string& path) { return path.size() % 2 ? std::string("is odd") : ""; };
  // Pullpiri's Network artifact takes its own reader, as in pharosd.
  absl::StatusOr<pharos::core::PodRequestIntent> result =
      pharos::api::pullpiri::IsNetworkArtifact(parts[2])
      ? [&]() -> absl::StatusOr<pharos::core::PodRequestIntent> {
    auto request = pharos::api::pullpiri::ReadLaunch(parts[0], parts[1], parts[2]);
    if (!request.ok()) return request.status();
    return pharos::core::CheckPodRequest(std::move(*request), SeedTopology(),
                                         pharos::model::PullpiriSpec{}, "ph-", judge);
  }()
      : pharos::core::ReadPodRequest(parts[0], parts[1], parts[2], SeedTopology(), "ph-", judge);
  if (!result.ok()) {
    std::string message(result.status().message());
    if (message.empty() || message.size() > 4096) std::abort();
    if (message.find('\n') != std::string::npos) std::abort();  // one log line
    return 0;
  }
  if (!result->removal) {
    if (!result->host) std::abort();
    if (!pharos::model::UnusableSubnetReason(result->subnet).empty()) std::abort();
    if (!pharos::model::IsValidName(result->name)) std::abort();
  }
  return 0;
}
