#include "api/control_service.h"

#include "api/conversions.h"
#include "api/grpc_status.h"
#include "common/strings.h"

namespace pharos::api {

namespace ctl = ::pharos::ctl::v1;

grpc::Status ControlServiceImpl::ListConfigVersions(grpc::ServerContext* ctx,
                                                    const ctl::ListConfigVersionsRequest*,
                                                    ctl::ListConfigVersionsResponse* resp) {
  return Guarded(auth_, ctx, "ListConfigVersions", [&]() -> grpc::Status {
    absl::StatusOr<std::vector<store::ConfigVersion>> versions = controller_.Versions();
    if (!versions.ok()) return ToGrpcStatus(versions.status());
    for (const auto& v : *versions) ToProto(v, v.status == "active", resp->add_versions());
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::GetConfigVersion(grpc::ServerContext* ctx,
                                                  const ctl::GetConfigVersionRequest* req,
                                                  ctl::ConfigVersion* resp) {
  return Guarded(auth_, ctx, "GetConfigVersion", [&]() -> grpc::Status {
    absl::StatusOr<store::ConfigVersion> v = controller_.Version(req->id());
    if (!v.ok()) return ToGrpcStatus(v.status());
    ToProto(*v, v->status == "active", resp);
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::GetPlan(grpc::ServerContext* ctx, const ctl::GetPlanRequest* req,
                                         ctl::GetPlanResponse* resp) {
  return Guarded(auth_, ctx, "GetPlan", [&]() -> grpc::Status {
    absl::StatusOr<store::ConfigVersion> v = controller_.Version(req->version_id());
    if (!v.ok()) return ToGrpcStatus(v.status());
    absl::StatusOr<plan::Plan> p = controller_.PlanOf(StrCat(v->id));
    if (!p.ok()) return ToGrpcStatus(p.status());
    resp->set_version_id(StrCat(v->id));
    resp->set_plan_text(plan::FormatPlanText(*p));
    resp->set_plan_json(plan::FormatPlanJson(*p));
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::Teardown(grpc::ServerContext* ctx, const ctl::TeardownRequest*,
                                          ctl::TeardownResponse* resp) {
  return Guarded(auth_, ctx, "Teardown", [&]() -> grpc::Status {
    core::ChangeOutcome out = controller_.Teardown();
    resp->set_message(out.message);
    for (const auto& c : out.affected_components) resp->add_affected_components(c);
    return ToGrpcStatus(out.status);
  });
}

grpc::Status ControlServiceImpl::ListNetworkEvents(grpc::ServerContext* ctx,
                                                   const ctl::ListNetworkEventsRequest* req,
                                                   ctl::ListNetworkEventsResponse* resp) {
  return Guarded(auth_, ctx, "ListNetworkEvents", [&]() -> grpc::Status {
    if (!events_) return ToGrpcStatus(absl::UnavailableError("no event store configured"));
    if (req->limit() < 0 || req->limit() > 1000) {
      return ToGrpcStatus(absl::InvalidArgumentError("limit must be between 0 and 1000"));
    }
    absl::StatusOr<std::vector<store::NetworkEvent>> events =
        events_->List(req->after_id(), req->limit() == 0 ? 100 : req->limit());
    if (!events.ok()) return ToGrpcStatus(events.status());
    for (const auto& e : *events) {
      auto* out = resp->add_events();
      out->set_id(e.id);
      out->set_occurred_at(e.occurred_at);
      out->set_component(e.component);
      out->set_kind(e.kind);
      out->set_detail(e.detail);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::GetCallbackStatus(grpc::ServerContext* ctx,
                                                   const ctl::GetCallbackStatusRequest*,
                                                   ctl::GetCallbackStatusResponse* resp) {
  return Guarded(auth_, ctx, "GetCallbackStatus", [&]() -> grpc::Status {
    resp->set_endpoint(callbacks_.endpoint);
    resp->set_flavour(callbacks_.flavour);
    if (!callbacks_.outbox) return grpc::Status::OK;
    absl::StatusOr<int64_t> pending = callbacks_.outbox->PendingCount();
    absl::StatusOr<int64_t> dropped = callbacks_.outbox->DroppedCount();
    absl::StatusOr<std::vector<store::OutboxEntry>> oldest = callbacks_.outbox->Pending(1);
    if (!pending.ok()) return ToGrpcStatus(pending.status());
    if (!dropped.ok()) return ToGrpcStatus(dropped.status());
    if (!oldest.ok()) return ToGrpcStatus(oldest.status());
    resp->set_pending(*pending);
    resp->set_dropped(*dropped);
    if (!oldest->empty()) {
      resp->set_oldest_pending_at(oldest->front().created_at);
      resp->set_oldest_attempts(oldest->front().attempts);
      resp->set_last_error(oldest->front().last_error);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::ListLeases(grpc::ServerContext* ctx, const ctl::ListLeasesRequest*,
                                            ctl::ListLeasesResponse* resp) {
  return Guarded(auth_, ctx, "ListLeases", [&]() -> grpc::Status {
    if (!pods_) return ToGrpcStatus(absl::UnavailableError("no pod manager in this pharosd"));
    absl::StatusOr<std::vector<core::PodLease>> leases = pods_->Leases();
    if (!leases.ok()) return ToGrpcStatus(leases.status());
    for (const auto& l : *leases) {
      auto* out = resp->add_leases();
      out->set_pod(l.pod);
      out->set_vm(l.vm);
      out->set_subnet(l.subnet);
      out->set_ip(l.ip);
      out->set_state(l.state);
      out->set_container_id(l.container_id);
      out->set_netns(l.netns);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::ListServices(grpc::ServerContext* ctx,
                                              const pharos::ctl::v1::ListServicesRequest* req,
                                              pharos::ctl::v1::ListServicesResponse* resp) {
  return Guarded(auth_, ctx, "ListServices", [&]() -> grpc::Status {
    if (!services_) return NotBuiltYet("ListServices", "this pharosd runs without the registry");
    core::ServiceFilter filter{req->protocol(),
                               req->namespace_(),
                               req->status(),
                               {req->metadata().begin(), req->metadata().end()}};
    absl::StatusOr<std::vector<core::ServiceView>> services = services_->List(filter);
    if (!services.ok()) return ToGrpcStatus(services.status());
    for (const auto& v : *services) {
      const store::ServiceRecord& r = v.record;
      auto* out = resp->add_services();
      out->set_service_id(r.id);
      out->set_name(r.name);
      out->set_protocol(r.protocol);
      out->set_host(r.host);
      out->set_port(r.port);
      out->mutable_metadata()->insert(r.metadata.begin(), r.metadata.end());
      out->set_location(r.location);
      out->set_namespace_(v.k8s_namespace);
      out->set_source(r.source);
      out->set_status(r.status);
      out->set_updated_at(r.updated_at);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::ListSecurityEvents(grpc::ServerContext* ctx,
                                                    const ctl::ListSecurityEventsRequest* req,
                                                    ctl::ListSecurityEventsResponse* resp) {
  return Guarded(auth_, ctx, "ListSecurityEvents", [&]() -> grpc::Status {
    if (!security_events_) {
      return NotBuiltYet("ListSecurityEvents", "this pharosd runs without the security controller");
    }
    if (req->limit() < 0 || req->limit() > 1000) {
      return ToGrpcStatus(absl::InvalidArgumentError("limit must be between 0 and 1000"));
    }
    absl::StatusOr<std::vector<store::SecurityEventRow>> rows =
        security_events_->List(req->after_id(), req->limit() == 0 ? 100 : req->limit());
    if (!rows.ok()) return ToGrpcStatus(rows.status());
    for (const auto& r : *rows) {
      auto* out = resp->add_events();
      out->set_id(r.id);
      out->set_occurred_at(r.occurred_at);
      out->set_severity(r.severity);
      out->set_event_type(r.event_type);
      out->set_source(r.source);
      out->set_destination(r.destination);
      out->set_rule(r.rule);
      out->set_packets(r.packets);
      out->set_details(r.details);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::GetSecurityStatus(grpc::ServerContext* ctx,
                                                   const ctl::GetSecurityStatusRequest*,
                                                   ctl::GetSecurityStatusResponse* resp) {
  return Guarded(auth_, ctx, "GetSecurityStatus", [&]() -> grpc::Status {
    if (!security_) {
      return NotBuiltYet("GetSecurityStatus", "this pharosd runs without the security controller");
    }
    security::PolicyEnforcer::View v = security_->Current();
    resp->set_policy_source(v.source);
    resp->set_active_mode(std::string(security::ModeName(v.policy.mode)));
    resp->set_enforced(v.policy.enforced);
    resp->set_rules(static_cast<int32_t>(v.policy.rules.size()));
    resp->set_default_action(std::string(security::ActionName(v.policy.default_action)));
    for (const auto& r : v.policy.rules) resp->add_rule_names(r.name);
    for (const auto& [netns, why] : v.not_enforced) {
      resp->add_not_enforced(StrCat(netns.empty() ? "this namespace" : netns, ": ", why));
    }
    if (ingress_) {
      ctl::TlsIngressStatus* t = resp->mutable_tls_ingress();
      t->set_enabled(true);
      if (std::optional<security::IngressPlacement> at = ingress_->placement()) {
        t->set_listening(StrCat(at->address.ToString(), ":", ingress_->port(), " in ",
                                at->netns.empty() ? "this namespace" : at->netns));
      }
      security::IngressStats st = ingress_->stats();
      t->set_accepted(st.accepted);
      t->set_forwarded(st.forwarded);
      t->set_refused(st.refused);
      t->set_unrouted(st.unrouted);
      t->set_active(st.active);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::ListAuditLog(grpc::ServerContext* ctx,
                                              const ctl::ListAuditLogRequest* req,
                                              ctl::ListAuditLogResponse* resp) {
  return Guarded(auth_, ctx, "ListAuditLog", [&]() -> grpc::Status {
    if (!audit_) return NotBuiltYet("ListAuditLog", "this pharosd keeps no audit log");
    if (req->limit() < 0 || req->limit() > 1000) {
      return ToGrpcStatus(absl::InvalidArgumentError("limit must be between 0 and 1000"));
    }
    absl::StatusOr<std::vector<store::AuditRow>> rows =
        audit_->List(req->after_id(), req->limit() == 0 ? 100 : req->limit());
    if (!rows.ok()) return ToGrpcStatus(rows.status());
    for (const auto& r : *rows) {
      auto* e = resp->add_entries();
      e->set_id(r.id);
      e->set_at(r.at);
      e->set_principal(r.principal);
      e->set_role(r.role);
      e->set_method(r.method);
      e->set_peer(r.peer);
      e->set_result(r.result);
    }
    return grpc::Status::OK;
  });
}

}  // namespace pharos::api
