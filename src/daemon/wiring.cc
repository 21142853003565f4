#include "daemon/wiring.h"

#include <spdlog/spdlog.h>

#include "cloud/transports.h"
#include "common/ipv4.h"
#include "common/loopback.h"
#include "common/strings.h"
#include "daemon/cloud_sources.h"
#include "plan/naming.h"

namespace pharos::daemon {

callbacks::DispatcherOptions DispatcherOptionsOf(const DaemonOptions& o) {
  callbacks::DispatcherOptions d;
  d.endpoint = o.callback_endpoint;
  d.flavour = o.callback_flavour;
  d.max_backoff = std::chrono::seconds(o.callback_max_backoff_seconds);
  return d;
}

core::HealthPolicy HealthPolicyOf(const DaemonOptions& o) {
  core::HealthPolicy p;
  p.interval = std::chrono::milliseconds(o.health_interval_ms);
  p.timeout = std::chrono::milliseconds(o.health_timeout_ms);
  p.unhealthy_after = o.health_unhealthy_after;
  p.healthy_after = o.health_healthy_after;
  p.flap_transitions = o.health_flap_transitions;
  p.flap_window = std::chrono::seconds(o.health_flap_window_seconds);
  p.damped_stable_checks = o.health_damped_checks;
  return p;
}

security::EventThresholds ThresholdsOf(const DaemonOptions& o) {
  security::EventThresholds t;
  t.window = std::chrono::seconds(o.security_window_seconds);
  t.burst_packets = o.security_burst_packets;
  t.critical_windows = o.security_critical_windows;
  t.max_events_per_minute = o.security_events_per_minute;
  t.sensitive_ports = {o.security_sensitive_ports.begin(), o.security_sensitive_ports.end()};
  return t;
}

security::IngressOptions IngressOptionsOf(const DaemonOptions& o) {
  security::IngressOptions i;
  i.cert_file = o.ingress_cert;
  i.key_file = o.ingress_key;
  i.client_ca_file = o.ingress_client_ca;
  i.port = o.ingress_port;
  i.idle_timeout = std::chrono::seconds(o.ingress_idle_timeout_seconds);
  return i;
}

std::vector<security::ServiceAddress> ServiceAddressesOf(core::ServiceRegistry& registry) {
  std::vector<security::ServiceAddress> out;
  absl::StatusOr<std::vector<store::ServiceRecord>> rows = registry.Records();
  if (!rows.ok()) return out;
  for (const auto& r : *rows) {
    if (auto ip = Ipv4Address::Parse(r.host)) out.push_back({r.name, *ip});
  }
  return out;
}

std::vector<security::IngressBackend> IngressBackendsOf(core::ServiceRegistry& registry,
                                                        const std::string& service) {
  std::vector<security::IngressBackend> out;
  absl::StatusOr<std::vector<store::ServiceRecord>> rows = registry.Records();
  if (!rows.ok()) return out;
  for (const auto& r : *rows) {
    auto ip = Ipv4Address::Parse(r.host);
    if (r.name == service && ip && r.port > 0) out.push_back({*ip, r.port, r.status});
  }
  return out;
}

security::DeniedPacket AttemptOf(const security::IngressRefusal& refusal) {
  security::DeniedPacket attempt;
  attempt.source = refusal.client;
  attempt.destination = refusal.ingress;
  attempt.protocol = 6;  // tcp
  attempt.port = refusal.port;
  attempt.rule = "tls_ingress";
  attempt.event_type = "tls_refused";
  attempt.reason = refusal.reason;
  return attempt;
}

void RaisePolicyAlarm(security::SecurityEventSink& sink, const std::string& netns,
                      const std::string& why) {
  security::SecurityEvent e;
  e.severity = security::Severity::kCritical;
  e.event_type = "policy_not_enforced";
  e.source = "pharos";
  e.destination = netns.empty() ? "this namespace" : netns;
  e.details = "the security policy could not be applied: " + why;
  if (absl::Status s = sink.Publish(e); !s.ok()) {
    spdlog::error("security event not recorded: {}", std::string(s.message()));
  }
}

cloud::ConnectorOptions CloudOptionsOf(const DaemonOptions& o, core::ConfigController& controller,
                                       bool twin) {
  cloud::ConnectorOptions c;
  c.rules.allow_plaintext = o.cloud.allow_plaintext;
  if (twin) {
    c.rules.plain_allowed = [&controller](const std::string& host) {
      return IsTwinCloudHost(controller, host);
    };
    // A twin cloud host is reached the way the vehicle reaches the cloud:
    // from the vehicle node, whose namespace holds the cloud bridge. Any
    // other address is refused in the twin, so a feed meant for it never
    // leaves this machine through the host's own network (a real cloud is
    // named by a host name, or pharosd runs with --cloud-allow-plaintext).
    std::string vehicle_netns = plan::NamespaceName(o.interface_prefix, model::kVehicleNode);
    bool anywhere = o.cloud.allow_plaintext;
    c.transport_netns = [&controller, vehicle_netns,
                         anywhere](const cloud::Endpoint& e) -> absl::StatusOr<std::string> {
      if (IsTwinCloudHost(controller, e.host)) return vehicle_netns;
      if (IsLoopbackHost(e.host) || anywhere || !Ipv4Address::Parse(e.host)) return std::string();
      return absl::FailedPreconditionError(
          StrCat(e.host,
                 " is not a cloud host of the applied configuration (the twin's cloud is "
                 "its cloud hosts; a real cloud is named by its host name)"));
    };
  }
  std::string vehicle_id = o.cloud.vehicle_id;
  c.vehicle_name = [&controller, vehicle_id] {
    if (!vehicle_id.empty()) return vehicle_id;
    std::string name = VehicleNameOf(controller);
    return name.empty() ? std::string("vehicle") : name;
  };
  c.transport.ca_file = o.cloud.ca_file;
  c.transport.cert_file = o.cloud.cert_file;
  c.transport.key_file = o.cloud.key_file;
  c.transport.mqtt_version = o.cloud.mqtt_version;
  c.transport.client_id = o.cloud.client_id;
  c.batch.max_bytes = int64_t{o.cloud.batch_max_kb} * 1024;
  c.zstd_level = o.cloud.zstd_level;
  c.make_transport = cloud::MakeTransport;
  return c;
}

}  // namespace pharos::daemon
