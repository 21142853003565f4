// VSS path patterns, one rule for every place that takes one (ListMetadata
// roots, Subscribe over VISS, token scopes, persistence selections):
//   Vehicle.Speed          that signal, or — when it names a branch —
//                          everything below it
//   Vehicle.Cabin.*.Pos    `*` is exactly one path segment
//   Vehicle.Cabin.**       `**` is any number of segments, none included
// Segments are compared exactly (VSS names are case-sensitive).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pharos::broker {

// KUKSA's limit on a requested path (kuksa.val.v2 MAX_REQUEST_PATH_LENGTH).
inline constexpr size_t kMaxPathLength = 1000;

class PathGlob {
 public:
  // INVALID_ARGUMENT for "", an empty segment ("Vehicle..Speed"), a
  // segment that mixes `*` with text, or more than kMaxPathLength bytes.
  static absl::StatusOr<PathGlob> Parse(std::string_view pattern);

  bool Matches(std::string_view path) const;
  // True when the pattern names exactly one path (no wildcard).
  bool literal() const { return literal_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::string> segments_;
  bool literal_ = true;
};

// Splits "Vehicle.Cabin.Door" into its segments.
std::vector<std::string_view> PathSegments(std::string_view path);

}  // namespace pharos::broker
