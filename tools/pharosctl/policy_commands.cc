// `pharosctl policy`: what pharosd enforces (status), and which rule decides
// a flow, worked out offline from YAML files with the same code pharosd
// compiles to nftables (explain).
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common/strings.h"
#include "core/config_analysis.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"
#include "security/policy.h"

namespace pharosctl {
namespace ctl = pharos::ctl::v1;
namespace v1 = pharos::api::v1;
namespace security = pharos::security;
using pharos::StrCat;

namespace {

struct Endpoint {
  pharos::Ipv4Address ip;
  int service_port = 0;
  std::string service_protocol{};
};

// A pod or component name, a service a pod declares, or an address.
std::optional<Endpoint> ResolveOffline(const pharos::model::Topology& topo,
                                       const std::string& text) {
  if (auto ip = pharos::Ipv4Address::Parse(text)) return Endpoint{*ip};
  if (const auto* n = topo.FindNode(text); n && n->ip) return Endpoint{*n->ip};
  for (const auto& n : topo.nodes) {
    for (const auto& s : n.services) {
      if (s.name == text && n.ip) return Endpoint{*n.ip, s.port, s.transport};
    }
  }
  return std::nullopt;
}

}  // namespace

int PolicyExplain(const Context& ctx, const std::vector<std::string>& files,
                  const std::string& source, const std::string& destination,
                  const std::string& port_proto, const std::string& mode_text, bool tls_ingress) {
  std::string text;
  for (const auto& f : files) {
    std::string part;
    if (!ReadFile(f, &part)) return kUsage;
    text += part + "\n";
  }
  pharos::core::Analysis a = pharos::core::AnalyzeConfig(text, {ctx.interface_prefix, nullptr});
  if (!a.valid()) {
    std::cerr << ctx.style.Red("error") << ": the files do not validate; run pharosctl validate "
              << "--local on them\n";
    return kFailed;
  }
  security::EmergencyMode mode = security::EmergencyMode::kNone;
  if (!mode_text.empty() && mode_text != "none") {
    auto m = security::ParseMode(mode_text);
    if (!m) {
      std::cerr << ctx.style.Red("error") << ": --mode must be none, minimal, failsafe or "
                << "diagnostic\n";
      return kUsage;
    }
    mode = *m;
  }
  std::optional<Endpoint> from = ResolveOffline(a.topology, source);
  std::optional<Endpoint> to = ResolveOffline(a.topology, destination);
  if (!from || !to) {
    std::cerr << ctx.style.Red("error") << ": " << (from ? destination : source)
              << " is neither an address nor a component or pod service of the vehicle\n";
    return kNotFound;
  }
  // PORT/PROTO: "8080/tcp", "53/udp", "icmp"; "" takes a service's own.
  security::Flow flow{from->ip, to->ip, security::Protocol::kTcp, to->service_port};
  std::string spec = port_proto;
  if (spec.empty() && to->service_port > 0)
    spec = StrCat(to->service_port, "/", to->service_protocol);
  if (spec == "icmp") {
    flow.protocol = security::Protocol::kIcmp;
    flow.port = 0;
  } else {
    size_t slash = spec.find('/');
    std::string proto = slash == std::string::npos ? "tcp" : spec.substr(slash + 1);
    auto p = security::ParseProtocol(proto);
    int port = 0;
    try {
      port = std::stoi(spec.substr(0, slash));
    } catch (const std::exception&) {
    }
    if (!p || *p == security::Protocol::kAny || *p == security::Protocol::kIcmp || port < 1 ||
        port > 65535) {
      std::cerr << ctx.style.Red("error") << ": give the port as PORT/PROTO (8080/tcp, 53/udp) "
                << "or icmp\n";
      return kUsage;
    }
    flow.protocol = *p;
    flow.port = port;
  }
  security::Policy policy = security::EffectivePolicy(a.document.policy, mode);
  security::Inventory inv = security::InventoryOf(a.topology);
  // As pharosd with --ingress-*: its forwarded connections come from the cloud gateway.
  if (tls_ingress) inv.ingress_address = inv.cloud_gateway;
  // Offline, the registry is the services the pods declare.
  for (const auto& n : a.topology.nodes) {
    for (const auto& s : n.services) {
      if (n.ip) inv.services.push_back({s.name, *n.ip});
    }
  }
  security::Membership membership = security::Resolve(policy, inv);
  security::Decision d = security::Explain(policy, membership, inv.pod_subnets, flow);
  std::string flow_text =
      StrCat(source, " (", flow.source.ToString(), ") -> ", destination, " (",
             flow.destination.ToString(), ") ",
             flow.protocol == security::Protocol::kIcmp
                 ? std::string("icmp")
                 : StrCat(flow.port, "/", security::ProtocolName(flow.protocol)));
  if (ctx.json) {
    nlohmann::json out = {{"flow", flow_text},
                          {"action", std::string(security::ActionName(d.action))},
                          {"rule", d.rule},
                          {"origin", d.origin},
                          {"explanation", d.Describe()}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << flow_text << "\n  "
              << (d.action == security::Action::kAllow ? ctx.style.Green("ALLOW")
                                                       : ctx.style.Red("DENY"))
              << "  " << d.Describe() << "\n";
  }
  return kOk;
}

namespace {

// GetSecurityStatus for the policy and emergency commands; an exit code.
int FetchSecurityStatus(const Context& ctx, ctl::GetSecurityStatusResponse* resp) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  grpc::Status s = stub->GetSecurityStatus(CallContext().get(), {}, resp);
  return s.ok() ? kOk : ReportRpcError(ctx, s);
}

}  // namespace

int PolicyStatus(const Context& ctx) {
  ctl::GetSecurityStatusResponse resp;
  if (int rc = FetchSecurityStatus(ctx, &resp); rc != kOk) return rc;
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  const ctl::TlsIngressStatus& t = resp.tls_ingress();
  std::string ingress =
      !t.enabled() ? "TLS ingress: off (pharosd runs without --ingress-*)\n"
      : t.listening().empty()
          ? "TLS ingress: not listening (the configuration has no cloud side)\n"
          : StrCat("TLS ingress: ", t.listening(), "; ", t.accepted(), " accepted, ", t.forwarded(),
                   " forwarded, ", t.refused(), " refused, ", t.unrouted(), " unrouted, ",
                   t.active(), " open\n");
  if (!resp.enforced()) {
    std::cout << "no security policy is enforced: traffic passes unjudged\n" << ingress;
    return kOk;
  }
  std::cout << ingress << "policy from "
            << (resp.policy_source().empty() ? "-" : resp.policy_source()) << ": " << resp.rules()
            << " rules, default " << resp.default_action() << "\n";
  if (!resp.active_mode().empty()) {
    std::cout << ctx.style.Red("emergency mode: ") << resp.active_mode() << "\n";
  }
  for (int i = 0; i < resp.rule_names_size(); ++i) {
    std::cout << "  " << i + 1 << ". " << resp.rule_names(i) << "\n";
  }
  for (const auto& failing : resp.not_enforced()) {
    std::cout << ctx.style.Red("NOT enforced in ") << failing << "\n";
  }
  return kOk;
}

int SecurityEvents(const Context& ctx, int64_t after_id, int limit) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  return ListPage<ctl::ListSecurityEventsRequest, ctl::ListSecurityEventsResponse>(
      ctx, after_id, limit,
      [&stub](grpc::ClientContext* c, const auto& req, auto* resp) {
        return stub->ListSecurityEvents(c, req, resp);
      },
      {"ID", "TIME", "SEVERITY", "TYPE", "SOURCE", "DESTINATION", "RULE", "COUNT"},
      [](const ctl::ListSecurityEventsResponse& resp) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& e : resp.events()) {
          rows.push_back({std::to_string(e.id()), e.occurred_at(), e.severity(), e.event_type(),
                          e.source(), e.destination(), e.rule(), std::to_string(e.packets())});
        }
        return rows;
      });
}

int AuditLog(const Context& ctx, int64_t after_id, int limit) {
  auto stub = ctl::PharosControlService::NewStub(ctx.Channel());
  return ListPage<ctl::ListAuditLogRequest, ctl::ListAuditLogResponse>(
      ctx, after_id, limit,
      [&stub](grpc::ClientContext* c, const auto& req, auto* resp) {
        return stub->ListAuditLog(c, req, resp);
      },
      {"ID", "TIME", "WHO", "ROLE", "METHOD", "RESULT"},
      [](const ctl::ListAuditLogResponse& resp) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& e : resp.entries()) {
          rows.push_back(
              {std::to_string(e.id()), e.at(), e.principal(), e.role(), e.method(), e.result()});
        }
        return rows;
      });
}

int PolicyApply(const Context& ctx, const std::string& file) {
  std::string text;
  if (!ReadFile(file, &text)) return kUsage;
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::ConfigureSecurityPolicyRequest req;
  req.set_security_policy_yaml(text);
  v1::ConfigureSecurityPolicyResponse resp;
  grpc::Status s = stub->ConfigureSecurityPolicy(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRejected(ctx, s, text, file);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << ctx.style.Green("applied") << ": " << resp.message() << "\n";
  }
  return kOk;
}

int PolicyShow(const Context& ctx) {
  ctl::GetSecurityStatusResponse resp;
  if (int rc = FetchSecurityStatus(ctx, &resp); rc != kOk) return rc;
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  if (!resp.enforced()) {
    std::cout << "no security policy is enforced: traffic passes unjudged\n";
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : resp.rule_details()) {
    rows.push_back({r.name(),
                    r.action() == "allow" ? ctx.style.Green("allow") : ctx.style.Red(r.action()),
                    r.from(), r.to(), r.ports(), r.protocol(), r.safety_critical() ? "yes" : ""});
  }
  rows.push_back(
      {"(default)",
       resp.default_action() == "allow" ? ctx.style.Green("allow") : ctx.style.Red("deny"), "any",
       "any", "any", "any", ""});
  std::cout << "policy from " << resp.policy_source()
            << (resp.active_mode().empty() ? "" : ", emergency mode " + resp.active_mode())
            << " (first match wins)\n";
  PrintTable({"RULE", "ACTION", "FROM", "TO", "PORTS", "PROTOCOL", "SAFETY-CRITICAL"}, rows);
  return kOk;
}

int Emergency(const Context& ctx, const std::string& action, const std::string& mode) {
  if (action == "status") {
    ctl::GetSecurityStatusResponse resp;
    if (int rc = FetchSecurityStatus(ctx, &resp); rc != kOk) return rc;
    if (ctx.json) {
      std::cout << "{\"active_mode\": \"" << resp.active_mode() << "\"}\n";
    } else {
      std::cout << (resp.active_mode().empty()
                        ? "no emergency mode is active"
                        : ctx.style.Red("emergency mode: ") + resp.active_mode())
                << "\n";
    }
    return kOk;
  }
  auto stub = v1::PharosService::NewStub(ctx.Channel());
  v1::EmergencyNetworkModeRequest req;
  req.set_activate(action == "activate");
  req.set_mode(mode);
  v1::EmergencyNetworkModeResponse resp;
  grpc::Status s = stub->EmergencyNetworkMode(CallContext().get(), req, &resp);
  if (!s.ok()) return ReportRpcError(ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
  } else {
    std::cout << resp.message() << "\n";
  }
  return kOk;
}

}  // namespace pharosctl
