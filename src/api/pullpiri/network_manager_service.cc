#include "api/pullpiri/network_manager_service.h"

#include <spdlog/spdlog.h>

#include "api/grpc/grpc_status.h"
#include "common/text.h"

namespace pharos::api {
namespace {

// The answer's two fields, and the status that carries the same outcome.
template <typename Response>
grpc::Status Answer(std::string_view rpc, const std::string& network,
                    const absl::StatusOr<std::string>& outcome, Response* resp) {
  resp->set_success(outcome.ok());
  resp->set_message(outcome.ok() ? *outcome : std::string(outcome.status().message()));
  if (outcome.ok()) {
    spdlog::info("{} {}: {}", rpc, Shown(network), *outcome);
  } else {
    spdlog::warn("{} {}: refused: {}", rpc, Shown(network),
                 std::string(outcome.status().message()));
  }
  return ToGrpcStatus(outcome.status(), {resp});
}

}  // namespace

grpc::Status PullpiriNetworkManagerImpl::SetupNetwork(
    grpc::ServerContext* ctx, const pharos::api::v1::NetworkSetupRequest* req,
    pharos::api::v1::NetworkSetupResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) {
    return Answer("SetupNetwork", req->network_name(),
                  pharos.SetupNetwork(req->network_name(), req->network_mode()), resp);
  });
}

grpc::Status PullpiriNetworkManagerImpl::RemoveNetwork(
    grpc::ServerContext* ctx, const pharos::api::v1::NetworkRemoveRequest* req,
    pharos::api::v1::NetworkRemoveResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) {
    return Answer("RemoveNetwork", req->network_name(), pharos.RemoveNetwork(req->network_name()),
                  resp);
  });
}

}  // namespace pharos::api
