// The one way a gRPC handler reaches pharosd's use cases: the call's
// credentials (bearer token, client certificate, peer) become Permissions,
// and the handler gets the authorized view for them, nothing else. A
// handler that skipped this would have no way to the core.
#pragma once

#include <grpcpp/grpcpp.h>

#include "app/pharos.h"
#include "auth/authenticator.h"

namespace pharos::api {

auth::Credentials CredentialsOf(const grpc::ServerContext& ctx);
// The caller cancelled, or its deadline has passed: work for it is wasted.
bool CallerGone(const grpc::ServerContext& ctx);

// What every gRPC service of pharosd is built on.
class AuthorizedServices {
 public:
  AuthorizedServices(app::Pharos& pharos, const auth::Authenticator& authenticator)
      : pharos_(pharos), authenticator_(authenticator) {}

  template <typename Handler>
  grpc::Status Serve(grpc::ServerContext* ctx, Handler&& handler) const {
    app::AuthorizedPharos view = pharos_.Authorized(
        authenticator_.Authenticate(CredentialsOf(*ctx)), [ctx] { return CallerGone(*ctx); });
    return handler(view);
  }

 private:
  app::Pharos& pharos_;
  const auth::Authenticator& authenticator_;
};

}  // namespace pharos::api
