#include "app/pharos.h"

#include <map>

#include "common/strings.h"
#include "common/text.h"

namespace pharos::app {
namespace {

using auth::Role;

// The use cases below operator (read-only) and the ones below admin.
const std::map<std::string_view, Role>& Roles() {
  static const auto* roles = new std::map<std::string_view, Role>{
      // pharos.api.v1.PharosService
      {"ValidateConfiguration", Role::kViewer},
      {"GetNetworkStatus", Role::kViewer},
      {"GetServiceConnectivity", Role::kViewer},
      {"GetNetworkMetrics", Role::kViewer},
      {"GetRouteInfo", Role::kViewer},
      {"GetCloudFeedingStatus", Role::kViewer},
      {"RequestNetworkPod", Role::kOperator},
      // pharos.api.v1.PharosNetworkManager (Pullpiri's resource manager)
      {"SetupNetwork", Role::kOperator},
      {"RemoveNetwork", Role::kOperator},
      {"RegisterService", Role::kOperator},
      {"DeregisterService", Role::kOperator},
      {"UpdateServiceEndpoint", Role::kOperator},
      {"TestConnectivity", Role::kOperator},
      {"ConfigureVehicleNetwork", Role::kAdmin},
      {"UpdateNetworkConfiguration", Role::kAdmin},
      {"ApplyConfiguration", Role::kAdmin},
      {"RollbackConfiguration", Role::kAdmin},
      {"ConfigureSecurityPolicy", Role::kAdmin},
      {"ConfigureCloudFeeding", Role::kAdmin},
      {"EmergencyNetworkMode", Role::kAdmin},
      // pharos.ctl.v1.PharosControlService
      {"ListConfigVersions", Role::kViewer},
      {"GetConfigVersion", Role::kViewer},
      {"GetPlan", Role::kViewer},
      {"ListNetworkEvents", Role::kViewer},
      {"GetCallbackStatus", Role::kViewer},
      {"GetCloudStatus", Role::kViewer},
      {"ListLeases", Role::kViewer},
      {"ListServices", Role::kViewer},
      {"ListSecurityEvents", Role::kViewer},
      {"GetSecurityStatus", Role::kViewer},
      {"Watch", Role::kViewer},
      {"GetVersion", Role::kViewer},
      {"ListAuditLog", Role::kAdmin},
      {"Teardown", Role::kAdmin},
  };
  return *roles;
}

// The status a use case's result carries, and the result a refusal gives.
const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}
const absl::Status& StatusOf(const core::ChangeOutcome& o) { return o.status; }
const absl::Status& StatusOf(const core::PodRequestAnswer& a) { return a.status; }
const absl::Status& StatusOf(const security::PolicyChange& c) { return c.status; }
const absl::Status& StatusOf(const EmergencyOutcome& e) { return e.status; }

template <typename R>
R Refused(const absl::Status& why) {
  if constexpr (std::is_same_v<R, absl::Status>) {
    return why;
  } else if constexpr (std::is_same_v<R, core::ChangeOutcome> ||
                       std::is_same_v<R, core::PodRequestAnswer> ||
                       std::is_same_v<R, security::PolicyChange> ||
                       std::is_same_v<R, EmergencyOutcome>) {
    R r;
    r.status = why;
    if constexpr (!std::is_same_v<R, EmergencyOutcome>) r.message = std::string(why.message());
    return r;
  } else {
    return R(why);  // an absl::StatusOr
  }
}

absl::Status CheckPage(int limit) {
  if (limit < 0 || limit > 1000) {
    return absl::InvalidArgumentError("limit must be between 0 and 1000");
  }
  return absl::OkStatus();
}
int PageSize(int limit) { return limit == 0 ? 100 : limit; }

}  // namespace

Role RequiredRole(std::string_view use_case) {
  auto it = Roles().find(use_case);
  return it == Roles().end() ? Role::kAdmin : it->second;
}

AuthorizedPharos Pharos::Authorized(const auth::Permissions& permissions,
                                    core::Abandoned abandoned) {
  return AuthorizedPharos(*this, permissions, std::move(abandoned));
}

template <typename R, typename Work>
R AuthorizedPharos::Run(std::string_view use_case, Work&& work) {
  Role needed = RequiredRole(use_case);
  if (absl::Status allowed = who_.Require(needed, use_case); !allowed.ok()) {
    p_.audit_.Record(who_, use_case, allowed);
    return Refused<R>(allowed);
  }
  R result = work();
  if (needed >= Role::kOperator) p_.audit_.Record(who_, use_case, StatusOf(result));
  return result;
}

core::PodRequestAnswer AuthorizedPharos::RequestNetworkPod(const PodRequestReader& read) {
  return Run<core::PodRequestAnswer>("RequestNetworkPod", [&] {
    absl::StatusOr<core::PodRequest> request = read();
    if (!request.ok()) return core::PodRequestAnswer::Refused(request.status());
    return p_.parts_.pods.Request(std::move(*request));
  });
}

absl::StatusOr<std::string> AuthorizedPharos::SetupNetwork(const std::string& name,
                                                           const std::string& mode) {
  return Run<absl::StatusOr<std::string>>("SetupNetwork",
                                          [&] { return p_.parts_.networks.Setup(name, mode); });
}

absl::StatusOr<std::string> AuthorizedPharos::RemoveNetwork(const std::string& name) {
  return Run<absl::StatusOr<std::string>>("RemoveNetwork",
                                          [&] { return p_.parts_.networks.Remove(name); });
}

core::ChangeOutcome AuthorizedPharos::ConfigureVehicleNetwork(std::string_view yaml, bool dry_run) {
  return Run<core::ChangeOutcome>("ConfigureVehicleNetwork", [&] {
    return p_.parts_.controller.Apply(yaml, "configure", dry_run, abandoned_);
  });
}

core::ChangeOutcome AuthorizedPharos::UpdateNetworkConfiguration(std::string_view yaml,
                                                                 bool incremental) {
  return Run<core::ChangeOutcome>("UpdateNetworkConfiguration",
                                  [&] { return p_.parts_.controller.Update(yaml, incremental, abandoned_); });
}

core::ChangeOutcome AuthorizedPharos::ApplyConfiguration(std::string_view yaml,
                                                         bool validate_only) {
  return Run<core::ChangeOutcome>("ApplyConfiguration", [&] {
    return p_.parts_.controller.Apply(yaml, "apply", validate_only, abandoned_);
  });
}

core::ChangeOutcome AuthorizedPharos::RollbackConfiguration(std::string_view target) {
  return Run<core::ChangeOutcome>("RollbackConfiguration",
                                  [&] { return p_.parts_.controller.Rollback(target); });
}

absl::StatusOr<core::Analysis> AuthorizedPharos::ValidateConfiguration(std::string_view yaml) {
  return Run<absl::StatusOr<core::Analysis>>(
      "ValidateConfiguration",
      [&]() -> absl::StatusOr<core::Analysis> { return p_.parts_.controller.Validate(yaml); });
}

absl::StatusOr<std::string> AuthorizedPharos::RegisterService(
    const std::string& name, const std::string& host, int port, const std::string& protocol,
    const std::map<std::string, std::string>& metadata) {
  return Run<absl::StatusOr<std::string>>("RegisterService", [&] {
    return p_.parts_.services.Register(name, host, port, protocol, metadata);
  });
}

absl::Status AuthorizedPharos::DeregisterService(const std::string& id) {
  return Run<absl::Status>("DeregisterService", [&] { return p_.parts_.services.Deregister(id); });
}

absl::Status AuthorizedPharos::UpdateServiceEndpoint(const std::string& id, const std::string& host,
                                                     int port) {
  return Run<absl::Status>("UpdateServiceEndpoint",
                           [&] { return p_.parts_.services.UpdateEndpoint(id, host, port); });
}

absl::StatusOr<std::vector<core::ComponentStatus>> AuthorizedPharos::GetNetworkStatus(
    std::string_view filter) {
  using Result = absl::StatusOr<std::vector<core::ComponentStatus>>;
  return Run<Result>("GetNetworkStatus", [&]() -> Result {
    Result status = p_.parts_.controller.Status(filter);
    if (!status.ok()) return status;
    absl::StatusOr<std::vector<core::ServiceView>> views = p_.parts_.services.List();
    if (!views.ok()) return views.status();
    for (const auto& v : *views) {
      const store::ServiceRecord& r = v.record;
      if (!filter.empty() && filter != "service" && filter != r.name && filter != r.id &&
          !GlobMatch(filter, r.name)) {
        continue;
      }
      core::ComponentStatus c{r.name, "service", r.status, r.host, {}, ""};
      if (!r.location.empty()) c.connected_to.push_back(r.location);
      c.detail = StrCat(r.protocol, " ", r.host, ":", r.port, " (", r.id, ", ", r.source, ")");
      status->push_back(std::move(c));
    }
    return status;
  });
}

absl::StatusOr<ServiceConnectivity> AuthorizedPharos::GetServiceConnectivity(
    std::string_view source, std::string_view target) {
  using Result = absl::StatusOr<ServiceConnectivity>;
  return Run<Result>("GetServiceConnectivity", [&]() -> Result {
    absl::StatusOr<core::RouteAnswer> route = p_.parts_.diagnostics.RouteInfo(source, target);
    if (!route.ok()) return route.status();
    ServiceConnectivity out{*route, std::nullopt};
    if (!route->routable) return out;
    // Routable in every FIB on the way; now a real packet decides.
    absl::StatusOr<core::ConnectivityAnswer> probe = p_.parts_.diagnostics.TestConnectivity(
        {std::string(source), std::string(target), "icmp", 0, 0});
    if (!probe.ok()) return probe.status();
    out.probe = *probe;
    return out;
  });
}

absl::StatusOr<std::vector<core::ComponentMetrics>> AuthorizedPharos::GetNetworkMetrics(
    std::string_view component, int duration_seconds) {
  return Run<absl::StatusOr<std::vector<core::ComponentMetrics>>>("GetNetworkMetrics", [&] {
    return p_.parts_.diagnostics.Metrics(component, duration_seconds);
  });
}

absl::StatusOr<core::ConnectivityAnswer> AuthorizedPharos::TestConnectivity(
    const core::ConnectivityQuery& query) {
  return Run<absl::StatusOr<core::ConnectivityAnswer>>(
      "TestConnectivity", [&] { return p_.parts_.diagnostics.TestConnectivity(query); });
}

absl::StatusOr<core::RouteAnswer> AuthorizedPharos::GetRouteInfo(std::string_view source,
                                                                 std::string_view destination) {
  return Run<absl::StatusOr<core::RouteAnswer>>(
      "GetRouteInfo", [&] { return p_.parts_.diagnostics.RouteInfo(source, destination); });
}

security::PolicyChange AuthorizedPharos::ConfigureSecurityPolicy(std::string_view yaml) {
  return Run<security::PolicyChange>("ConfigureSecurityPolicy", [&] {
    model::Topology reference = p_.parts_.controller.CurrentTopology();
    return p_.parts_.security.Configure(yaml, reference.nodes.empty() ? nullptr : &reference);
  });
}

absl::Status AuthorizedPharos::ConfigureCloudFeeding(const cloud::FeedConfig& config) {
  return Run<absl::Status>("ConfigureCloudFeeding",
                           [&] { return p_.parts_.cloud.Configure(config); });
}

absl::StatusOr<cloud::FeedStatus> AuthorizedPharos::GetCloudFeedingStatus() {
  return Run<absl::StatusOr<cloud::FeedStatus>>("GetCloudFeedingStatus",
                                                [&] { return p_.parts_.cloud.Status(); });
}

absl::StatusOr<cloud::FeedStatus> AuthorizedPharos::GetCloudStatus() {
  return Run<absl::StatusOr<cloud::FeedStatus>>("GetCloudStatus",
                                                [&] { return p_.parts_.cloud.Status(); });
}

EmergencyOutcome AuthorizedPharos::EmergencyNetworkMode(bool activate, std::string_view mode) {
  return Run<EmergencyOutcome>("EmergencyNetworkMode", [&] {
    absl::StatusOr<std::string> active = p_.parts_.security.SetEmergency(activate, mode);
    if (!active.ok()) return EmergencyOutcome{active.status(), p_.parts_.security.ActiveMode()};
    return EmergencyOutcome{absl::OkStatus(), *active};
  });
}

absl::StatusOr<std::vector<store::ConfigVersion>> AuthorizedPharos::ListConfigVersions() {
  return Run<absl::StatusOr<std::vector<store::ConfigVersion>>>(
      "ListConfigVersions", [&] { return p_.parts_.controller.Versions(); });
}

absl::StatusOr<store::ConfigVersion> AuthorizedPharos::GetConfigVersion(std::string_view id) {
  return Run<absl::StatusOr<store::ConfigVersion>>(
      "GetConfigVersion", [&] { return p_.parts_.controller.Version(id); });
}

absl::StatusOr<VersionPlan> AuthorizedPharos::GetPlan(std::string_view version_id) {
  using Result = absl::StatusOr<VersionPlan>;
  return Run<Result>("GetPlan", [&]() -> Result {
    absl::StatusOr<store::ConfigVersion> v = p_.parts_.controller.Version(version_id);
    if (!v.ok()) return v.status();
    absl::StatusOr<plan::Plan> plan = p_.parts_.controller.PlanOf(StrCat(v->id));
    if (!plan.ok()) return plan.status();
    return VersionPlan{v->id, std::move(*plan)};
  });
}

core::ChangeOutcome AuthorizedPharos::Teardown() {
  return Run<core::ChangeOutcome>("Teardown", [&] { return p_.parts_.controller.Teardown(); });
}

absl::StatusOr<std::vector<store::NetworkEvent>> AuthorizedPharos::ListNetworkEvents(
    int64_t after_id, int limit) {
  using Result = absl::StatusOr<std::vector<store::NetworkEvent>>;
  return Run<Result>("ListNetworkEvents", [&]() -> Result {
    if (absl::Status s = CheckPage(limit); !s.ok()) return s;
    return p_.parts_.network_events.List(after_id, PageSize(limit));
  });
}

absl::StatusOr<CallbackStatus> AuthorizedPharos::GetCallbackStatus() {
  using Result = absl::StatusOr<CallbackStatus>;
  return Run<Result>("GetCallbackStatus", [&]() -> Result {
    CallbackStatus out{p_.parts_.callbacks.endpoint, p_.parts_.callbacks.flavour};
    absl::StatusOr<int64_t> pending = p_.parts_.outbox.PendingCount();
    absl::StatusOr<int64_t> dropped = p_.parts_.outbox.DroppedCount();
    absl::StatusOr<std::vector<store::OutboxEntry>> oldest = p_.parts_.outbox.Pending(1);
    if (!pending.ok()) return pending.status();
    if (!dropped.ok()) return dropped.status();
    if (!oldest.ok()) return oldest.status();
    out.pending = *pending;
    out.dropped = *dropped;
    if (!oldest->empty()) out.oldest = oldest->front();
    absl::StatusOr<int64_t> dead = p_.parts_.outbox.DeadLetteredCount();
    absl::StatusOr<std::vector<store::OutboxEntry>> letters = p_.parts_.outbox.DeadLetters(20);
    if (!dead.ok()) return dead.status();
    if (!letters.ok()) return letters.status();
    out.dead_lettered = *dead;
    out.dead_letters = std::move(*letters);
    return out;
  });
}

absl::StatusOr<std::vector<core::PodLease>> AuthorizedPharos::ListLeases() {
  return Run<absl::StatusOr<std::vector<core::PodLease>>>("ListLeases",
                                                          [&] { return p_.parts_.pods.Leases(); });
}

absl::StatusOr<std::vector<core::ServiceView>> AuthorizedPharos::ListServices(
    const core::ServiceFilter& filter) {
  return Run<absl::StatusOr<std::vector<core::ServiceView>>>(
      "ListServices", [&] { return p_.parts_.services.List(filter); });
}

absl::StatusOr<std::vector<store::SecurityEventRow>> AuthorizedPharos::ListSecurityEvents(
    int64_t after_id, int limit) {
  using Result = absl::StatusOr<std::vector<store::SecurityEventRow>>;
  return Run<Result>("ListSecurityEvents", [&]() -> Result {
    if (absl::Status s = CheckPage(limit); !s.ok()) return s;
    return p_.parts_.security_events.List(after_id, PageSize(limit));
  });
}

absl::StatusOr<SecurityStatus> AuthorizedPharos::GetSecurityStatus() {
  using Result = absl::StatusOr<SecurityStatus>;
  return Run<Result>("GetSecurityStatus", [&]() -> Result {
    SecurityStatus out;
    out.view = p_.parts_.security.Current();
    if (const security::TlsIngress* ingress = p_.parts_.ingress) {
      out.ingress_enabled = true;
      out.ingress_at = ingress->placement();
      out.ingress_port = ingress->port();
      out.ingress_stats = ingress->stats();
    }
    return out;
  });
}

absl::StatusOr<std::vector<store::AuditRow>> AuthorizedPharos::ListAuditLog(int64_t after_id,
                                                                            int limit) {
  using Result = absl::StatusOr<std::vector<store::AuditRow>>;
  return Run<Result>("ListAuditLog", [&]() -> Result {
    if (absl::Status s = CheckPage(limit); !s.ok()) return s;
    return p_.parts_.audit_rows.List(after_id, PageSize(limit));
  });
}

absl::StatusOr<ServerVersion> AuthorizedPharos::GetVersion() {
  return Run<absl::StatusOr<ServerVersion>>(
      "GetVersion", [&]() -> absl::StatusOr<ServerVersion> { return p_.parts_.about; });
}

absl::StatusOr<WatchCursor> AuthorizedPharos::Watch(std::string_view resume_token,
                                                    const std::vector<std::string>& kinds,
                                                    bool from_oldest) {
  using Result = absl::StatusOr<WatchCursor>;
  return Run<Result>("Watch", [&]() -> Result {
    for (const std::string& k : kinds) {
      if (!WatchKinds().count(k)) {
        return absl::InvalidArgumentError(
            StrCat("kinds: '", k, "' is not one of ", StrJoin(WatchKinds(), ", ")));
      }
    }
    absl::StatusOr<std::optional<int64_t>> after = ParseResumeToken(resume_token);
    if (!after.ok()) return after.status();
    int64_t start = 0;
    if (after->has_value()) {
      start = **after;
    } else if (!from_oldest) {
      absl::StatusOr<int64_t> newest = p_.parts_.watch.Newest();
      if (!newest.ok()) return newest.status();
      start = *newest;
    }
    return WatchCursor(p_.parts_.watch, start, {kinds.begin(), kinds.end()});
  });
}

}  // namespace pharos::app
