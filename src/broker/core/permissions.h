// What one caller may do with which signals, decided once per call by the
// front end's authenticator (a KUKSA token's scopes, or everything when
// authorization is off) and checked by the core on every access, so no
// front end can skip it. Immutable.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/glob.h"

namespace pharos::broker {

enum class Action { kRead, kActuate, kProvide, kCreate };
std::string_view ActionName(Action action);  // "read", "actuate", ...

class Access {
 public:
  // Authorization is off (no --jwt-public-key): everything is allowed.
  static Access AllowAll();
  // KUKSA's `scope` claim: space-separated "read", "actuate", "provide",
  // "create", each optionally ":Path" with the PathGlob rules. actuate and
  // provide include read. INVALID_ARGUMENT names a malformed entry.
  static absl::StatusOr<Access> FromScopes(std::string_view scope, std::string subject);
  // What a caller without a token may do (--public-scope, the same syntax):
  // what it does not cover is UNAUTHENTICATED ("no credentials": send a
  // token), not PERMISSION_DENIED, because a token might allow it.
  static absl::StatusOr<Access> Public(std::string_view scope);
  // Everything `a` or `b` allows: a WebSocket channel holds the union of
  // the tokens given to it (seed 003, "WebSocket Channel Authorization").
  // It expires when the first of the two does; anonymous only if both are.
  static Access Union(const Access& a, const Access& b);
  // The token's `exp`: the union's authority may shrink then.
  Access ExpiringAt(std::chrono::system_clock::time_point t) const;

  bool Allows(Action action, std::string_view path) const;
  // OK, or PERMISSION_DENIED naming the action and the path.
  absl::Status Require(Action action, std::string_view path) const;
  const std::string& subject() const { return subject_; }
  bool anonymous() const { return anonymous_; }
  const std::optional<std::chrono::system_clock::time_point>& expires_at() const {
    return expires_at_;
  }

 private:
  struct Grant {
    Action action;
    bool everything;
    PathGlob paths;
  };
  Access() = default;

  bool allow_all_ = false;
  bool anonymous_ = false;
  std::optional<std::chrono::system_clock::time_point> expires_at_;
  std::vector<Grant> grants_;
  std::string subject_;
};

}  // namespace pharos::broker
