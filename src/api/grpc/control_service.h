// gRPC front end of pharos.ctl.v1.PharosControlService (used by pharosctl).
#pragma once

#include "api/grpc/authorized_call.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::api {

class ControlServiceImpl final : public pharos::ctl::v1::PharosControlService::Service {
 public:
  explicit ControlServiceImpl(const AuthorizedServices& core) : core_(core) {}

  grpc::Status ListConfigVersions(grpc::ServerContext*,
                                  const pharos::ctl::v1::ListConfigVersionsRequest*,
                                  pharos::ctl::v1::ListConfigVersionsResponse*) override;
  grpc::Status GetConfigVersion(grpc::ServerContext*,
                                const pharos::ctl::v1::GetConfigVersionRequest*,
                                pharos::ctl::v1::ConfigVersion*) override;
  grpc::Status GetPlan(grpc::ServerContext*, const pharos::ctl::v1::GetPlanRequest*,
                       pharos::ctl::v1::GetPlanResponse*) override;
  grpc::Status Teardown(grpc::ServerContext*, const pharos::ctl::v1::TeardownRequest*,
                        pharos::ctl::v1::TeardownResponse*) override;
  grpc::Status ListNetworkEvents(grpc::ServerContext*,
                                 const pharos::ctl::v1::ListNetworkEventsRequest*,
                                 pharos::ctl::v1::ListNetworkEventsResponse*) override;
  grpc::Status GetCallbackStatus(grpc::ServerContext*,
                                 const pharos::ctl::v1::GetCallbackStatusRequest*,
                                 pharos::ctl::v1::GetCallbackStatusResponse*) override;
  grpc::Status ListLeases(grpc::ServerContext*, const pharos::ctl::v1::ListLeasesRequest*,
                          pharos::ctl::v1::ListLeasesResponse*) override;
  grpc::Status ListServices(grpc::ServerContext*, const pharos::ctl::v1::ListServicesRequest*,
                            pharos::ctl::v1::ListServicesResponse*) override;
  grpc::Status ListSecurityEvents(grpc::ServerContext*,
                                  const pharos::ctl::v1::ListSecurityEventsRequest*,
                                  pharos::ctl::v1::ListSecurityEventsResponse*) override;
  grpc::Status GetSecurityStatus(grpc::ServerContext*,
                                 const pharos::ctl::v1::GetSecurityStatusRequest*,
                                 pharos::ctl::v1::GetSecurityStatusResponse*) override;

  grpc::Status ListAuditLog(grpc::ServerContext*, const pharos::ctl::v1::ListAuditLogRequest*,
                            pharos::ctl::v1::ListAuditLogResponse*) override;

  grpc::Status Watch(grpc::ServerContext*, const pharos::ctl::v1::WatchRequest*,
                     grpc::ServerWriter<pharos::ctl::v1::WatchEvent>*) override;
  grpc::Status GetVersion(grpc::ServerContext*, const pharos::ctl::v1::GetVersionRequest*,
                          pharos::ctl::v1::GetVersionResponse*) override;
  grpc::Status GetCloudStatus(grpc::ServerContext*, const pharos::ctl::v1::GetCloudStatusRequest*,
                              pharos::ctl::v1::GetCloudStatusResponse*) override;

 private:
  const AuthorizedServices& core_;
};

}  // namespace pharos::api
