#include "auth/authenticator.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"

namespace pharos::auth {
std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
    case Role::kNone:
      break;
  }
  return "none";
}

std::optional<Role> ParseRole(std::string_view text) {
  for (Role r : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (text == RoleName(r)) return r;
  }
  return std::nullopt;
}

absl::Status Permissions::Require(Role needed, std::string_view what) const {
  if (!authentication_.ok()) return authentication_;
  if (role_ >= needed) return absl::OkStatus();
  return absl::PermissionDeniedError(StrCat(subject_, " (", RoleName(role_), ") may not call ",
                                            what, ": it needs ", RoleName(needed)));
}

absl::StatusOr<Authenticator::Sources> Authenticator::Sources::Load(const AuthOptions& options) {
  Sources out;
  Sources* a = &out;
  a->jwt_issuer_ = options.jwt_issuer;
  if (!options.tokens_file.empty()) {
    std::ifstream in(options.tokens_file);
    if (!in) return absl::NotFoundError(StrCat("cannot read --auth-tokens ", options.tokens_file));
    struct stat st {};
    if (stat(options.tokens_file.c_str(), &st) == 0 && (st.st_mode & 0077)) {
      spdlog::warn("{} is readable by group or others: chmod 600 it", options.tokens_file);
    }
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty() || line[0] == '#') continue;
      std::istringstream fields(line);
      std::string token, role, subject;
      fields >> token >> role >> subject;
      std::optional<Role> r = ParseRole(role);
      if (token.empty() || !r || subject.empty()) {
        return absl::InvalidArgumentError(
            StrCat(options.tokens_file, ":", number,
                   ": expected '<token> <viewer|operator|admin> <subject>'"));
      }
      if (token.size() < 16) {
        return absl::InvalidArgumentError(
            StrCat(options.tokens_file, ":", number, ": a token needs at least 16 characters"));
      }
      a->tokens_[token] = Principal{subject, *r};
    }
  }
  if (!options.jwt_public_key.empty()) {
    auto verifier = JwtVerifier::LoadPublicKey(options.jwt_public_key, "--auth-jwt-key");
    if (!verifier.ok()) return verifier.status();
    a->jwt_ = std::make_shared<JwtVerifier>(*std::move(verifier));
  }
  return out;
}

Authenticator::Authenticator(Sources sources, const Clock& clock)
    : sources_(std::move(sources)), clock_(clock) {}

absl::StatusOr<Authenticator::Sources::Principal> Authenticator::VerifyJwt(
    std::string_view token) const {
  auto verified = sources_.jwt_->Verify(token, clock_.Now());
  if (!verified.ok()) return verified.status();
  const nlohmann::json& claims = *verified;
  if (!sources_.jwt_issuer_.empty() && claims.value("iss", "") != sources_.jwt_issuer_) {
    return absl::UnauthenticatedError("token issuer is not accepted");
  }
  std::optional<Role> role = ParseRole(claims.value("role", ""));
  if (!role) return absl::UnauthenticatedError("token has no role claim (viewer|operator|admin)");
  return Sources::Principal{claims.value("sub", "jwt"), *role};
}

absl::StatusOr<Authenticator::Sources::Principal> Authenticator::Identify(
    const Credentials& c) const {
  if (c.malformed_authorization) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  if (c.bearer_token.empty()) {
    return absl::UnauthenticatedError("no credentials: send 'authorization: Bearer <token>'");
  }
  std::string_view token = c.bearer_token;
  std::optional<Sources::Principal> who;
  // Constant time per known token: the comparison leaks no prefix.
  for (const auto& [known, principal] : sources_.tokens_) {
    if (known.size() == token.size() &&
        CRYPTO_memcmp(known.data(), token.data(), token.size()) == 0) {
      who = principal;
    }
  }
  if (!who && sources_.jwt_ && std::count(token.begin(), token.end(), '.') == 2) {
    return VerifyJwt(token);
  }
  if (!who) return absl::UnauthenticatedError("unknown token");
  return *who;
}

Permissions Authenticator::Authenticate(const Credentials& c) const {
  if (!enabled()) {
    return Permissions(c.tls_subject.empty() ? "anonymous" : c.tls_subject, Role::kAdmin, c.peer,
                       absl::OkStatus());
  }
  absl::StatusOr<Sources::Principal> who = Identify(c);
  if (!who.ok()) return Permissions("?", Role::kNone, c.peer, who.status());
  return Permissions(who->subject, who->role, c.peer, absl::OkStatus());
}

}  // namespace pharos::auth
