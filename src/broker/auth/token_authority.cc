#include "broker/auth/token_authority.h"

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker {

TokenAuthority TokenAuthority::Disabled(const Clock& clock) { return TokenAuthority(clock); }

absl::StatusOr<TokenAuthority> TokenAuthority::Load(const std::string& public_key_pem,
                                                    const Clock& clock,
                                                    std::string_view public_scope) {
  auto verifier = auth::JwtVerifier::LoadPublicKey(public_key_pem, "--jwt-public-key");
  if (!verifier.ok()) return verifier.status();
  TokenAuthority authority(clock);
  authority.verifier_ = std::make_shared<auth::JwtVerifier>(*std::move(verifier));
  if (!public_scope.empty()) {
    auto open = Access::Public(public_scope);
    if (!open.ok()) {
      return absl::InvalidArgumentError(fmt::format("--public-scope: {}", open.status().message()));
    }
    authority.public_ = *std::move(open);
  }
  return authority;
}

absl::StatusOr<Access> TokenAuthority::Authenticate(
    std::optional<std::string_view> authorization) const {
  if (!verifier_) return Access::AllowAll();
  if (!authorization) {
    if (public_) return *public_;
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
  Access granted = *access;
  if (c.contains("exp") && c["exp"].is_number()) {
    granted = granted.ExpiringAt(
        std::chrono::system_clock::time_point(std::chrono::seconds(c["exp"].get<int64_t>())));
  }
  return public_ ? Access::Union(*public_, granted) : granted;
}

}  // namespace pharos::broker
