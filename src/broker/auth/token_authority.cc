#include "broker/auth/token_authority.h"

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker {

TokenAuthority TokenAuthority::Disabled(const Clock& clock) { return TokenAuthority(clock); }

absl::StatusOr<TokenAuthority> TokenAuthority::Load(const std::string& public_key_pem,
                                                    const Clock& clock) {
  auto verifier = auth::JwtVerifier::LoadPublicKey(public_key_pem, "--jwt-public-key");
  if (!verifier.ok()) return verifier.status();
  TokenAuthority authority(clock);
  authority.verifier_ = std::make_shared<auth::JwtVerifier>(*std::move(verifier));
  return authority;
}

absl::StatusOr<Access> TokenAuthority::Authenticate(
    std::optional<std::string_view> authorization) const {
  if (!verifier_) return Access::AllowAll();
  if (!authorization) {
    return absl::UnauthenticatedError("no credentials: send 'authorization: Bearer <token>'");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization->substr(0, kBearer.size()) != kBearer) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  auto claims = verifier_->Verify(authorization->substr(kBearer.size()), clock_->Now());
  if (!claims.ok()) return claims.status();
  const nlohmann::json& c = *claims;
  bool audience = false;
  if (c.contains("aud")) {
    if (c["aud"].is_string()) audience = c["aud"] == "kuksa.val";
    if (c["aud"].is_array()) {
      for (const auto& a : c["aud"]) audience = audience || a == "kuksa.val";
    }
  }
  if (!audience) return absl::UnauthenticatedError("the token's audience (aud) lacks kuksa.val");
  std::string scope =
      c.contains("scope") && c["scope"].is_string() ? c["scope"].get<std::string>() : "";
  std::string subject =
      c.contains("sub") && c["sub"].is_string() ? c["sub"].get<std::string>() : "jwt";
  auto access = Access::FromScopes(scope, subject);
  if (!access.ok()) {
    return absl::UnauthenticatedError(
        fmt::format("the token's scope: {}", access.status().message()));
  }
  return access;
}

}  // namespace pharos::broker
