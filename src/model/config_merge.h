// Incremental configuration updates: merge an update document into the
// current one by name. Mappings merge key by key; lists of named items
// (socs, vms, pods, nat, cloud endpoints, rules) merge by `name`; routes by
// (from, to, table); an item with `remove: true` is deleted; any other
// value replaces the old one. The result is a complete configuration.
#pragma once

#include <string>
#include <string_view>

#include "model/findings.h"

namespace pharos::model {

struct MergeResult {
  std::string yaml;  // the merged document (valid only when ok)
  Findings findings;
  bool ok = false;
};

MergeResult MergeConfigYaml(std::string_view base_yaml, std::string_view update_yaml);

}  // namespace pharos::model
