#include "api/grpc/control_service.h"

#include "api/grpc/cloud_conversions.h"
#include "api/grpc/conversions.h"
#include "api/grpc/grpc_status.h"
#include "common/strings.h"

namespace pharos::api {

namespace ctl = ::pharos::ctl::v1;

grpc::Status ControlServiceImpl::ListConfigVersions(grpc::ServerContext* ctx,
                                                    const ctl::ListConfigVersionsRequest*,
                                                    ctl::ListConfigVersionsResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<std::vector<store::ConfigVersion>> versions = pharos.ListConfigVersions();
    if (!versions.ok()) return ToGrpcStatus(versions.status());
    for (const auto& v : *versions) ToProto(v, v.status == "active", resp->add_versions());
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::GetConfigVersion(grpc::ServerContext* ctx,
                                                  const ctl::GetConfigVersionRequest* req,
                                                  ctl::ConfigVersion* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<store::ConfigVersion> v = pharos.GetConfigVersion(req->id());
    if (!v.ok()) return ToGrpcStatus(v.status());
    ToProto(*v, v->status == "active", resp);
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::GetPlan(grpc::ServerContext* ctx, const ctl::GetPlanRequest* req,
                                         ctl::GetPlanResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<app::VersionPlan> p = pharos.GetPlan(req->version_id());
    if (!p.ok()) return ToGrpcStatus(p.status());
    resp->set_version_id(StrCat(p->version_id));
    resp->set_plan_text(plan::FormatPlanText(p->plan));
    resp->set_plan_json(plan::FormatPlanJson(p->plan));
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::Teardown(grpc::ServerContext* ctx, const ctl::TeardownRequest*,
                                          ctl::TeardownResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    core::ChangeOutcome out = pharos.Teardown();
    resp->set_message(out.message);
    for (const auto& c : out.affected_components) resp->add_affected_components(c);
    return ToGrpcStatus(out.status);
  });
}

grpc::Status ControlServiceImpl::ListNetworkEvents(grpc::ServerContext* ctx,
                                                   const ctl::ListNetworkEventsRequest* req,
                                                   ctl::ListNetworkEventsResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<std::vector<store::NetworkEvent>> events =
        pharos.ListNetworkEvents(req->after_id(), req->limit());
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<app::CallbackStatus> status = pharos.GetCallbackStatus();
    if (!status.ok()) return ToGrpcStatus(status.status());
    resp->set_endpoint(status->endpoint);
    resp->set_flavour(status->flavour);
    resp->set_pending(status->pending);
    resp->set_dropped(status->dropped);
    if (status->oldest) {
      resp->set_oldest_pending_at(status->oldest->created_at);
      resp->set_oldest_attempts(status->oldest->attempts);
      resp->set_last_error(status->oldest->last_error);
    }
    resp->set_dead_lettered(status->dead_lettered);
    for (const auto& e : status->dead_letters) {
      ctl::DeadLetter* d = resp->add_dead_letters();
      d->set_id(e.id);
      d->set_kind(e.kind);
      d->set_component(e.component);
      d->set_created_at(e.created_at);
      d->set_dead_at(e.dead_at);
      d->set_attempts(e.attempts);
      d->set_last_error(e.last_error);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::ListLeases(grpc::ServerContext* ctx, const ctl::ListLeasesRequest*,
                                            ctl::ListLeasesResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<std::vector<core::PodLease>> leases = pharos.ListLeases();
    if (!leases.ok()) return ToGrpcStatus(leases.status());
    for (const auto& l : *leases) {
      auto* out = resp->add_leases();
      out->set_pod(l.pod);
      out->set_vm(l.vm);
      out->set_subnet(l.subnet);
      out->set_ip(l.ip);
      out->set_state(std::string(store::PodStateName(l.state)));
      out->set_container_id(l.container_id);
      out->set_netns(l.netns);
      out->set_origin(l.origin);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::ListServices(grpc::ServerContext* ctx,
                                              const pharos::ctl::v1::ListServicesRequest* req,
                                              pharos::ctl::v1::ListServicesResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    core::ServiceFilter filter{req->protocol(),
                               req->namespace_(),
                               req->status(),
                               {req->metadata().begin(), req->metadata().end()}};
    absl::StatusOr<std::vector<core::ServiceView>> services = pharos.ListServices(filter);
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<std::vector<store::SecurityEventRow>> rows =
        pharos.ListSecurityEvents(req->after_id(), req->limit());
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<app::SecurityStatus> status = pharos.GetSecurityStatus();
    if (!status.ok()) return ToGrpcStatus(status.status());
    const security::PolicyEnforcer::View& v = status->view;
    resp->set_policy_source(v.source);
    resp->set_active_mode(std::string(security::ModeName(v.policy.mode)));
    resp->set_enforced(v.policy.enforced);
    resp->set_rules(static_cast<int32_t>(v.policy.rules.size()));
    resp->set_default_action(std::string(security::ActionName(v.policy.default_action)));
    for (const auto& r : v.policy.rules) {
      resp->add_rule_names(r.name);
      ctl::PolicyRuleView* d = resp->add_rule_details();
      d->set_name(r.name);
      d->set_action(std::string(security::ActionName(r.action)));
      d->set_from(r.from.any() ? "any" : r.from.Key());
      d->set_to(r.to.any() ? "any" : r.to.Key());
      std::string ports = security::PortsText(r.ports);
      d->set_ports(ports.empty() ? "any" : ports);
      d->set_protocol(std::string(security::ProtocolName(r.protocol)));
      d->set_safety_critical(r.safety_critical);
    }
    for (const auto& [netns, why] : v.not_enforced) {
      resp->add_not_enforced(StrCat(netns.empty() ? "this namespace" : netns, ": ", why));
    }
    if (status->ingress_enabled) {
      ctl::TlsIngressStatus* t = resp->mutable_tls_ingress();
      t->set_enabled(true);
      if (const std::optional<security::IngressPlacement>& at = status->ingress_at) {
        t->set_listening(StrCat(at->address.ToString(), ":", status->ingress_port, " in ",
                                at->netns.empty() ? "this namespace" : at->netns));
      }
      const security::IngressStats& st = status->ingress_stats;
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
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<std::vector<store::AuditRow>> rows =
        pharos.ListAuditLog(req->after_id(), req->limit());
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

namespace {

ctl::WatchEvent ToProto(const store::JournalEntry& e) {
  ctl::WatchEvent out;
  out.set_resume_token(app::ResumeToken(e.id));
  out.set_kind(e.kind);
  out.set_at(e.at);
  out.set_subject(e.subject);
  out.set_previous(e.previous);
  out.set_current(e.current);
  out.set_severity(e.severity);
  out.set_detail(e.detail);
  return out;
}

}  // namespace

grpc::Status ControlServiceImpl::Watch(grpc::ServerContext* ctx, const ctl::WatchRequest* req,
                                       grpc::ServerWriter<ctl::WatchEvent>* writer) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<app::WatchCursor> cursor =
        pharos.Watch(req->resume_token(), {req->kinds().begin(), req->kinds().end()},
                     req->from_oldest());
    if (!cursor.ok()) return ToGrpcStatus(cursor.status());
    ctl::WatchEvent start;
    start.set_kind("watching");
    start.set_resume_token(cursor->token());
    if (!writer->Write(start)) return grpc::Status::OK;
    // Wakes at least every second to notice a client that went away.
    while (!ctx->IsCancelled()) {
      absl::StatusOr<app::WatchFeed::Batch> batch = cursor->Next(std::chrono::seconds(1));
      if (!batch.ok()) return ToGrpcStatus(batch.status());
      if (batch->closed) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "pharosd is stopping: watch again with the last resume_token");
      }
      if (batch->missed > 0) {
        ctl::WatchEvent gap;
        gap.set_kind("gap");
        gap.set_missed(batch->missed);
        gap.set_detail("the journal's retention dropped entries since the resume token");
        if (!writer->Write(gap)) return grpc::Status::OK;
      }
      for (const store::JournalEntry& e : batch->entries) {
        if (!writer->Write(ToProto(e))) return grpc::Status::OK;
      }
    }
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::GetVersion(grpc::ServerContext* ctx,
                                            const ctl::GetVersionRequest*,
                                            ctl::GetVersionResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<app::ServerVersion> v = pharos.GetVersion();
    if (!v.ok()) return ToGrpcStatus(v.status());
    resp->set_version(v->version);
    resp->set_dataplane(v->dataplane);
    resp->set_started_at(v->started_at);
    return grpc::Status::OK;
  });
}

grpc::Status ControlServiceImpl::GetCloudStatus(grpc::ServerContext* ctx,
                                                const ctl::GetCloudStatusRequest*,
                                                ctl::GetCloudStatusResponse* resp) {
  return core_.Serve(ctx, [&](app::AuthorizedPharos& pharos) -> grpc::Status {
    absl::StatusOr<cloud::FeedStatus> s = pharos.GetCloudStatus();
    if (!s.ok()) return ToGrpcStatus(s.status());
    ToProto(*s, resp);
    return grpc::Status::OK;
  });
}

}  // namespace pharos::api
