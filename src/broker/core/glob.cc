#include "broker/core/glob.h"

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker {
namespace {

// Does segments[si..] match pattern[pi..]?
bool MatchFrom(const std::vector<std::string>& pattern, size_t pi,
               const std::vector<std::string_view>& segments, size_t si) {
  for (; pi < pattern.size(); ++pi, ++si) {
    if (pattern[pi] == "**") {
      for (size_t skip = si; skip <= segments.size(); ++skip) {
        if (MatchFrom(pattern, pi + 1, segments, skip)) return true;
      }
      return false;
    }
    if (si >= segments.size()) return false;
    if (pattern[pi] != "*" && pattern[pi] != segments[si]) return false;
  }
  return si == segments.size();
}

}  // namespace

std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

absl::StatusOr<PathGlob> PathGlob::Parse(std::string_view pattern) {
  if (pattern.empty()) return absl::InvalidArgumentError("the path is empty");
  if (pattern.size() > kMaxPathLength) {
    return absl::InvalidArgumentError(
        fmt::format("the path is {} bytes long; the limit is {}", pattern.size(), kMaxPathLength));
  }
  PathGlob glob;
  glob.text_ = std::string(pattern);
  for (std::string_view segment : PathSegments(pattern)) {
    if (segment.empty()) {
      return absl::InvalidArgumentError(fmt::format("'{}' has an empty path segment", pattern));
    }
    bool wildcard = segment == "*" || segment == "**";
    if (!wildcard && segment.find('*') != std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format(
          "'{}': a wildcard must be a whole segment ('*' or '**'), not '{}'", pattern, segment));
    }
    if (wildcard) glob.literal_ = false;
    glob.segments_.emplace_back(segment);
  }
  return glob;
}

bool PathGlob::Matches(std::string_view path) const {
  std::vector<std::string_view> segments = PathSegments(path);
  if (literal_) {
    // The path itself, or anything below it (the pattern names a branch).
    if (segments.size() < segments_.size()) return false;
    for (size_t i = 0; i < segments_.size(); ++i) {
      if (segments_[i] != segments[i]) return false;
    }
    return true;
  }
  return MatchFrom(segments_, 0, segments, 0);
}

}  // namespace pharos::broker
