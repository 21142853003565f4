#include "api/grpc/pharos_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "api/grpc/cloud_conversions.h"
#include "api/grpc/conversions.h"
#include "api/grpc/grpc_status.h"
#include "api/pullpiri/launch_request.h"
#include "common/strings.h"
#include "common/text.h"

namespace pharos::api {
namespace {

void LogOutcome(std::string_view rpc, const core::ChangeOutcome& out) {
  if (out.status.ok()) {
    spdlog::info("{}: {} (affected: {})", rpc, out.message, out.affected_components.size());
  } else {
    spdlog::warn("{}: {} ({})", rpc, out.message, absl::StatusCodeToString(out.status.code()));
  }
}

}  // namespace

grpc::Status PharosServiceImpl::HandlePodRequest(grpc::ServerContext* ctx,
                                                 const std::string& node_yaml,
                                                 const std::string& pod_name,
                                                 const std::string& network_yaml,
                                                 v1::RequestNetworkPodResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    core::PodRequestAnswer answer = pharos.RequestNetworkPod([&] {
      // Pullpiri's Network artifact names a network; Pharos's pod block
      // gives one (docs/pullpiri.md). Both services take both.
      return pullpiri::IsNetworkArtifact(network_yaml)
                 ? pullpiri::ReadLaunch(node_yaml, pod_name, network_yaml)
                 : core::ReadPodRequestText(node_yaml, pod_name, network_yaml);
    });
    resp->set_accepted(answer.status.ok());
    resp->set_request_id(answer.request_id);
    resp->set_message(answer.message);
    if (answer.status.ok()) {
      spdlog::info("RequestNetworkPod {}: {} ({})", Shown(pod_name), answer.message,
                   answer.request_id);
    } else {
      spdlog::warn("RequestNetworkPod {}: refused: {}", Shown(pod_name), answer.message);
    }
    return ToGrpcStatus(answer.status, {resp});
  });
}

grpc::Status PharosServiceImpl::RequestNetworkPod(grpc::ServerContext* ctx,
                                                  const v1::RequestNetworkPodRequest* req,
                                                  v1::RequestNetworkPodResponse* resp) {
  return HandlePodRequest(ctx, req->node_yaml(), req->pod_name(), req->network_yaml(), resp);
}

grpc::Status PharosServiceImpl::ConfigureVehicleNetwork(
    grpc::ServerContext* ctx, const v1::ConfigureVehicleNetworkRequest* req,
    v1::ConfigureVehicleNetworkResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    core::ChangeOutcome out = pharos.ConfigureVehicleNetwork(req->vehicle_yaml(), req->dry_run());
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    core::ChangeOutcome out = pharos.UpdateNetworkConfiguration(req->update_yaml(), req->incremental());
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<core::Analysis> analysis = pharos.ValidateConfiguration(req->config_yaml());
    if (!analysis.ok()) return ToGrpcStatus(analysis.status());
    const core::Analysis& a = *analysis;
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    core::ChangeOutcome out = pharos.ApplyConfiguration(req->config_yaml(), req->validate_only());
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    core::ChangeOutcome out = pharos.RollbackConfiguration(req->target_version());
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<std::vector<core::ComponentStatus>> status =
        pharos.GetNetworkStatus(req->component_filter());
    if (!status.ok()) return ToGrpcStatus(status.status());
    for (const auto& c : *status) ToProto(c, resp->add_components());
    return grpc::Status::OK;
  });
}

grpc::Status PharosServiceImpl::RegisterService(grpc::ServerContext* ctx,
                                                const v1::RegisterServiceRequest* req,
                                                v1::RegisterServiceResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    std::map<std::string, std::string> metadata(req->metadata().begin(), req->metadata().end());
    absl::StatusOr<std::string> id = pharos.RegisterService(req->service_name(), req->host(),
                                                            req->port(), req->protocol(), metadata);
    resp->set_success(id.ok());
    if (id.ok()) resp->set_service_id(*id);
    return ToGrpcStatus(id.status());
  });
}
grpc::Status PharosServiceImpl::DeregisterService(grpc::ServerContext* ctx,
                                                  const v1::DeregisterServiceRequest* req,
                                                  v1::DeregisterServiceResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::Status s = pharos.DeregisterService(req->service_id());
    resp->set_success(s.ok());
    return ToGrpcStatus(s);
  });
}
grpc::Status PharosServiceImpl::UpdateServiceEndpoint(grpc::ServerContext* ctx,
                                                      const v1::UpdateServiceEndpointRequest* req,
                                                      v1::UpdateServiceEndpointResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::Status s = pharos.UpdateServiceEndpoint(req->service_id(), req->host(), req->port());
    resp->set_success(s.ok());
    return ToGrpcStatus(s);
  });
}
grpc::Status PharosServiceImpl::GetServiceConnectivity(grpc::ServerContext* ctx,
                                                       const v1::GetServiceConnectivityRequest* req,
                                                       v1::GetServiceConnectivityResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<app::ServiceConnectivity> answer =
        pharos.GetServiceConnectivity(req->source_service(), req->target_service());
    if (!answer.ok()) return ToGrpcStatus(answer.status());
    const core::RouteAnswer& route = answer->route;
    for (const auto& hop : route.hop_components) resp->add_hops(hop);
    resp->set_route_description(route.description);
    if (answer->probe) {
      resp->set_connected(answer->probe->success);
      resp->set_latency_ms(static_cast<int32_t>(std::lround(answer->probe->latency_ms)));
      resp->set_route_description(StrCat(route.description, "; ", answer->probe->detail));
    }
    return grpc::Status::OK;
  });
}

grpc::Status PharosServiceImpl::GetNetworkMetrics(grpc::ServerContext* ctx,
                                                  const v1::GetNetworkMetricsRequest* req,
                                                  v1::GetNetworkMetricsResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<std::vector<core::ComponentMetrics>> metrics =
        pharos.GetNetworkMetrics(req->component_id(), req->duration_seconds());
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<core::ConnectivityAnswer> answer = pharos.TestConnectivity(
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<core::RouteAnswer> route = pharos.GetRouteInfo(req->source(), req->destination());
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    security::PolicyChange out = pharos.ConfigureSecurityPolicy(req->security_policy_yaml());
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
                                                      const v1::ConfigureCloudFeedingRequest* req,
                                                      v1::ConfigureCloudFeedingResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::Status s = pharos.ConfigureCloudFeeding(FeedConfigOf(*req));
    resp->set_success(s.ok());
    return ToGrpcStatus(s);
  });
}
grpc::Status PharosServiceImpl::GetCloudFeedingStatus(grpc::ServerContext* ctx,
                                                      const v1::GetCloudFeedingStatusRequest*,
                                                      v1::GetCloudFeedingStatusResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<cloud::FeedStatus> s = pharos.GetCloudFeedingStatus();
    if (!s.ok()) return ToGrpcStatus(s.status());
    ToProto(*s, resp);
    return grpc::Status::OK;
  });
}
grpc::Status PharosServiceImpl::EmergencyNetworkMode(grpc::ServerContext* ctx,
                                                     const v1::EmergencyNetworkModeRequest* req,
                                                     v1::EmergencyNetworkModeResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    app::EmergencyOutcome out = pharos.EmergencyNetworkMode(req->activate(), req->mode());
    resp->set_success(out.status.ok());
    resp->set_active_mode(out.active_mode);
    if (out.status.ok()) {
      resp->set_message(out.active_mode.empty()
                            ? "emergency mode off: the configured policy is enforced"
                            : StrCat("emergency mode '", out.active_mode, "' is active"));
      spdlog::warn("EmergencyNetworkMode: {}", resp->message());
    } else {
      resp->set_message(std::string(out.status.message()));
    }
    return ToGrpcStatus(out.status, {resp});
  });
}

}  // namespace pharos::api
