// Fuzzes the incremental update merge with both sides attacker-chosen:
// the input is split at the first NUL into the current document and the
// update. The property: no crash, no hang, no sanitizer report; a merge
// that succeeds yields YAML that loads again (what pharosd then parses).
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/config_merge.h"
#include "model/yaml_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = in.find('\0');
  std::string_view base = cut == std::string_view::npos ? "" : in.substr(0, cut);
  std::string_view update = cut == std::string_view::npos ? in : in.substr(cut + 1);
  // pharosd bounds both before merging (the base is a stored version).
  if (!pharos::model::CheckYamlBounds(base).ok() || !pharos::model::CheckYamlBounds(update).ok()) {
    return 0;
  }
  pharos::model::MergeResult merged = pharos::model::MergeConfigYaml(base, update);
  if (!merged.ok) {
    if (!merged.findings.HasErrors()) std::abort();  // a refusal says why
    return 0;
  }
  try {
    (void)YAML::Load(merged.yaml);
  } catch (const YAML::Exception&) {
    std::abort();  // the merge wrote YAML its own loader cannot read
  }
  return 0;
}
