#include "api/grpc/authorized_call.h"

namespace pharos::api {

auth::Credentials CredentialsOf(const grpc::ServerContext& ctx) {
  auth::Credentials c;
  c.peer = ctx.peer();
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) {
    std::string_view value(it->second.data(), it->second.size());
    if (value.substr(0, 7) == "Bearer " && value.size() > 7) {
      c.bearer_token = std::string(value.substr(7));
    } else {
      c.malformed_authorization = true;
    }
  }
  if (std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
      auth && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> identity = auth->GetPeerIdentity();
    if (!identity.empty()) c.tls_subject.assign(identity.front().data(), identity.front().size());
  }
  return c;
}

bool CallerGone(const grpc::ServerContext& ctx) {
  return ctx.IsCancelled() || ctx.deadline() <= std::chrono::system_clock::now();
}

}  // namespace pharos::api
