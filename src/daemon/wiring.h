// The small translations between pharosd's parts: the daemon's options
// into each part's settings, and one part's records into another's input.
// Named, so Daemon reads as a list of parts and not as lambdas.
#pragma once

#include <string>
#include <vector>

#include "callbacks/dispatcher.h"
#include "cloud/connector.h"
#include "core/config_controller.h"
#include "core/service_health.h"
#include "core/service_registry.h"
#include "daemon/daemon_options.h"
#include "security/event_monitor.h"
#include "security/policy.h"
#include "security/tls_ingress.h"

namespace pharos::daemon {

callbacks::DispatcherOptions DispatcherOptionsOf(const DaemonOptions& o);
core::HealthPolicy HealthPolicyOf(const DaemonOptions& o);
security::EventThresholds ThresholdsOf(const DaemonOptions& o);
security::IngressOptions IngressOptionsOf(const DaemonOptions& o);
// The connector's settings from --cloud-*; in the twin (`twin`), plain
// MQTT/HTTP may also go to the configuration's cloud hosts.
cloud::ConnectorOptions CloudOptionsOf(const DaemonOptions& o, core::ConfigController& controller,
                                       bool twin);

// The registered services by address: the security policy's `service:`
// selectors resolve against them.
std::vector<security::ServiceAddress> ServiceAddressesOf(core::ServiceRegistry& registry);
// The instances of `service` the TLS ingress may forward to.
std::vector<security::IngressBackend> IngressBackendsOf(core::ServiceRegistry& registry,
                                                        const std::string& service);
// A client the ingress turned away, as an attempt for the event pipeline.
security::DeniedPacket AttemptOf(const security::IngressRefusal& refusal);
// A VM left without its policy: the one thing Piccolo must hear at once.
void RaisePolicyAlarm(security::SecurityEventSink& sink, const std::string& netns,
                      const std::string& why);

}  // namespace pharos::daemon
