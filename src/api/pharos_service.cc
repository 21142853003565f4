#include "api/pharos_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "api/conversions.h"
#include "api/grpc_status.h"
#include "common/strings.h"
#include "common/text.h"

namespace pharos::api {
namespace {

constexpr char kPodLifecycle[] =
    "pod network setup (IPAM, namespace wiring, CompleteNetworkSetting callbacks) "
    "arrives with the pod-lifecycle work; configure pods through the vehicle YAML "
    "meanwhile";
constexpr char kRegistry[] = "this pharosd runs without the service registry";
constexpr char kSecurity[] = "this pharosd runs without the security controller";
constexpr char kCloud[] = "the cloud connector (feeding) has not landed yet";

void LogOutcome(std::string_view rpc, const core::ChangeOutcome& out) {
  if (out.status.ok()) {
    spdlog::info("{}: {} (affected: {})", rpc, out.message, out.affected_components.size());
  } else {
    spdlog::warn("{}: {} ({})", rpc, out.message, absl::StatusCodeToString(out.status.code()));
  }
}

}  // namespace

grpc::Status PharosServiceImpl::HandlePodRequest(const std::string& node_yaml,
                                                 const std::string& pod_name,
                                                 const std::string& network_yaml,
                                                 v1::RequestNetworkPodResponse* resp) {
  if (!pods_) return NotBuiltYet("RequestNetworkPod", kPodLifecycle);
  core::PodRequestAnswer answer = pods_->Request(node_yaml, pod_name, network_yaml);
  resp->set_accepted(answer.status.ok());
  resp->set_request_id(answer.request_id);
  resp->set_message(answer.message);
  if (answer.status.ok()) {
    spdlog::info("RequestNetworkPod {}: {} ({})", pod_name, answer.message, answer.request_id);
  } else {
    spdlog::warn("RequestNetworkPod {}: refused: {}", pod_name, answer.message);
  }
  return ToGrpcStatus(answer.status, {resp});
}

grpc::Status PharosServiceImpl::RequestNetworkPod(grpc::ServerContext* ctx,
                                                  const v1::RequestNetworkPodRequest* req,
                                                  v1::RequestNetworkPodResponse* resp) {
  return Guarded(auth_, ctx, "RequestNetworkPod", [&]() -> grpc::Status {
    return HandlePodRequest(req->node_yaml(), req->pod_name(), req->network_yaml(), resp);
  });
}

grpc::Status PharosServiceImpl::ConfigureVehicleNetwork(
    grpc::ServerContext* ctx, const v1::ConfigureVehicleNetworkRequest* req,
    v1::ConfigureVehicleNetworkResponse* resp) {
  return Guarded(auth_, ctx, "ConfigureVehicleNetwork", [&]() -> grpc::Status {
    core::ChangeOutcome out = controller_.Apply(req->vehicle_yaml(), "configure", req->dry_run());
    LogOutcome("ConfigureVehicleNetwork", out);
    resp->set_success(out.status.ok());
    resp->set_message(out.message);
    AddIssues(out.findings, resp->mutable_validation_issues());
    return ToGrpcStatus(out.status, {resp});
  });
}

grpc::Status PharosServiceImpl::UpdateNetworkConfiguration(
    grpc::ServerContext* ctx, const v1::UpdateNetworkConfigurationRequest* req,
    v1::UpdateNetworkConfigurationResponse* resp) {
  return Guarded(auth_, ctx, "UpdateNetworkConfiguration", [&]() -> grpc::Status {
    core::ChangeOutcome out = controller_.Update(req->update_yaml(), req->incremental());
    LogOutcome("UpdateNetworkConfiguration", out);
    resp->set_success(out.status.ok());
    resp->set_message(out.message);
    for (const auto& c : out.affected_components) resp->add_affected_components(c);
    v1::ValidateConfigurationResponse issues;
    issues.set_valid(!out.findings.HasErrors());
    AddIssues(out.findings, issues.mutable_issues());
    return ToGrpcStatus(out.status, {resp, &issues});
  });
}

grpc::Status PharosServiceImpl::ValidateConfiguration(grpc::ServerContext* ctx,
                                                      const v1::ValidateConfigurationRequest* req,
                                                      v1::ValidateConfigurationResponse* resp) {
  return Guarded(auth_, ctx, "ValidateConfiguration", [&]() -> grpc::Status {
    core::Analysis a = controller_.Validate(req->config_yaml());
    resp->set_valid(a.valid());
    AddIssues(a.findings, resp->mutable_issues());
    if (!a.syntax_ok) {
      // Not YAML at all: the caller sent a bad argument (Velocitas table).
      std::string first = a.findings.items().empty() ? "" : a.findings.items()[0].description;
      return ToGrpcStatus(absl::InvalidArgumentError(StrCat("config_yaml: ", first)), {resp});
    }
    return grpc::Status::OK;
  });
}

grpc::Status PharosServiceImpl::ApplyConfiguration(grpc::ServerContext* ctx,
                                                   const v1::ApplyConfigurationRequest* req,
                                                   v1::ApplyConfigurationResponse* resp) {
  return Guarded(auth_, ctx, "ApplyConfiguration", [&]() -> grpc::Status {
    core::ChangeOutcome out = controller_.Apply(req->config_yaml(), "apply", req->validate_only());
    LogOutcome("ApplyConfiguration", out);
    resp->set_success(out.status.ok());
    resp->set_message(out.message);
    if (out.version_id) resp->set_config_version(StrCat(*out.version_id));
    v1::ValidateConfigurationResponse issues;
    issues.set_valid(!out.findings.HasErrors());
    AddIssues(out.findings, issues.mutable_issues());
    return ToGrpcStatus(out.status, {resp, &issues});
  });
}

grpc::Status PharosServiceImpl::RollbackConfiguration(grpc::ServerContext* ctx,
                                                      const v1::RollbackConfigurationRequest* req,
                                                      v1::RollbackConfigurationResponse* resp) {
  return Guarded(auth_, ctx, "RollbackConfiguration", [&]() -> grpc::Status {
    core::ChangeOutcome out = controller_.Rollback(req->target_version());
    LogOutcome("RollbackConfiguration", out);
    resp->set_success(out.status.ok());
    resp->set_message(out.message);
    if (out.version_id) resp->set_current_version(StrCat(*out.version_id));
    return ToGrpcStatus(out.status, {resp});
  });
}

grpc::Status PharosServiceImpl::GetNetworkStatus(grpc::ServerContext* ctx,
                                                 const v1::GetNetworkStatusRequest* req,
                                                 v1::GetNetworkStatusResponse* resp) {
  return Guarded(auth_, ctx, "GetNetworkStatus", [&]() -> grpc::Status {
    absl::StatusOr<std::vector<core::ComponentStatus>> status =
        controller_.Status(req->component_filter());
    if (!status.ok()) return ToGrpcStatus(status.status());
    for (const auto& c : *status) ToProto(c, resp->add_components());
    // Registered services, as components of type "service" (status: their
    // health; connected to the component they run on).
    if (services_) {
      absl::StatusOr<std::vector<core::ServiceView>> views = services_->List();
      if (!views.ok()) return ToGrpcStatus(views.status());
      const std::string& filter = req->component_filter();
      for (const auto& v : *views) {
        const store::ServiceRecord& r = v.record;
        if (!filter.empty() && filter != "service" && filter != r.name && filter != r.id &&
            !GlobMatch(filter, r.name)) {
          continue;
        }
        core::ComponentStatus c{r.name, "service", r.status, r.host, {}, ""};
        if (!r.location.empty()) c.connected_to.push_back(r.location);
        c.detail = StrCat(r.protocol, " ", r.host, ":", r.port, " (", r.id, ", ", r.source, ")");
        ToProto(c, resp->add_components());
      }
    }
    return grpc::Status::OK;
  });
}

grpc::Status PharosServiceImpl::RegisterService(grpc::ServerContext* ctx,
                                                const v1::RegisterServiceRequest* req,
                                                v1::RegisterServiceResponse* resp) {
  return Guarded(auth_, ctx, "RegisterService", [&]() -> grpc::Status {
    if (!services_) return NotBuiltYet("RegisterService", kRegistry);
    std::map<std::string, std::string> metadata(req->metadata().begin(), req->metadata().end());
    absl::StatusOr<std::string> id =
        services_->Register(req->service_name(), req->host(), req->port(), req->protocol(), metadata);
    resp->set_success(id.ok());
    if (id.ok()) resp->set_service_id(*id);
    return ToGrpcStatus(id.status());
  });
}
grpc::Status PharosServiceImpl::DeregisterService(grpc::ServerContext* ctx,
                                                  const v1::DeregisterServiceRequest* req,
                                                  v1::DeregisterServiceResponse* resp) {
  return Guarded(auth_, ctx, "DeregisterService", [&]() -> grpc::Status {
    if (!services_) return NotBuiltYet("DeregisterService", kRegistry);
    absl::Status s = services_->Deregister(req->service_id());
    resp->set_success(s.ok());
    return ToGrpcStatus(s);
  });
}
grpc::Status PharosServiceImpl::UpdateServiceEndpoint(grpc::ServerContext* ctx,
                                                      const v1::UpdateServiceEndpointRequest* req,
                                                      v1::UpdateServiceEndpointResponse* resp) {
  return Guarded(auth_, ctx, "UpdateServiceEndpoint", [&]() -> grpc::Status {
    if (!services_) return NotBuiltYet("UpdateServiceEndpoint", kRegistry);
    absl::Status s = services_->UpdateEndpoint(req->service_id(), req->host(), req->port());
    resp->set_success(s.ok());
    return ToGrpcStatus(s);
  });
}
grpc::Status PharosServiceImpl::GetServiceConnectivity(grpc::ServerContext* ctx,
                                                       const v1::GetServiceConnectivityRequest* req,
                                                       v1::GetServiceConnectivityResponse* resp) {
  return Guarded(auth_, ctx, "GetServiceConnectivity", [&]() -> grpc::Status {
    absl::StatusOr<core::RouteAnswer> route =
        diagnostics_.RouteInfo(req->source_service(), req->target_service());
    if (!route.ok()) return ToGrpcStatus(route.status());
    for (const auto& hop : route->hop_components) resp->add_hops(hop);
    resp->set_route_description(route->description);
    if (!route->routable) return grpc::Status::OK;
    // Routable in every FIB on the way; now a real packet decides.
    absl::StatusOr<core::ConnectivityAnswer> probe =
        diagnostics_.TestConnectivity({req->source_service(), req->target_service(), "icmp", 0, 0});
    if (!probe.ok()) return ToGrpcStatus(probe.status());
    resp->set_connected(probe->success);
    resp->set_latency_ms(static_cast<int32_t>(std::lround(probe->latency_ms)));
    resp->set_route_description(StrCat(route->description, "; ", probe->detail));
    return grpc::Status::OK;
  });
}

grpc::Status PharosServiceImpl::GetNetworkMetrics(grpc::ServerContext* ctx,
                                                  const v1::GetNetworkMetricsRequest* req,
                                                  v1::GetNetworkMetricsResponse* resp) {
  return Guarded(auth_, ctx, "GetNetworkMetrics", [&]() -> grpc::Status {
    absl::StatusOr<std::vector<core::ComponentMetrics>> metrics =
        diagnostics_.Metrics(req->component_id(), req->duration_seconds());
    if (!metrics.ok()) return ToGrpcStatus(metrics.status());
    auto clamp32 = [](uint64_t v) { return static_cast<int32_t>(std::min<uint64_t>(v, INT32_MAX)); };
    for (const auto& m : *metrics) {
      auto* out = resp->add_metrics();
      out->set_component_id(m.component);
      out->set_bytes_in(static_cast<int64_t>(m.bytes_in));
      out->set_bytes_out(static_cast<int64_t>(m.bytes_out));
      out->set_packets_in(clamp32(m.packets_in));
      out->set_packets_out(clamp32(m.packets_out));
      out->set_errors_in(clamp32(m.errors_in));
      out->set_errors_out(clamp32(m.errors_out));
      out->set_bandwidth_usage_mbps(static_cast<float>(m.bandwidth_mbps));
    }
    return grpc::Status::OK;
  });
}

grpc::Status PharosServiceImpl::TestConnectivity(grpc::ServerContext* ctx,
                                                 const v1::TestConnectivityRequest* req,
                                                 v1::TestConnectivityResponse* resp) {
  return Guarded(auth_, ctx, "TestConnectivity", [&]() -> grpc::Status {
    absl::StatusOr<core::ConnectivityAnswer> answer = diagnostics_.TestConnectivity(
        {req->source(), req->destination(), req->protocol(), req->port(), req->timeout_ms()});
    if (!answer.ok()) return ToGrpcStatus(answer.status());
    resp->set_success(answer->success);
    resp->set_latency_ms(static_cast<int32_t>(std::lround(answer->latency_ms)));
    resp->set_detailed_result(answer->policy.empty()
                                  ? answer->detail
                                  : StrCat(answer->detail, "; policy: ", answer->policy));
    return grpc::Status::OK;
  });
}

grpc::Status PharosServiceImpl::GetRouteInfo(grpc::ServerContext* ctx,
                                             const v1::GetRouteInfoRequest* req,
                                             v1::GetRouteInfoResponse* resp) {
  return Guarded(auth_, ctx, "GetRouteInfo", [&]() -> grpc::Status {
    absl::StatusOr<core::RouteAnswer> route =
        diagnostics_.RouteInfo(req->source(), req->destination());
    if (!route.ok()) return ToGrpcStatus(route.status());
    resp->set_routable(route->routable);
    for (const auto& hop : route->hops) resp->add_route_hops(hop);
    for (const auto& rule : route->policy_rules) resp->add_policy_rules(rule);
    return grpc::Status::OK;
  });
}
grpc::Status PharosServiceImpl::ConfigureSecurityPolicy(
    grpc::ServerContext* ctx, const v1::ConfigureSecurityPolicyRequest* req,
    v1::ConfigureSecurityPolicyResponse* resp) {
  return Guarded(auth_, ctx, "ConfigureSecurityPolicy", [&]() -> grpc::Status {
    if (!security_) return NotBuiltYet("ConfigureSecurityPolicy", kSecurity);
    model::Topology reference = controller_.CurrentTopology();
    security::PolicyChange out = security_->Configure(
        req->security_policy_yaml(), reference.nodes.empty() ? nullptr : &reference);
    resp->set_success(out.status.ok());
    std::string message = out.message;
    // The response has no issue list: the findings go into the message (and,
    // on failure, into the status details as a ValidateConfigurationResponse).
    for (const auto& f : out.findings.items()) {
      StrAppend(&message, "\n", model::SeverityName(f.severity), " ", f.path, ": ", f.description);
    }
    resp->set_message(message);
    if (out.status.ok()) {
      spdlog::info("ConfigureSecurityPolicy: {}", out.message);
    } else {
      spdlog::warn("ConfigureSecurityPolicy: {}", out.message);
    }
    v1::ValidateConfigurationResponse issues;
    issues.set_valid(!out.findings.HasErrors());
    AddIssues(out.findings, issues.mutable_issues());
    return ToGrpcStatus(out.status, {resp, &issues});
  });
}

grpc::Status PharosServiceImpl::ConfigureCloudFeeding(grpc::ServerContext* ctx,
                                                      const v1::ConfigureCloudFeedingRequest*,
                                                      v1::ConfigureCloudFeedingResponse*) {
  return Guarded(auth_, ctx, "ConfigureCloudFeeding", [&]() -> grpc::Status {
    return NotBuiltYet("ConfigureCloudFeeding", kCloud);
  });
}
grpc::Status PharosServiceImpl::GetCloudFeedingStatus(grpc::ServerContext* ctx,
                                                      const v1::GetCloudFeedingStatusRequest*,
                                                      v1::GetCloudFeedingStatusResponse*) {
  return Guarded(auth_, ctx, "GetCloudFeedingStatus", [&]() -> grpc::Status {
    return NotBuiltYet("GetCloudFeedingStatus", kCloud);
  });
}
grpc::Status PharosServiceImpl::EmergencyNetworkMode(grpc::ServerContext* ctx,
                                                     const v1::EmergencyNetworkModeRequest* req,
                                                     v1::EmergencyNetworkModeResponse* resp) {
  return Guarded(auth_, ctx, "EmergencyNetworkMode", [&]() -> grpc::Status {
    if (!security_) return NotBuiltYet("EmergencyNetworkMode", kSecurity);
    absl::StatusOr<std::string> active = security_->SetEmergency(req->activate(), req->mode());
    resp->set_success(active.ok());
    resp->set_active_mode(active.ok() ? *active : security_->ActiveMode());
    if (active.ok()) {
      resp->set_message(active->empty() ? "emergency mode off: the configured policy is enforced"
                                        : StrCat("emergency mode '", *active, "' is active"));
      spdlog::warn("EmergencyNetworkMode: {}", resp->message());
    } else {
      resp->set_message(std::string(active.status().message()));
    }
    return ToGrpcStatus(active.status(), {resp});
  });
}

}  // namespace pharos::api
