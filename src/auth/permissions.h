// What a caller may do, decided once per call by the transport that
// carried it (gRPC today; HTTP, WebSocket or MQTT in the other processes)
// and then carried, immutable, to the use cases. A Permissions value is
// only made by an Authenticator: no front end can make up one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace pharos::auth {

// Ordered: each role may do what the ones below it may.
//   viewer    read (status, routes, metrics, versions, events, ...)
//   operator  viewer + pods, services, connectivity tests
//   admin     operator + configuration, policy, emergency modes, teardown
enum class Role { kNone = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view text);

class Permissions {
 public:
  const std::string& subject() const { return subject_; }
  Role role() const { return role_; }
  const std::string& peer() const { return peer_; }
  // OK, or UNAUTHENTICATED with why (no token, a bad signature, ...).
  const absl::Status& authentication() const { return authentication_; }
  bool authenticated() const { return authentication_.ok(); }
  // OK when the caller holds `needed`; UNAUTHENTICATED or
  // PERMISSION_DENIED (naming `what` and the role it needs) otherwise.
  absl::Status Require(Role needed, std::string_view what) const;

 private:
  friend class Authenticator;
  Permissions(std::string subject, Role role, std::string peer, absl::Status authentication)
      : subject_(std::move(subject)),
        role_(role),
        peer_(std::move(peer)),
        authentication_(std::move(authentication)) {}

  std::string subject_;
  Role role_ = Role::kNone;
  std::string peer_;
  absl::Status authentication_;
};

}  // namespace pharos::auth
