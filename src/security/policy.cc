#include "security/policy.h"

#include <algorithm>

#include "common/strings.h"

namespace pharos::security {

std::string_view ActionName(Action a) { return a == Action::kAllow ? "allow" : "deny"; }

std::string PortsText(const std::vector<model::PortRange>& ports) {
  std::string out;
  for (const auto& p : ports) {
    StrAppend(&out, out.empty() ? "" : ",", p.first);
    if (p.last != p.first) StrAppend(&out, "-", p.last);
  }
  return out;
}

std::string_view ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
    case Protocol::kIcmp:
      return "icmp";
    case Protocol::kAny:
      break;
  }
  return "any";
}

std::optional<Protocol> ParseProtocol(std::string_view text) {
  if (text.empty() || text == "any") return Protocol::kAny;
  if (text == "tcp") return Protocol::kTcp;
  if (text == "udp") return Protocol::kUdp;
  if (text == "icmp") return Protocol::kIcmp;
  return std::nullopt;
}

std::string_view ModeName(EmergencyMode m) {
  switch (m) {
    case EmergencyMode::kMinimal:
      return "minimal";
    case EmergencyMode::kFailsafe:
      return "failsafe";
    case EmergencyMode::kDiagnostic:
      return "diagnostic";
    case EmergencyMode::kNone:
      break;
  }
  return "";
}

std::optional<EmergencyMode> ParseMode(std::string_view text) {
  for (EmergencyMode m :
       {EmergencyMode::kMinimal, EmergencyMode::kFailsafe, EmergencyMode::kDiagnostic}) {
    if (text == ModeName(m)) return m;
  }
  return std::nullopt;
}

std::string Selector::Key() const {
  std::string key;
  auto add = [&key](std::string_view field, std::string_view value) {
    if (value.empty()) return;
    StrAppend(&key, key.empty() ? "" : ",", field, "=", value);
  };
  add("ns", k8s_namespace);
  add("pod", pod);
  add("svc", service);
  add("cidr", cidr ? cidr->Normalized().ToString() : "");
  add("external", external ? "1" : "");
  add("tls", tls_verified ? "1" : "");
  return key;
}

namespace {

Selector SelectorOf(const model::PolicySelector& s) {
  Selector out;
  if (!s.present) return out;
  out.k8s_namespace = s.k8s_namespace.value;
  out.pod = s.pod.value;
  out.service = s.service.value;
  if (s.cidr.prefix) out.cidr = s.cidr.prefix->Normalized();
  out.external = s.external.value_or(false);
  out.tls_verified = s.tls_verified.value_or(false);
  return out;
}

Rule RuleOf(const model::PolicyRuleSpec& r) {
  Rule out;
  out.name = r.name.value;
  out.from = SelectorOf(r.from);
  out.to = SelectorOf(r.to);
  out.ports = r.ports;
  out.protocol = ParseProtocol(r.protocol.value).value_or(Protocol::kAny);
  out.action = r.action.value == "allow" ? Action::kAllow : Action::kDeny;
  out.safety_critical = r.safety_critical.value_or(false);
  out.origin = r.path;
  return out;
}

bool PortMatches(const Rule& r, const Flow& f) {
  if (r.protocol != Protocol::kAny && r.protocol != f.protocol) return false;
  if (r.ports.empty()) return true;
  return std::any_of(r.ports.begin(), r.ports.end(), [&](const model::PortRange& p) {
    return p.first <= f.port && f.port <= p.last;
  });
}

// The one prefix inside both, if they overlap (prefixes nest or are apart).
std::optional<Ipv4Prefix> Intersect(const Ipv4Prefix& a, const Ipv4Prefix& b) {
  if (a.Contains(b)) return b;
  if (b.Contains(a)) return a;
  return std::nullopt;
}

std::vector<Ipv4Prefix> Members(const Selector& s, const Inventory& inv) {
  // Address-level constraints (cidr, cloud side, ingress) as prefixes.
  std::vector<Ipv4Prefix> limits;
  if (s.cidr) limits.push_back(*s.cidr);
  if (s.external) {
    if (!inv.cloud_subnet) return {};  // no cloud side: nothing is external
    limits.push_back(inv.cloud_subnet->Normalized());
  }
  if (s.tls_verified) {
    if (!inv.ingress_address) return {};  // no ingress: nothing is verified
    limits.push_back(Ipv4Prefix(*inv.ingress_address, 32));
  }
  auto within_limits = [&](Ipv4Address a) {
    return std::all_of(limits.begin(), limits.end(),
                       [&](const Ipv4Prefix& p) { return p.Contains(a); });
  };
  std::vector<Ipv4Prefix> out;
  if (!s.k8s_namespace.empty() || !s.pod.empty() || !s.service.empty()) {
    std::vector<Ipv4Address> hosts;
    if (!s.service.empty()) {
      for (const auto& svc : inv.services) {
        if (svc.name == s.service) hosts.push_back(svc.ip);
      }
    }
    if (!s.k8s_namespace.empty() || !s.pod.empty()) {
      std::vector<Ipv4Address> pods;
      for (const auto& p : inv.pods) {
        if (!s.k8s_namespace.empty() && p.k8s_namespace != s.k8s_namespace) continue;
        if (!s.pod.empty() && p.name != s.pod) continue;
        pods.push_back(p.ip);
      }
      if (s.service.empty()) {
        hosts = std::move(pods);
      } else {  // both: the service's instances on those pods
        std::erase_if(hosts, [&](Ipv4Address a) {
          return std::find(pods.begin(), pods.end(), a) == pods.end();
        });
      }
    }
    for (Ipv4Address a : hosts) {
      if (within_limits(a)) out.emplace_back(a, 32);
    }
  } else if (!limits.empty()) {
    std::optional<Ipv4Prefix> p = limits[0];
    for (size_t i = 1; p && i < limits.size(); ++i) p = Intersect(*p, limits[i]);
    if (p) out.push_back(*p);
  }
  std::sort(out.begin(), out.end(), [](const Ipv4Prefix& a, const Ipv4Prefix& b) {
    return a.network().value() != b.network().value() ? a.network().value() < b.network().value()
                                                      : a.length() < b.length();
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Policy FromSpec(const model::SecurityPolicySpec& spec) {
  Policy p;
  p.enforced = spec.present;
  p.default_action = spec.default_action.value == "allow" ? Action::kAllow : Action::kDeny;
  for (const auto& r : spec.rules) p.rules.push_back(RuleOf(r));
  return p;
}

Policy EffectivePolicy(const model::SecurityPolicySpec& spec, EmergencyMode mode) {
  Policy base = FromSpec(spec);
  Policy out;
  out.enforced = true;
  out.mode = mode;
  out.default_action = Action::kDeny;
  switch (mode) {
    case EmergencyMode::kNone:
      return base;
    case EmergencyMode::kMinimal:
      for (auto& r : base.rules) {
        if (r.safety_critical && r.action == Action::kAllow) out.rules.push_back(std::move(r));
      }
      return out;
    case EmergencyMode::kFailsafe:
      for (const auto& r : spec.emergency.failsafe_allow) {
        Rule rule = RuleOf(r);
        if (rule.action == Action::kAllow) out.rules.push_back(std::move(rule));
      }
      return out;
    case EmergencyMode::kDiagnostic: {
      const model::DiagnosticAccessSpec& d = spec.emergency.diagnostic;
      if (d.present) {
        Rule open;
        open.name = "emergency_diagnostic";
        open.from = SelectorOf(d.tester);
        open.ports = d.ports;
        open.protocol = d.protocol.value == "udp" ? Protocol::kUdp : Protocol::kTcp;
        open.action = Action::kAllow;
        open.origin = d.path;
        out.rules.push_back(std::move(open));
      }
      for (auto& r : base.rules) out.rules.push_back(std::move(r));
      // Without a configured policy, diagnostic mode opens ports on an
      // otherwise open vehicle: keep it open.
      out.default_action = base.enforced ? base.default_action : Action::kAllow;
      return out;
    }
  }
  return base;
}

Inventory InventoryOf(const model::Topology& topology) {
  Inventory inv;
  for (const auto& n : topology.nodes) {
    if (n.kind == model::NodeKind::kPod && n.ip) {
      inv.pods.push_back({n.name, n.k8s_namespace, *n.ip, n.parent});
    }
  }
  for (const auto& s : topology.segments) {
    if (s.kind == model::SegmentKind::kPodNet)
      inv.pod_subnets.push_back({s.owner, s.prefix.Normalized()});
    if (s.kind == model::SegmentKind::kCloud && !inv.cloud_subnet) {
      inv.cloud_subnet = s.prefix.Normalized();
      inv.cloud_gateway = s.gateway;
    }
  }
  return inv;
}

Membership Resolve(const Policy& policy, const Inventory& inventory) {
  Membership m;
  for (const auto& r : policy.rules) {
    for (const Selector* s : {&r.from, &r.to}) {
      if (s->any()) continue;
      std::string key = s->Key();
      if (!m.count(key)) m.emplace(key, Members(*s, inventory));
    }
  }
  return m;
}

bool Matches(const Membership& membership, const Selector& selector, Ipv4Address address) {
  if (selector.any()) return true;
  auto it = membership.find(selector.Key());
  if (it == membership.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const Ipv4Prefix& p) { return p.Contains(address); });
}

std::string Decision::Describe() const {
  if (rule == "no policy") {
    return origin.empty() ? "allow: no security policy is enforced" : StrCat("allow: ", origin);
  }
  return StrCat(ActionName(action), " by ", rule, origin.empty() ? "" : " (", origin,
                origin.empty() ? "" : ")");
}

Decision Evaluate(const Policy& policy, const Membership& membership, const Flow& flow) {
  if (!policy.enforced) return {Action::kAllow, "no policy", -1, ""};
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const Rule& r = policy.rules[i];
    if (!PortMatches(r, flow)) continue;
    if (!Matches(membership, r.from, flow.source)) continue;
    if (!Matches(membership, r.to, flow.destination)) continue;
    return {r.action, r.name, static_cast<int>(i), r.origin};
  }
  return {policy.default_action, "default_action", -1, ""};
}

bool Judged(const std::vector<PodSubnet>& pod_subnets, const Flow& flow) {
  return std::any_of(pod_subnets.begin(), pod_subnets.end(), [&](const PodSubnet& s) {
    return s.prefix.Contains(flow.source) || s.prefix.Contains(flow.destination);
  });
}

Decision Explain(const Policy& policy, const Membership& membership,
                 const std::vector<PodSubnet>& pod_subnets, const Flow& flow) {
  if (policy.enforced && !Judged(pod_subnets, flow)) {
    return {Action::kAllow, "no policy", -1,
            "neither end is in a pod subnet: traffic between routers is not judged"};
  }
  return Evaluate(policy, membership, flow);
}

std::vector<std::string> RulesForPair(const Policy& policy, const Membership& membership,
                                      const std::vector<PodSubnet>& pod_subnets, Ipv4Address source,
                                      Ipv4Address destination) {
  if (!policy.enforced) return {"no security policy is enforced: everything passes"};
  if (!Judged(pod_subnets, {source, destination, Protocol::kAny, 0})) {
    return {"not judged: neither end is in a pod subnet (traffic between routers)"};
  }
  std::vector<std::string> out;
  for (const auto& r : policy.rules) {
    if (!Matches(membership, r.from, source) || !Matches(membership, r.to, destination)) continue;
    std::string ports = PortsText(r.ports);
    if (!ports.empty()) ports.insert(0, " ");
    out.push_back(StrCat(r.name, ": ", ActionName(r.action), " ", ProtocolName(r.protocol), ports,
                         r.origin.empty() ? "" : StrCat(" (", r.origin, ")")));
  }
  out.push_back(StrCat("default_action: ", ActionName(policy.default_action), " everything else",
                       policy.mode == EmergencyMode::kNone
                           ? ""
                           : StrCat(" (emergency mode ", ModeName(policy.mode), ")")));
  return out;
}

}  // namespace pharos::security
