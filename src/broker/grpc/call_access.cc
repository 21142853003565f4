#include "broker/grpc/call_access.h"

namespace pharos::broker {

absl::StatusOr<Access> CallerAccess(const grpc::ServerContext& context,
                                    const TokenAuthority& tokens) {
  if (!tokens.enabled()) return Access::AllowAll();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return tokens.Authenticate(std::nullopt);
  return tokens.Authenticate(std::string_view(it->second.data(), it->second.size()));
}

}  // namespace pharos::broker
