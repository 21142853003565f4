// The diagnostics use cases: connectivity tests with real packets, the
// route a packet really takes (each namespace's FIB asked in turn), and
// interface counters. Names (components, addresses) are resolved against
// the current configuration; the kernel is asked everything else.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/config_controller.h"
#include "core/service_registry.h"
#include "dataplane/backend.h"
#include "security/policy_enforcer.h"

namespace pharos::core {

struct ConnectivityQuery {
  std::string source;       // component name, service name or IP address
  std::string destination;  // component name, service name or IP address
                            // (a service also gives the port, when none is)
  std::string protocol;     // icmp (default), tcp, udp
  int port = 0;
  int timeout_ms = 0;  // 0: 1000 ms; at most 30000 ms
};

struct ConnectivityAnswer {
  bool success = false;
  double latency_ms = 0;
  std::string detail;
  std::string policy;  // the rule that decides the flow ("deny by default_action")
};

struct RouteAnswer {
  bool routable = false;
  std::vector<std::string> hops;  // one line per namespace crossed
  std::vector<std::string> hop_components;
  std::vector<std::string> policy_rules;
  std::string description;
};

struct ComponentMetrics {
  std::string component;
  uint64_t bytes_in = 0, bytes_out = 0, packets_in = 0, packets_out = 0;
  uint64_t errors_in = 0, errors_out = 0;
  double bandwidth_mbps = 0;
};

inline constexpr int kMaxMetricsSeconds = 60;

class Diagnostics {
 public:
  // `services` (optional): service names are accepted wherever a
  // component is.
  // `policy` (optional): answers name the rule that decides.
  Diagnostics(ConfigController& controller, dataplane::DataplaneBackend& backend,
              ServiceRegistry* services = nullptr, security::PolicyEnforcer* policy = nullptr)
      : controller_(controller), backend_(backend), services_(services), policy_(policy) {}

  absl::StatusOr<ConnectivityAnswer> TestConnectivity(const ConnectivityQuery& query);
  absl::StatusOr<RouteAnswer> RouteInfo(std::string_view source, std::string_view destination);
  // `component` empty: every node. `duration_seconds` <= 0: counters only.
  absl::StatusOr<std::vector<ComponentMetrics>> Metrics(std::string_view component,
                                                        int duration_seconds);

 private:
  struct Endpoint {
    std::string component;
    std::string netns;  // local namespace; empty optional when unknown
    bool has_netns = false;
    Ipv4Address ip;
    int service_port = 0;  // when named by a service
  };
  absl::Status RequireKernel() const;
  absl::StatusOr<Endpoint> Resolve(const plan::Plan& plan, std::string_view text,
                                   bool need_namespace) const;

  ConfigController& controller_;
  dataplane::DataplaneBackend& backend_;
  ServiceRegistry* services_;
  security::PolicyEnforcer* policy_;
};

}  // namespace pharos::core
