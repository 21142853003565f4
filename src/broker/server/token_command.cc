#include "broker/server/token_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "auth/jwt.h"
#include "broker/core/permissions.h"

namespace pharos::broker {

void TokenCommand::AddTo(CLI::App& token) {
  token.add_option("--new-key", new_key_dir,
                   "write a new key pair to DIR/jwt.key (private, 0600) and DIR/jwt.key.pub "
                   "(give that to --jwt-public-key)");
  token
      .add_option("--kind", key_kind, "with --new-key: rsa (RS256), ec (ES256) or ed25519 (EdDSA)")
      ->capture_default_str();
  token.add_option("--key", key, "the private key (PEM) that signs the token");
  token
      .add_option("--scope", scope,
                  "KUKSA scopes: read, actuate, provide, create, each optionally :Path (globs)")
      ->capture_default_str();
  token.add_option("--subject", subject, "the token's sub claim")->capture_default_str();
  token.add_option("--valid-for", valid_seconds, "seconds until it expires")->capture_default_str();
}

int TokenCommand::Run() const {
  if (!new_key_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(new_key_dir, ec);
    std::string priv = new_key_dir + "/jwt.key";
    absl::Status s = auth::GenerateKeyPair(key_kind, priv, priv + ".pub");
    if (!s.ok()) {
      fprintf(stderr, "pharos-broker token: %s\n", std::string(s.message()).c_str());
      return absl::IsInvalidArgument(s) ? 2 : 1;
    }
    printf("private key: %s\npublic key:  %s.pub (pharos-broker --jwt-public-key)\n", priv.c_str(),
           priv.c_str());
    if (key.empty()) return 0;
  }
  if (key.empty()) {
    fprintf(stderr, "pharos-broker token: give --key PRIVATE.pem (or --new-key DIR)\n");
    return 2;
  }
  if (auto access = Access::FromScopes(scope, subject); !access.ok()) {
    fprintf(stderr, "pharos-broker token: --scope: %s\n",
            std::string(access.status().message()).c_str());
    return 2;
  }
  if (valid_seconds <= 0) {
    fprintf(stderr, "pharos-broker token: --valid-for must be positive\n");
    return 2;
  }
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  nlohmann::json claims = {{"sub", subject}, {"iss", "pharos-broker token"}, {"aud", {"kuksa.val"}},
                           {"iat", now},     {"exp", now + valid_seconds},   {"scope", scope}};
  auto token = auth::SignJwt(key, claims);
  if (!token.ok()) {
    fprintf(stderr, "pharos-broker token: %s\n", std::string(token.status().message()).c_str());
    return absl::IsNotFound(token.status()) || absl::IsInvalidArgument(token.status()) ? 2 : 1;
  }
  printf("%s\n", token->c_str());
  return 0;
}

}  // namespace pharos::broker
