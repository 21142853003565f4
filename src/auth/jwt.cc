#include "auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "common/strings.h"

namespace pharos::auth {
namespace {

// ES256/ES384 signatures are r || s; OpenSSL verifies DER.
std::optional<std::string> EcdsaRawToDer(const std::string& raw, size_t half) {
  if (raw.size() != 2 * half) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, static_cast<int>(half), nullptr),
                 BN_bin2bn(bytes + half, static_cast<int>(half), nullptr));
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// DER ECDSA signature -> r || s, each `half` bytes.
std::optional<std::string> EcdsaDerToRaw(const std::string& der, size_t half) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return std::nullopt;
  std::string out(2 * half, '\0');
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  bool ok =
      BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(half)) > 0 &&
      BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + half, static_cast<int>(half)) >
          0;
  ECDSA_SIG_free(sig);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

absl::Status GenerateKeyPair(const std::string& kind, const std::string& private_pem,
                             const std::string& public_pem) {
  EVP_PKEY* key = nullptr;
  if (kind == "rsa") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  } else if (kind == "ec") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (kind == "ed25519") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    return absl::InvalidArgumentError(StrCat("key kind '", kind, "' is not rsa, ec or ed25519"));
  }
  if (!key) return absl::InternalError("generating the key failed");
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> owned(key, EVP_PKEY_free);
  mode_t old = umask(077);
  FILE* priv = fopen(private_pem.c_str(), "w");
  umask(old);
  if (!priv) return absl::PermissionDeniedError(StrCat("cannot write ", private_pem));
  bool ok = PEM_write_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  fclose(priv);
  FILE* pub = fopen(public_pem.c_str(), "w");
  if (!pub) return absl::PermissionDeniedError(StrCat("cannot write ", public_pem));
  ok = ok && PEM_write_PUBKEY(pub, key) == 1;
  fclose(pub);
  if (!ok) return absl::InternalError("writing the key pair failed");
  return absl::OkStatus();
}

absl::StatusOr<std::string> SignJwt(const std::string& pem_path, const nlohmann::json& claims) {
  FILE* f = fopen(pem_path.c_str(), "r");
  if (!f) return absl::NotFoundError(StrCat("cannot read the private key ", pem_path));
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  fclose(f);
  if (!key) return absl::InvalidArgumentError(StrCat(pem_path, " is not a PEM private key"));
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> owned(key, EVP_PKEY_free);
  std::string alg;
  const EVP_MD* md = nullptr;
  size_t ec_half = 0;
  switch (EVP_PKEY_base_id(key)) {
    case EVP_PKEY_RSA:
      alg = "RS256";
      md = EVP_sha256();
      break;
    case EVP_PKEY_ED25519:
      alg = "EdDSA";
      break;
    case EVP_PKEY_EC:
      if (EVP_PKEY_bits(key) == 256) {
        alg = "ES256", md = EVP_sha256(), ec_half = 32;
      } else if (EVP_PKEY_bits(key) == 384) {
        alg = "ES384", md = EVP_sha384(), ec_half = 48;
      } else {
        return absl::InvalidArgumentError("an EC key must be P-256 or P-384");
      }
      break;
    default:
      return absl::InvalidArgumentError("the key must be RSA, EC or Ed25519");
  }
  nlohmann::json header = {{"alg", alg}, {"typ", "JWT"}};
  std::string signing = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok =
      EVP_DigestSignInit(ctx, nullptr, md, nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signing.data()),
                     signing.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok =
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(signing.data()), signing.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return absl::InternalError("signing the token failed");
  if (ec_half) {
    auto raw = EcdsaDerToRaw(sig, ec_half);
    if (!raw) return absl::InternalError("signing the token failed");
    sig = *raw;
  }
  return signing + "." + Base64UrlEncode(sig);
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  std::string s(in);
  for (char& c : s) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;
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

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

absl::StatusOr<JwtVerifier> JwtVerifier::LoadPublicKey(const std::string& pem_path,
                                                       std::string_view flag) {
  FILE* f = fopen(pem_path.c_str(), "r");
  if (!f) return absl::NotFoundError(StrCat("cannot read ", flag, " ", pem_path));
  EVP_PKEY* key = PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
  fclose(f);
  if (!key) {
    return absl::InvalidArgumentError(
        StrCat(flag, " ", pem_path, " is not a PEM public key (RSA, EC P-256/P-384 or Ed25519)"));
  }
  JwtVerifier v;
  v.key_ = std::shared_ptr<void>(key, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
  switch (EVP_PKEY_base_id(key)) {
    case EVP_PKEY_RSA:
      v.kind_ = Kind::kRsa;
      break;
    case EVP_PKEY_ED25519:
      v.kind_ = Kind::kEd25519;
      break;
    case EVP_PKEY_EC: {
      int bits = EVP_PKEY_bits(key);
      if (bits == 256)
        v.kind_ = Kind::kEcP256;
      else if (bits == 384)
        v.kind_ = Kind::kEcP384;
      else
        return absl::InvalidArgumentError(StrCat(flag, ": an EC key must be P-256 or P-384"));
      break;
    }
    default:
      return absl::InvalidArgumentError(
          StrCat(flag, ": the key must be RSA, EC P-256/P-384 or Ed25519"));
  }
  return v;
}

std::string JwtVerifier::algorithms() const {
  switch (kind_) {
    case Kind::kRsa:
      return "RS256, RS384, RS512";
    case Kind::kEcP256:
      return "ES256";
    case Kind::kEcP384:
      return "ES384";
    case Kind::kEd25519:
      return "EdDSA";
  }
  return "";
}

absl::StatusOr<nlohmann::json> JwtVerifier::Verify(
    std::string_view token, std::chrono::system_clock::time_point now) const {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return absl::UnauthenticatedError("malformed token");
  }
  std::optional<std::string> header = Base64UrlDecode(token.substr(0, dot1));
  std::optional<std::string> payload = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  std::optional<std::string> signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header || !payload || !signature) return absl::UnauthenticatedError("malformed token");
  nlohmann::json h = nlohmann::json::parse(*header, nullptr, false);
  nlohmann::json claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!h.is_object() || !claims.is_object() || !h.contains("alg") || !h["alg"].is_string()) {
    return absl::UnauthenticatedError("malformed token");
  }
  std::string alg = h["alg"].get<std::string>();
  const EVP_MD* md = nullptr;
  std::string sig = *signature;
  bool accepted = false;
  switch (kind_) {
    case Kind::kRsa:
      if (alg == "RS256") md = EVP_sha256();
      if (alg == "RS384") md = EVP_sha384();
      if (alg == "RS512") md = EVP_sha512();
      accepted = md != nullptr;
      break;
    case Kind::kEcP256:
    case Kind::kEcP384: {
      bool p256 = kind_ == Kind::kEcP256;
      accepted = alg == (p256 ? "ES256" : "ES384");
      md = p256 ? EVP_sha256() : EVP_sha384();
      if (accepted) {
        std::optional<std::string> der = EcdsaRawToDer(sig, p256 ? 32 : 48);
        if (!der) return absl::UnauthenticatedError("bad token signature");
        sig = *der;
      }
      break;
    }
    case Kind::kEd25519:
      accepted = alg == "EdDSA";
      break;
  }
  if (!accepted) {
    return absl::UnauthenticatedError(
        StrCat("token algorithm '", alg, "' is not accepted (the key signs ", algorithms(), ")"));
  }
  std::string_view signed_part = token.substr(0, dot2);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, static_cast<EVP_PKEY*>(key_.get())) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return absl::UnauthenticatedError("bad token signature");
  int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (!claims.contains("exp") || !claims["exp"].is_number()) {
    return absl::UnauthenticatedError("token without expiry (exp) is not accepted");
  }
  if (claims["exp"].get<int64_t>() <= seconds) return absl::UnauthenticatedError("token expired");
  if (claims.contains("nbf") && claims["nbf"].is_number() &&
      claims["nbf"].get<int64_t>() > seconds) {
    return absl::UnauthenticatedError("token not valid yet");
  }
  return claims;
}

}  // namespace pharos::auth
