// gRPC front end of pharos.api.v1.PharosService and of Pullpiri's alias
// pharos.api.v1.PharosNetworkServiceConnection. Handlers convert, call the
// use case through the caller's authorized view, convert back; no logic
// lives here.
#pragma once

#include "api/grpc/authorized_call.h"
#include "pharos/api/v1/pharos_network_service_connection.grpc.pb.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"

namespace pharos::api {

namespace v1 = ::pharos::api::v1;

class PharosServiceImpl final : public v1::PharosService::Service {
 public:
  explicit PharosServiceImpl(const AuthorizedServices& core) : core_(core) {}

  grpc::Status RequestNetworkPod(grpc::ServerContext*, const v1::RequestNetworkPodRequest*,
                                 v1::RequestNetworkPodResponse*) override;
  grpc::Status ConfigureVehicleNetwork(grpc::ServerContext*,
                                       const v1::ConfigureVehicleNetworkRequest*,
                                       v1::ConfigureVehicleNetworkResponse*) override;
  grpc::Status UpdateNetworkConfiguration(grpc::ServerContext*,
                                          const v1::UpdateNetworkConfigurationRequest*,
                                          v1::UpdateNetworkConfigurationResponse*) override;
  grpc::Status RegisterService(grpc::ServerContext*, const v1::RegisterServiceRequest*,
                               v1::RegisterServiceResponse*) override;
  grpc::Status DeregisterService(grpc::ServerContext*, const v1::DeregisterServiceRequest*,
                                 v1::DeregisterServiceResponse*) override;
  grpc::Status UpdateServiceEndpoint(grpc::ServerContext*, const v1::UpdateServiceEndpointRequest*,
                                     v1::UpdateServiceEndpointResponse*) override;
  grpc::Status ValidateConfiguration(grpc::ServerContext*, const v1::ValidateConfigurationRequest*,
                                     v1::ValidateConfigurationResponse*) override;
  grpc::Status ApplyConfiguration(grpc::ServerContext*, const v1::ApplyConfigurationRequest*,
                                  v1::ApplyConfigurationResponse*) override;
  grpc::Status RollbackConfiguration(grpc::ServerContext*, const v1::RollbackConfigurationRequest*,
                                     v1::RollbackConfigurationResponse*) override;
  grpc::Status GetNetworkStatus(grpc::ServerContext*, const v1::GetNetworkStatusRequest*,
                                v1::GetNetworkStatusResponse*) override;
  grpc::Status GetServiceConnectivity(grpc::ServerContext*,
                                      const v1::GetServiceConnectivityRequest*,
                                      v1::GetServiceConnectivityResponse*) override;
  grpc::Status GetNetworkMetrics(grpc::ServerContext*, const v1::GetNetworkMetricsRequest*,
                                 v1::GetNetworkMetricsResponse*) override;
  grpc::Status TestConnectivity(grpc::ServerContext*, const v1::TestConnectivityRequest*,
                                v1::TestConnectivityResponse*) override;
  grpc::Status GetRouteInfo(grpc::ServerContext*, const v1::GetRouteInfoRequest*,
                            v1::GetRouteInfoResponse*) override;
  grpc::Status ConfigureSecurityPolicy(grpc::ServerContext*,
                                       const v1::ConfigureSecurityPolicyRequest*,
                                       v1::ConfigureSecurityPolicyResponse*) override;
  grpc::Status ConfigureCloudFeeding(grpc::ServerContext*, const v1::ConfigureCloudFeedingRequest*,
                                     v1::ConfigureCloudFeedingResponse*) override;
  grpc::Status GetCloudFeedingStatus(grpc::ServerContext*, const v1::GetCloudFeedingStatusRequest*,
                                     v1::GetCloudFeedingStatusResponse*) override;
  grpc::Status EmergencyNetworkMode(grpc::ServerContext*, const v1::EmergencyNetworkModeRequest*,
                                    v1::EmergencyNetworkModeResponse*) override;

  // Shared by RequestNetworkPod and the Pullpiri alias.
  grpc::Status HandlePodRequest(grpc::ServerContext* ctx, const std::string& node_yaml,
                                const std::string& pod_name, const std::string& network_yaml,
                                v1::RequestNetworkPodResponse* response);

 private:
  const AuthorizedServices& core_;
};

// Pullpiri's service name, answered by the same implementation.
class PullpiriPodServiceImpl final : public v1::PharosNetworkServiceConnection::Service {
 public:
  explicit PullpiriPodServiceImpl(PharosServiceImpl& impl) : impl_(impl) {}
  grpc::Status RequestNetworkPod(grpc::ServerContext* ctx,
                                 const v1::PullpiriRequestNetworkPodRequest* request,
                                 v1::RequestNetworkPodResponse* response) override {
    return impl_.HandlePodRequest(ctx, request->node_yaml(), request->pod_name(),
                                  request->network_yamls(), response);
  }

 private:
  PharosServiceImpl& impl_;
};

}  // namespace pharos::api
