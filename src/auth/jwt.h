// JSON Web Token verification (RFC 7519) against one configured public
// key: its signature, `exp` (required) and `nbf`. Which claims mean what
// is the caller's business: pharosd reads `role`, pharos-broker KUKSA's
// `aud` and `scope`. The key decides the algorithms accepted:
//   RSA       RS256, RS384, RS512
//   EC P-256  ES256        EC P-384  ES384
//   Ed25519   EdDSA
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace pharos::auth {

class JwtVerifier {
 public:
  // `flag` names the option in errors ("--jwt-public-key").
  static absl::StatusOr<JwtVerifier> LoadPublicKey(const std::string& pem_path,
                                                   std::string_view flag);

  // The claims, or UNAUTHENTICATED saying why (malformed, an algorithm the
  // key does not sign with, a bad signature, no exp, expired, not yet valid).
  absl::StatusOr<nlohmann::json> Verify(std::string_view token,
                                        std::chrono::system_clock::time_point now) const;

  // "RS256, RS384, RS512" ...: what this key accepts, for messages.
  std::string algorithms() const;

 private:
  enum class Kind { kRsa, kEcP256, kEcP384, kEd25519 };
  JwtVerifier() = default;
  std::shared_ptr<void> key_;  // EVP_PKEY
  Kind kind_ = Kind::kRsa;
};

// Signs `claims` with the PEM private key at `pem_path`: RS256 for RSA,
// ES256/ES384 for EC P-256/P-384, EdDSA for Ed25519 (pharos-broker's
// token helper, and the tests).
absl::StatusOr<std::string> SignJwt(const std::string& pem_path, const nlohmann::json& claims);

// Writes a new key pair for signing tokens: the private key (mode 0600) to
// `private_pem` and its public key to `public_pem`. `kind`: "rsa" (2048
// bits, RS256), "ec" (P-256, ES256) or "ed25519" (EdDSA).
absl::Status GenerateKeyPair(const std::string& kind, const std::string& private_pem,
                             const std::string& public_pem);

// RFC 4648 §5 without padding, both ways (tests and the token helper sign).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace pharos::auth
