// Bounds on every YAML document pharosd reads, checked before it is
// loaded (docs/configuration.md, "Limits"). yaml-cpp expands every alias
// into a copy of its anchor's tree, so 1.8 KB of `*a` references nested
// three deep become a million pods ("alias bomb"); a deeply nested
// document recurses the loader; a tag asks for a type Pharos never
// builds. The document is first streamed through a checker that builds
// nothing and stops at the first bound it crosses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace pharos::model {

// Nodes (scalars, sequences, maps) of a document with every alias
// expanded. A 2,048-pod vehicle with a 1,000-rule policy has ~40,000.
inline constexpr int64_t kMaxYamlNodes = 500000;
// Collections inside collections. The seed vehicle nests 9 deep.
inline constexpr int kMaxYamlDepth = 64;
// A whole configuration or policy document. The seed vehicle is 3 KB; a
// 2,048-pod vehicle ~400 KB. Below gRPC's 4 MiB message limit, so a
// refusal is a clear INVALID_ARGUMENT, not a transport error.
inline constexpr size_t kMaxConfigBytes = 2 * 1024 * 1024;

struct YamlBounds {
  size_t max_bytes = kMaxConfigBytes;
  int64_t max_nodes = kMaxYamlNodes;
  int max_depth = kMaxYamlDepth;
};

// InvalidArgument naming the bound (and the line, where there is one)
// when `text` crosses one of `bounds` or carries an explicit YAML tag
// (`!!python/object:…`, `!!binary`): tags are refused, not ignored. A text
// that is not YAML passes: the loader reports its syntax error.
absl::Status CheckYamlBounds(std::string_view text, const YamlBounds& bounds = {});

}  // namespace pharos::model
