#include "api/control_service.h"

#include "common/strings.h"
#include "api/conversions.h"
#include "api/grpc_status.h"

namespace pharos::api {

namespace ctl = ::pharos::ctl::v1;

grpc::Status ControlServiceImpl::ListConfigVersions(grpc::ServerContext*,
                                                    const ctl::ListConfigVersionsRequest*,
                                                    ctl::ListConfigVersionsResponse* resp) {
  absl::StatusOr<std::vector<store::ConfigVersion>> versions = controller_.Versions();
  if (!versions.ok()) return ToGrpcStatus(versions.status());
  for (const auto& v : *versions) ToProto(v, v.status == "active", resp->add_versions());
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::GetConfigVersion(grpc::ServerContext*,
                                                  const ctl::GetConfigVersionRequest* req,
                                                  ctl::ConfigVersion* resp) {
  absl::StatusOr<store::ConfigVersion> v = controller_.Version(req->id());
  if (!v.ok()) return ToGrpcStatus(v.status());
  ToProto(*v, v->status == "active", resp);
  return grpc::Status::OK;
}

grpc::Status ControlServiceImpl::GetPlan(grpc::ServerContext*, const ctl::GetPlanRequest* req,
                                         ctl::GetPlanResponse* resp) {
  absl::StatusOr<store::ConfigVersion> v = controller_.Version(req->version_id());
  if (!v.ok()) return ToGrpcStatus(v.status());
  absl::StatusOr<plan::Plan> p = controller_.PlanOf(StrCat(v->id));
  if (!p.ok()) return ToGrpcStatus(p.status());
  resp->set_version_id(StrCat(v->id));
  resp->set_plan_text(plan::FormatPlanText(*p));
  resp->set_plan_json(plan::FormatPlanJson(*p));
  return grpc::Status::OK;
}

}  // namespace pharos::api
