// What one caller may do with which signals, decided once per call by the
// front end's authenticator (a KUKSA token's scopes, or everything when
// authorization is off) and checked by the core on every access, so no
// front end can skip it. Immutable.
#pragma once

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

  bool Allows(Action action, std::string_view path) const;
  // OK, or PERMISSION_DENIED naming the action and the path.
  absl::Status Require(Action action, std::string_view path) const;
  const std::string& subject() const { return subject_; }

 private:
  struct Grant {
    Action action;
    bool everything;
    PathGlob paths;
  };
  Access() = default;

  bool allow_all_ = false;
  std::vector<Grant> grants_;
  std::string subject_;
};

}  // namespace pharos::broker
