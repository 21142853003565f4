#include "broker/core/permissions.h"

#include <optional>

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker {

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kRead:
      return "read";
    case Action::kActuate:
      return "actuate";
    case Action::kProvide:
      return "provide";
    case Action::kCreate:
      return "create";
  }
  return "?";
}

Access Access::AllowAll() {
  Access a;
  a.allow_all_ = true;
  a.subject_ = "anonymous";
  return a;
}

absl::StatusOr<Access> Access::FromScopes(std::string_view scope, std::string subject) {
  Access a;
  a.subject_ = std::move(subject);
  size_t start = 0;
  while (start < scope.size()) {
    size_t end = scope.find(' ', start);
    std::string_view entry = scope.substr(start, end == std::string_view::npos ? end : end - start);
    start = end == std::string_view::npos ? scope.size() : end + 1;
    if (entry.empty()) continue;
    size_t colon = entry.find(':');
    std::string_view verb = entry.substr(0, colon);
    std::optional<Action> action;
    for (Action candidate : {Action::kRead, Action::kActuate, Action::kProvide, Action::kCreate}) {
      if (ActionName(candidate) == verb) action = candidate;
    }
    if (!action) {
      return absl::InvalidArgumentError(fmt::format(
          "scope '{}': '{}' is not one of read, actuate, provide, create", entry, verb));
    }
    Grant grant{*action, colon == std::string_view::npos, {}};
    if (!grant.everything) {
      auto glob = PathGlob::Parse(entry.substr(colon + 1));
      if (!glob.ok()) {
        return absl::InvalidArgumentError(
            fmt::format("scope '{}': {}", entry, glob.status().message()));
      }
      grant.paths = *std::move(glob);
    }
    a.grants_.push_back(std::move(grant));
  }
  return a;
}

absl::StatusOr<Access> Access::Public(std::string_view scope) {
  auto a = FromScopes(scope, "anonymous");
  if (!a.ok()) return a.status();
  a->anonymous_ = true;
  return a;
}

Access Access::Union(const Access& a, const Access& b) {
  Access u;
  u.allow_all_ = a.allow_all_ || b.allow_all_;
  u.anonymous_ = a.anonymous_ && b.anonymous_;
  u.grants_ = a.grants_;
  u.grants_.insert(u.grants_.end(), b.grants_.begin(), b.grants_.end());
  if (a.anonymous_ || a.subject_ == b.subject_) {
    u.subject_ = b.subject_;
  } else if (b.anonymous_) {
    u.subject_ = a.subject_;
  } else {
    u.subject_ = a.subject_ + "+" + b.subject_;
  }
  u.expires_at_ = a.expires_at_;
  if (b.expires_at_ && (!u.expires_at_ || *b.expires_at_ < *u.expires_at_)) {
    u.expires_at_ = b.expires_at_;
  }
  return u;
}

Access Access::ExpiringAt(std::chrono::system_clock::time_point t) const {
  Access a = *this;
  a.expires_at_ = t;
  return a;
}

bool Access::Allows(Action action, std::string_view path) const {
  if (allow_all_) return true;
  for (const Grant& g : grants_) {
    bool covers =
        g.action == action ||
        (action == Action::kRead && (g.action == Action::kActuate || g.action == Action::kProvide));
    if (covers && (g.everything || g.paths.Matches(path))) return true;
  }
  return false;
}

absl::Status Access::Require(Action action, std::string_view path) const {
  if (Allows(action, path)) return absl::OkStatus();
  if (anonymous_) {
    return absl::UnauthenticatedError(
        fmt::format("no credentials: {} of {} is not public; send 'authorization: Bearer <token>'",
                    ActionName(action), path));
  }
  return absl::PermissionDeniedError(
      fmt::format("the token of {} does not grant {} of {}", subject_, ActionName(action), path));
}

}  // namespace pharos::broker
