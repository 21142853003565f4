// Turns the credentials a transport saw into Permissions. A caller presents
// a bearer token: a static token from a file, or a JWT signed with a
// configured public key (auth/jwt.h) with a `role` claim. Without any
// token source, authentication is off: every caller is admin, recorded as
// "anonymous" (fine on loopback; pharosd refuses to listen elsewhere
// without TLS). Knows no transport: the same code serves pharosd's gRPC
// and, with their own role tables, the broker's and diagnostics' front
// ends.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "auth/jwt.h"
#include "auth/permissions.h"
#include "common/clock.h"

namespace pharos::auth {

// What a transport extracted from one call.
struct Credentials {
  std::string bearer_token;              // "" when none was sent
  bool malformed_authorization = false;  // an authorization header that is not "Bearer <token>"
  std::string tls_subject;  // the client certificate's identity (mutual TLS), "" without
  std::string peer;         // the transport's peer address, for the audit log
};

struct AuthOptions {
  std::string tokens_file;     // lines "<token> <role> <subject>"
  std::string jwt_public_key;  // PEM file (RSA or EC P-256)
  std::string jwt_issuer;      // when set, the `iss` claim must equal it
};

class Authenticator {
 public:
  // The token sources, loaded from files (an error names the file and line).
  class Sources {
   public:
    static absl::StatusOr<Sources> Load(const AuthOptions& options);
    Sources() = default;
    bool empty() const { return tokens_.empty() && !jwt_; }

   private:
    friend class Authenticator;
    struct Principal {
      std::string subject;
      Role role = Role::kNone;
    };
    std::map<std::string, Principal> tokens_;
    std::shared_ptr<JwtVerifier> jwt_;
    std::string jwt_issuer_;
  };

  Authenticator(Sources sources, const Clock& clock);
  bool enabled() const { return !sources_.empty(); }

  // Never fails: a caller whose credentials do not hold gets Permissions
  // with role none and why (Permissions::authentication()).
  Permissions Authenticate(const Credentials& credentials) const;

 private:
  absl::StatusOr<Sources::Principal> VerifyJwt(std::string_view token) const;
  absl::StatusOr<Sources::Principal> Identify(const Credentials& credentials) const;

  Sources sources_;
  const Clock& clock_;
};

}  // namespace pharos::auth
