// KUKSA's authorization, so tokens minted for KUKSA databroker work here
// unchanged: a JWT in "authorization: Bearer <token>", signed by the key
// of --jwt-public-key, whose `aud` contains "kuksa.val", with `exp` and a
// `scope` of read / actuate / provide / create grants (core/permissions.h).
// No key: authorization is off and every caller may do everything.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "auth/jwt.h"
#include "broker/core/permissions.h"
#include "common/clock.h"

namespace pharos::broker {

class TokenAuthority {
 public:
  static TokenAuthority Disabled(const Clock& clock);
  // `public_scope` (--public-scope, the `scope` syntax): what a caller
  // without a token may do; "" means nothing.
  static absl::StatusOr<TokenAuthority> Load(const std::string& public_key_pem, const Clock& clock,
                                             std::string_view public_scope = "");

  bool enabled() const { return verifier_ != nullptr; }
  // `authorization`: the header's value, nullopt when the call sent none.
  // No token: the public access when there is one (denials then say
  // UNAUTHENTICATED, permissions.h). A token's access includes the public
  // one and expires at its `exp`. UNAUTHENTICATED: no token and nothing
  // public, not "Bearer", a bad or expired token, or no
  // "kuksa.val" audience; INVALID_ARGUMENT never (a malformed scope is
  // UNAUTHENTICATED too: the token is not one KUKSA would take).
  absl::StatusOr<Access> Authenticate(std::optional<std::string_view> authorization) const;

 private:
  explicit TokenAuthority(const Clock& clock) : clock_(&clock) {}
  const Clock* clock_;
  std::shared_ptr<auth::JwtVerifier> verifier_;
  std::optional<Access> public_;
};

}  // namespace pharos::broker
