// Fuzzes every entry point that takes YAML from the network: the vehicle /
// policy configuration (parse, validate, plan, merge) and RequestNetworkPod's
// node_yaml and network_yaml. The property: no crash, no hang, no sanitizer
// report, and a structured answer (an invalid document always has an error).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/config_analysis.h"
#include "model/config_merge.h"
#include "model/config_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  pharos::core::Analysis a = pharos::core::AnalyzeConfig(yaml, {});
  if (!a.syntax_ok && !a.findings.HasErrors()) std::abort();  // silent rejection
  if (a.plan) (void)pharos::plan::FormatPlanText(*a.plan);
  (void)pharos::model::ParseNodeYaml(yaml);
  (void)pharos::model::ParsePodNetworkYaml(yaml, "fuzz-pod");
  (void)pharos::model::MergeConfigYaml("vehicle:\n  socs: []\n", yaml);
  return 0;
}
