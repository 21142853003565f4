// gRPC front end of pharos.ctl.v1.PharosControlService (used by pharosctl).
#pragma once

#include "api/authorizer.h"
#include "core/config_controller.h"
#include "core/pod_manager.h"
#include "core/service_registry.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"
#include "store/event_store.h"
#include "store/outbox_store.h"
#include "store/security_store.h"
#include "security/policy_enforcer.h"
#include "security/tls_ingress.h"

namespace pharos::api {

// Where notifications go, for GetCallbackStatus.
struct CallbackInfo {
  std::string endpoint;
  std::string flavour;
  store::OutboxStore* outbox = nullptr;  // read-only use
};

class ControlServiceImpl final : public pharos::ctl::v1::PharosControlService::Service {
 public:
  ControlServiceImpl(core::ConfigController& controller, store::EventStore* events,
                     CallbackInfo callbacks = CallbackInfo(), core::PodManager* pods = nullptr,
                     core::ServiceRegistry* services = nullptr)
      : controller_(controller),
        events_(events),
        callbacks_(std::move(callbacks)),
        pods_(pods),
        services_(services) {}

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

  // The security controller, its event store and the audit log (optional).
  void SetSecurity(security::PolicyEnforcer* enforcer, store::SecurityEventStore* events,
                   store::AuditStore* audit) {
    security_ = enforcer;
    security_events_ = events;
    audit_ = audit;
  }

  // The TLS ingress, when pharosd runs one (GetSecurityStatus reports it).
  void SetTlsIngress(const security::TlsIngress* ingress) { ingress_ = ingress; }

  // Every call is authorized (and audited) through it when set.
  void SetAuthorizer(Authorizer* auth) { auth_ = auth; }

 private:
  Authorizer* auth_ = nullptr;
  core::ConfigController& controller_;
  store::EventStore* events_;
  CallbackInfo callbacks_;
  core::PodManager* pods_;
  core::ServiceRegistry* services_;
  security::PolicyEnforcer* security_ = nullptr;
  const security::TlsIngress* ingress_ = nullptr;
  store::SecurityEventStore* security_events_ = nullptr;
  store::AuditStore* audit_ = nullptr;
};

}  // namespace pharos::api
