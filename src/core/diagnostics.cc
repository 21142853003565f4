#include "core/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "common/strings.h"
#include "dataplane/kernel.h"
#include "diagnostics/probe.h"

namespace pharos::core {
namespace {

constexpr int kDefaultTimeoutMs = 1000;
constexpr int kMaxTimeoutMs = 30000;
constexpr int kMaxHops = 32;


// Namespace -> the node component living in it.
std::map<std::string, std::string> NodeOfNamespace(const plan::Plan& plan) {
  std::map<std::string, std::string> out;
  for (const auto& n : plan.namespaces) out[n.name] = n.component;
  return out;
}

}  // namespace

absl::Status Diagnostics::RequireKernel() const {
  if (backend_.kernel()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      StrCat("pharosd runs with --dataplane=", dataplane::ModeName(backend_.mode()),
             ": nothing is built in the kernel to test; start it with --dataplane=emulated"));
}

absl::StatusOr<Diagnostics::Endpoint> Diagnostics::Resolve(const plan::Plan& plan,
                                                           std::string_view text,
                                                           bool need_namespace) const {
  std::map<std::string, std::string> nodes = NodeOfNamespace(plan);
  for (const auto& c : plan.components) {
    if (c.name != text || c.type == "bridge") continue;
    Endpoint e{c.name, backend_.LocalNamespace(c.netns), true, {}};
    if (auto ip = Ipv4Address::Parse(c.ip)) e.ip = *ip;
    return e;
  }
  if (auto ip = Ipv4Address::Parse(text)) {
    for (const auto& a : plan.addresses) {
      if (a.address != *ip) continue;
      return Endpoint{nodes[a.netns], backend_.LocalNamespace(a.netns), true, *ip};
    }
    if (!need_namespace) return Endpoint{std::string(text), "", false, *ip};
    return absl::NotFoundError(StrCat("no component of the vehicle has address ", text,
                                      ": a test starts inside a component (see pharosctl status)"));
  }
  // A registered service: where it runs (the healthiest instance first).
  if (services_) {
    absl::StatusOr<std::vector<store::ServiceRecord>> found =
        services_->FindByName(std::string(text));
    if (found.ok() && !found->empty()) {
      std::stable_sort(found->begin(), found->end(), [](const auto& a, const auto& b) {
        return (a.status == kServiceHealthy) > (b.status == kServiceHealthy);
      });
      for (const auto& svc : *found) {
        if (!Ipv4Address::Parse(svc.host)) continue;
        absl::StatusOr<Endpoint> at = Resolve(plan, svc.host, need_namespace);
        if (!at.ok()) continue;
        at->service_port = svc.port;
        return at;
      }
    }
  }
  return absl::NotFoundError(
      StrCat("no component, service or address '", text,
             "' in the current configuration (see pharosctl status and pharosctl services)"));
}

absl::StatusOr<ConnectivityAnswer> Diagnostics::TestConnectivity(const ConnectivityQuery& q) {
  if (q.source.empty() || q.destination.empty()) {
    return absl::InvalidArgumentError("source and destination are required");
  }
  std::string protocol = q.protocol.empty() ? "icmp" : q.protocol;
  if (protocol != "icmp" && protocol != "tcp" && protocol != "udp") {
    return absl::InvalidArgumentError(
        StrCat("protocol '", q.protocol, "' is not one of icmp, tcp, udp"));
  }
  if (protocol != "icmp" && q.port != 0 && (q.port < 1 || q.port > 65535)) {
    return absl::InvalidArgumentError(StrCat(protocol, " needs a port between 1 and 65535"));
  }
  if (q.timeout_ms < 0 || q.timeout_ms > kMaxTimeoutMs) {
    return absl::InvalidArgumentError(StrCat("timeout_ms must be between 0 (default ",
                                             kDefaultTimeoutMs, ") and ", kMaxTimeoutMs));
  }
  if (auto s = RequireKernel(); !s.ok()) return s;
  plan::Plan plan = controller_.CurrentPlan();
  absl::StatusOr<Endpoint> from = Resolve(plan, q.source, true);
  if (!from.ok()) return from.status();
  absl::StatusOr<Endpoint> to = Resolve(plan, q.destination, false);
  if (!to.ok()) return to.status();
  int port = q.port ? q.port : to->service_port;
  if (protocol != "icmp" && port == 0) {
    return absl::InvalidArgumentError(
        StrCat(protocol, " needs a port between 1 and 65535 (or a service as destination)"));
  }
  std::chrono::milliseconds timeout(q.timeout_ms > 0 ? q.timeout_ms : kDefaultTimeoutMs);
  diagnostics::ProbeResult r;
  if (protocol == "icmp") {
    r = diagnostics::ProbeIcmp(from->netns, from->component, to->ip, timeout);
  } else if (protocol == "tcp") {
    r = diagnostics::ProbeTcp(from->netns, from->component, to->ip, port, timeout);
  } else {
    r = diagnostics::ProbeUdp(from->netns, from->component, to->ip, port, timeout);
  }
  ConnectivityAnswer answer{r.success, r.latency_ms, r.detail, ""};
  if (policy_) {
    security::PolicyEnforcer::View v = policy_->Current();
    security::Flow flow{from->ip, to->ip, *security::ParseProtocol(protocol), port};
    answer.policy = security::Explain(v.policy, v.membership, v.pod_subnets, flow).Describe();
  }
  return answer;
}

absl::StatusOr<RouteAnswer> Diagnostics::RouteInfo(std::string_view source,
                                                   std::string_view destination) {
  if (source.empty() || destination.empty()) {
    return absl::InvalidArgumentError("source and destination are required");
  }
  if (auto s = RequireKernel(); !s.ok()) return s;
  plan::Plan plan = controller_.CurrentPlan();
  absl::StatusOr<Endpoint> from = Resolve(plan, source, true);
  if (!from.ok()) return from.status();
  absl::StatusOr<Endpoint> to = Resolve(plan, destination, false);
  if (!to.ok()) return to.status();

  // Which namespace owns each address: where the next hop leads.
  std::map<uint32_t, std::string> owner;
  for (const auto& a : plan.addresses) owner[a.address.value()] = a.netns;
  std::map<std::string, std::string> nodes = NodeOfNamespace(plan);

  dataplane::Kernel& kernel = *backend_.kernel();
  RouteAnswer answer;
  if (policy_) {
    security::PolicyEnforcer::View v = policy_->Current();
    answer.policy_rules =
        security::RulesForPair(v.policy, v.membership, v.pod_subnets, from->ip, to->ip);
  } else {
    answer.policy_rules.push_back("this pharosd runs without the security controller");
  }
  std::string planned_ns;
  for (const auto& [ns, node] : nodes) {
    if (node == from->component) planned_ns = ns;
  }
  std::set<std::string> visited;
  std::string target = to->ip.ToString();
  for (int hop = 0; hop < kMaxHops; ++hop) {
    const std::string& node = nodes.count(planned_ns) ? nodes[planned_ns] : from->component;
    if (!visited.insert(planned_ns).second) {
      answer.description =
          StrCat("routing loop: ", node, " is reached twice on the way to ", target);
      return answer;
    }
    answer.hop_components.push_back(node);
    if (hop > 0 && backend_.mode() == dataplane::DataplaneMode::kHost) {
      // Only this node's kernel is here; the next one answers on its own.
      answer.description = StrCat("the path leaves this node towards ", node,
                                  "; ask the pharosd running there for the rest");
      return answer;
    }
    absl::StatusOr<netlink::RouteEntry> r =
        kernel.LookupRoute(backend_.LocalNamespace(planned_ns), to->ip);
    if (!r.ok()) {
      answer.hops.push_back(StrCat(node, ": no route to ", target));
      answer.description =
          StrCat("no route to ", target, " from ", node, " (", r.status().message(), ")");
      return answer;
    }
    if (r->type == 2 /* RTN_LOCAL */) {
      answer.hops.push_back(StrCat(node, ": ", target, " is local"));
      answer.routable = true;
      answer.description = StrCat(from->component, " reaches ", to->component, " (", target,
                                  ") in ", answer.hops.size() - 1, " hop(s)");
      return answer;
    }
    if (r->type != 1 /* RTN_UNICAST */) {
      answer.hops.push_back(StrCat(node, ": ", target, " is unreachable (route type ",
                                   static_cast<int>(r->type), ")"));
      answer.description = StrCat(target, " is unreachable from ", node);
      return answer;
    }
    Ipv4Address next = r->gateway ? *r->gateway : to->ip;
    answer.hops.push_back(
        StrCat(node, ": ", target, r->gateway ? StrCat(" via ", next.ToString()) : " on-link",
               r->preferred_source ? StrCat(" src ", r->preferred_source->ToString()) : ""));
    auto it = owner.find(next.value());
    if (it == owner.end()) {
      answer.description = StrCat("the path leaves the vehicle at ", node, " towards ",
                                  next.ToString(), ", which no component owns");
      return answer;
    }
    planned_ns = it->second;
  }
  answer.description = StrCat("more than ", kMaxHops, " hops: giving up");
  return answer;
}

absl::StatusOr<std::vector<ComponentMetrics>> Diagnostics::Metrics(std::string_view component,
                                                                   int duration_seconds) {
  if (duration_seconds < 0) {
    return absl::InvalidArgumentError(
        StrCat("duration_seconds must be 0 (a snapshot) or more, not ", duration_seconds));
  }
  if (duration_seconds > kMaxMetricsSeconds) {
    return absl::InvalidArgumentError(StrCat("duration_seconds is at most ", kMaxMetricsSeconds,
                                             " (got ", duration_seconds, ")"));
  }
  if (auto s = RequireKernel(); !s.ok()) return s;
  plan::Plan plan = controller_.CurrentPlan();
  std::vector<const plan::ComponentInfo*> chosen;
  for (const auto& c : plan.components) {
    if (component.empty() ? c.type != "bridge" : c.name == component) chosen.push_back(&c);
  }
  if (chosen.empty()) {
    return absl::NotFoundError(StrCat("no component '", component,
                                      "' in the current configuration (see pharosctl status)"));
  }
  std::map<std::string, std::string> bridge_name;
  for (const auto& b : plan.bridges) bridge_name[b.component] = b.name;
  dataplane::Kernel& kernel = *backend_.kernel();

  // A node counts its own interfaces (not the ports it bridges for its
  // children); a bridge counts the bridge device.
  auto sample = [&]() -> absl::StatusOr<std::vector<ComponentMetrics>> {
    std::vector<ComponentMetrics> out;
    for (const auto* c : chosen) {
      absl::StatusOr<std::vector<netlink::Link>> links =
          kernel.Links(backend_.LocalNamespace(c->netns));
      if (!links.ok()) return links.status();
      ComponentMetrics m;
      m.component = c->name;
      for (const auto& l : *links) {
        bool counted = c->type == "bridge" ? l.name == bridge_name[c->name]
                                           : (l.name != "lo" && l.master == 0);
        if (!counted) continue;
        m.bytes_in += l.stats.rx_bytes;
        m.bytes_out += l.stats.tx_bytes;
        m.packets_in += l.stats.rx_packets;
        m.packets_out += l.stats.tx_packets;
        m.errors_in += l.stats.rx_errors;
        m.errors_out += l.stats.tx_errors;
      }
      out.push_back(m);
    }
    return out;
  };
  absl::StatusOr<std::vector<ComponentMetrics>> first = sample();
  if (!first.ok() || duration_seconds <= 0) return first;
  std::this_thread::sleep_for(std::chrono::seconds(duration_seconds));
  absl::StatusOr<std::vector<ComponentMetrics>> second = sample();
  if (!second.ok()) return second;
  for (size_t i = 0; i < second->size(); ++i) {
    ComponentMetrics& now = (*second)[i];
    const ComponentMetrics& before = (*first)[i];
    uint64_t bytes = (now.bytes_in - before.bytes_in) + (now.bytes_out - before.bytes_out);
    now.bandwidth_mbps = static_cast<double>(bytes) * 8.0 / duration_seconds / 1e6;
  }
  return second;
}

}  // namespace pharos::core
