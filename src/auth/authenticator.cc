#include "auth/authenticator.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"

namespace pharos::auth {
namespace {

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  std::string s(in);
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4) s += '=';
  std::string out(s.size() / 4 * 3, '\0');
  int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  for (size_t i = s.size(); i > 0 && s[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// ES256 signatures are r || s (32 bytes each); OpenSSL verifies DER.
std::optional<std::string> EcdsaRawToDer(const std::string& raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

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
    FILE* f = fopen(options.jwt_public_key.c_str(), "r");
    if (!f)
      return absl::NotFoundError(StrCat("cannot read --auth-jwt-key ", options.jwt_public_key));
    EVP_PKEY* key = PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
    fclose(f);
    if (!key) {
      return absl::InvalidArgumentError(
          StrCat(options.jwt_public_key, " is not a PEM public key (RSA or EC P-256)"));
    }
    int type = EVP_PKEY_base_id(key);
    if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
      EVP_PKEY_free(key);
      return absl::InvalidArgumentError("the JWT key must be RSA (RS256) or EC P-256 (ES256)");
    }
    a->jwt_key_ = std::shared_ptr<void>(key, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
    a->jwt_ec_ = type == EVP_PKEY_EC;
  }
  return out;
}

Authenticator::Authenticator(Sources sources, const Clock& clock)
    : sources_(std::move(sources)), clock_(clock) {}

absl::StatusOr<Authenticator::Sources::Principal> Authenticator::VerifyJwt(
    std::string_view token) const {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return absl::UnauthenticatedError("malformed token");
  std::optional<std::string> header = Base64UrlDecode(token.substr(0, dot1));
  std::optional<std::string> payload = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  std::optional<std::string> signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header || !payload || !signature) return absl::UnauthenticatedError("malformed token");
  nlohmann::json h = nlohmann::json::parse(*header, nullptr, false);
  nlohmann::json claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!h.is_object() || !claims.is_object()) return absl::UnauthenticatedError("malformed token");
  std::string alg = h.value("alg", "");
  if (alg != (sources_.jwt_ec_ ? "ES256" : "RS256")) {
    return absl::UnauthenticatedError(StrCat("token algorithm '", alg, "' is not accepted"));
  }
  std::string sig = *signature;
  if (sources_.jwt_ec_) {
    std::optional<std::string> der = EcdsaRawToDer(sig);
    if (!der) return absl::UnauthenticatedError("bad token signature");
    sig = *der;
  }
  std::string_view signed_part = token.substr(0, dot2);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr,
                                 static_cast<EVP_PKEY*>(sources_.jwt_key_.get())) == 1 &&
            EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(signed_part.data()),
                             signed_part.size()) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) return absl::UnauthenticatedError("bad token signature");
  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  if (!claims.contains("exp") || !claims["exp"].is_number()) {
    return absl::UnauthenticatedError("token without expiry (exp) is not accepted");
  }
  if (claims["exp"].get<int64_t>() <= now) return absl::UnauthenticatedError("token expired");
  if (claims.contains("nbf") && claims["nbf"].is_number() && claims["nbf"].get<int64_t>() > now) {
    return absl::UnauthenticatedError("token not valid yet");
  }
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
  if (!who && sources_.jwt_key_ && std::count(token.begin(), token.end(), '.') == 2) {
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
