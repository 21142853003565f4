// Who may call what on pharosd's gRPC API. A caller presents a bearer
// token (`authorization: Bearer <token>`): a static token from a file, or
// a JWT signed with a configured public key (RS256 or ES256). Its role
// decides the methods it may call:
//   viewer    read RPCs (status, routes, metrics, versions, events, ...)
//   operator  viewer + pods, services, connectivity tests
//   admin     operator + configuration, policy, emergency modes, teardown
// Every call of an operator or admin method, and every refused call, is
// written to the audit log (store and log line): who, what, when, from
// where, result. Without any
// token source configured, authorization is off (every caller is admin,
// recorded as "anonymous"): fine on loopback, refused elsewhere without TLS.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "store/security_store.h"

namespace pharos::api {

enum class Role { kNone = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view text);
// The least role a method needs ("ApplyConfiguration" -> admin); unknown
// methods need admin.
Role RequiredRole(std::string_view method);

struct Principal {
  std::string subject;
  Role role = Role::kNone;
};

struct AuthOptions {
  std::string tokens_file;     // lines "<token> <role> <subject>"
  std::string jwt_public_key;  // PEM file (RSA or EC P-256)
  std::string jwt_issuer;      // when set, the `iss` claim must equal it
};

class Authorizer {
 public:
  // Loads the token sources; `audit` may be null (log only).
  static absl::StatusOr<std::unique_ptr<Authorizer>> Create(const AuthOptions& options,
                                                            store::AuditStore* audit,
                                                            const Clock& clock);
  ~Authorizer();
  bool enabled() const { return !tokens_.empty() || jwt_key_ != nullptr; }

  // Authenticates the caller of `method`; OK with the principal, or
  // UNAUTHENTICATED / PERMISSION_DENIED.
  absl::StatusOr<Principal> Authorize(const grpc::ServerContext& ctx, std::string_view method);
  // Records a call of an operator/admin method, or a refused call.
  void Audit(const grpc::ServerContext& ctx, const Principal& who, std::string_view method,
             const grpc::Status& result);

  // The one entry of every handler: authorize, run, audit.
  template <typename Handler>
  grpc::Status Run(grpc::ServerContext* ctx, std::string_view method, Handler&& handler) {
    absl::StatusOr<Principal> who = Authorize(*ctx, method);
    if (!who.ok()) {
      grpc::Status refused = Refusal(who.status());
      Audit(*ctx, {"?", Role::kNone}, method, refused);
      return refused;
    }
    grpc::Status result = handler();
    if (RequiredRole(method) >= Role::kOperator) Audit(*ctx, *who, method, result);
    return result;
  }

 private:
  Authorizer(store::AuditStore* audit, const Clock& clock) : audit_(audit), clock_(clock) {}
  static grpc::Status Refusal(const absl::Status& s);
  absl::StatusOr<Principal> VerifyJwt(std::string_view token) const;

  store::AuditStore* audit_;
  const Clock& clock_;
  std::map<std::string, Principal> tokens_;
  void* jwt_key_ = nullptr;  // EVP_PKEY*
  bool jwt_ec_ = false;
  std::string jwt_issuer_;
  std::mutex audit_mu_;
};

// For handlers: `auth` null (services built without one, in unit tests)
// runs the handler as is.
template <typename Handler>
grpc::Status Guarded(Authorizer* auth, grpc::ServerContext* ctx, std::string_view method,
                     Handler&& handler) {
  return auth ? auth->Run(ctx, method, std::forward<Handler>(handler)) : handler();
}

}  // namespace pharos::api
