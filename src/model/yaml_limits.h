// Bounds on a YAML document before it is loaded: yaml-cpp expands every
// alias into a copy of its anchor's tree, so 1.8 KB of `*a` references
// nested three deep become a million pods ("alias bomb"). The document is
// first streamed through a counter that builds nothing, and refused as
// soon as its expansion exceeds the limit.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace pharos::model {

// Nodes (scalars, sequences, maps) of a document with every alias
// expanded. A 2,048-pod vehicle with a 1,000-rule policy has ~40,000.
inline constexpr int64_t kMaxYamlNodes = 500000;

// InvalidArgument when `text`'s expansion exceeds `max_nodes`. A text
// that is not YAML passes: the loader reports its syntax error.
absl::Status CheckYamlExpansion(std::string_view text, int64_t max_nodes = kMaxYamlNodes);

}  // namespace pharos::model
