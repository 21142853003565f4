// gRPC front end of pharos.api.v1.PharosNetworkManager, the service
// Eclipse Pullpiri's resource manager (resourcemanager branch) calls to set
// up and remove networks by name. Errors are gRPC statuses with the
// message; the answer (success = false, the same message) rides in the
// status details, as every refusal of pharosd does.
#pragma once

#include "api/grpc/authorized_call.h"
#include "pharos/api/v1/pharos_network_manager.grpc.pb.h"

namespace pharos::api {

class PullpiriNetworkManagerImpl final : public pharos::api::v1::PharosNetworkManager::Service {
 public:
  explicit PullpiriNetworkManagerImpl(const AuthorizedServices& core) : core_(core) {}

  grpc::Status SetupNetwork(grpc::ServerContext*, const pharos::api::v1::NetworkSetupRequest*,
                            pharos::api::v1::NetworkSetupResponse*) override;
  grpc::Status RemoveNetwork(grpc::ServerContext*, const pharos::api::v1::NetworkRemoveRequest*,
                             pharos::api::v1::NetworkRemoveResponse*) override;

 private:
  const AuthorizedServices& core_;
};

}  // namespace pharos::api
