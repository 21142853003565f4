// The caller's Access for one gRPC call, from its "authorization"
// metadata, shared by the broker's gRPC front ends.
#pragma once

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "broker/auth/token_authority.h"

namespace pharos::broker {

absl::StatusOr<Access> CallerAccess(const grpc::ServerContext& context,
                                    const TokenAuthority& tokens);

// What GetServerInfo answers.
struct ServerInfo {
  std::string name = "pharos-broker";
  std::string version;
  std::string commit_hash;
};

}  // namespace pharos::broker
