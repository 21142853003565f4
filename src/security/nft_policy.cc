#include "security/nft_policy.h"

#include <algorithm>
#include <optional>

#include "common/strings.h"
#include "common/text.h"
#include "plan/naming.h"

namespace pharos::security {
namespace {

// nft strings (comments, log prefixes): printable, no quotes, bounded.
std::string Sanitize(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ':' || c == '=' || c == ',' || c == '/';
    out += ok ? c : '_';
  }
  return out;
}

std::string Elements(const std::vector<Ipv4Prefix>& members) {
  std::string out;
  for (const auto& p : members) {
    StrAppend(&out, out.empty() ? "" : ", ",
              p.length() == 32 ? p.network().ToString() : p.Normalized().ToString());
  }
  return out;
}

std::string PortSet(const std::vector<model::PortRange>& ports) {
  std::string out;
  for (const auto& p : ports) {
    StrAppend(&out, out.empty() ? "" : ", ", p.first);
    if (p.last != p.first) StrAppend(&out, "-", p.last);
  }
  return ports.size() == 1 && ports[0].first == ports[0].last ? out : StrCat("{ ", out, " }");
}

struct SetDef {
  std::string name;
  std::string comment;
  bool interval = false;
  std::string elements;
};

std::string SetsDigestOf(const std::vector<SetDef>& sets) {
  std::string text;
  for (const auto& s : sets) StrAppend(&text, s.name, "=", s.elements, ";");
  return Sha256Hex(text);
}

// Selectors whose members never change without a new policy or vehicle
// (cidr, cloud side, ingress) are written inline; the others (namespace,
// pod, service) become named sets whose elements follow the pods.
bool Dynamic(const Selector& s) {
  return !s.k8s_namespace.empty() || !s.pod.empty() || !s.service.empty();
}

// "ip saddr @m0 ", "ip saddr 10.0.0.0/8 ", "" for any; nullopt: matches nothing.
std::optional<std::string> AddressMatch(const char* field, const Selector& s,
                                        const std::map<std::string, std::string>& set_of,
                                        const Membership& membership) {
  if (s.any()) return "";
  if (Dynamic(s)) return StrCat("ip ", field, " @", set_of.at(s.Key()), " ");
  auto members = membership.find(s.Key());
  if (members == membership.end() || members->second.empty()) return std::nullopt;
  std::string elements = Elements(members->second);
  return members->second.size() == 1 ? StrCat("ip ", field, " ", elements, " ")
                                     : StrCat("ip ", field, " { ", elements, " } ");
}

std::string RuleText(const Rule& r, const std::map<std::string, std::string>& set_of,
                     const Membership& membership, const CompileOptions& options) {
  std::optional<std::string> from = AddressMatch("saddr", r.from, set_of, membership);
  std::optional<std::string> to = AddressMatch("daddr", r.to, set_of, membership);
  if (!from || !to) {
    // Nothing can match (e.g. `external` on a vehicle without a cloud side).
    return StrCat("# ", Sanitize(r.name, 120), ": its selectors match no address");
  }
  std::string text = *from + *to;
  switch (r.protocol) {
    case Protocol::kTcp:
    case Protocol::kUdp:
      if (r.ports.empty()) {
        StrAppend(&text, "meta l4proto ", ProtocolName(r.protocol), " ");
      } else {
        StrAppend(&text, ProtocolName(r.protocol), " dport ", PortSet(r.ports), " ");
      }
      break;
    case Protocol::kIcmp:
      StrAppend(&text, "meta l4proto icmp ");
      break;
    case Protocol::kAny:
      break;
  }
  StrAppend(&text, "counter ");
  if (r.action == Action::kAllow) {
    StrAppend(&text, "accept");
  } else {
    StrAppend(&text, "log prefix \"", LogPrefix(r.name), "\" group ", options.nflog_group, " drop");
  }
  StrAppend(&text, " comment \"", Sanitize(r.name, 120), "\"");
  return text;
}

}  // namespace

std::vector<EnforcementPoint> EnforcementPoints(const std::vector<PodSubnet>& pod_subnets,
                                                const plan::NodeNamespaces& namespaces) {
  std::vector<EnforcementPoint> points;
  for (const auto& subnet : pod_subnets) {
    auto it = std::find_if(points.begin(), points.end(),
                           [&](const EnforcementPoint& p) { return p.vm == subnet.vm; });
    if (it == points.end()) {
      std::optional<std::string> netns = namespaces.Of(subnet.vm);
      if (!netns) continue;
      points.push_back({subnet.vm, *netns, {}});
      it = points.end() - 1;
    }
    it->local_subnets.push_back(subnet.prefix);
  }
  return points;
}

std::string LogPrefix(const std::string& rule_name) {
  // NFLOG prefixes are at most 64 bytes with the terminating NUL.
  return StrCat("ph:", Sanitize(rule_name, 60));
}

std::string RuleFromLogPrefix(std::string_view prefix) {
  if (prefix.substr(0, 3) != "ph:") return "";
  return std::string(prefix.substr(3));
}

CompiledPolicy CompilePolicy(const Policy& policy, const Membership& membership,
                             const EnforcementPoint& point,
                             const std::vector<Ipv4Prefix>& all_pod_subnets,
                             const CompileOptions& options) {
  std::vector<SetDef> sets;
  sets.push_back({"local_pods", "pod subnets judged here", true, Elements(point.local_subnets)});
  sets.push_back({"all_pods", "pod subnets of the vehicle", true, Elements(all_pod_subnets)});
  std::map<std::string, std::string> set_of;  // selector key -> set name
  for (const auto& r : policy.rules) {
    for (const Selector* s : {&r.from, &r.to}) {
      if (!Dynamic(*s)) continue;
      std::string key = s->Key();
      if (set_of.count(key)) continue;
      std::string name = StrCat("m", set_of.size());
      set_of.emplace(key, name);
      auto members = membership.find(key);
      sets.push_back({name, Sanitize(key, 120), true,
                      members == membership.end() ? "" : Elements(members->second)});
    }
  }

  std::string rules;
  for (const auto& r : policy.rules) {
    StrAppend(&rules, "    ", RuleText(r, set_of, membership, options), "\n");
  }
  bool deny = policy.default_action == Action::kDeny;
  std::string fallback =
      deny ? StrCat("counter log prefix \"", LogPrefix("default_action"), "\" group ",
                    options.nflog_group, " drop comment \"default_action\"")
           : "counter accept comment \"default_action\"";

  CompiledPolicy out;
  std::string layout;
  for (const auto& s : sets) StrAppend(&layout, s.name, s.interval ? "i" : "", ";");
  out.rules_digest = Sha256Hex(StrCat(layout, "|", rules, "|", fallback, "|", options.nflog_group));
  out.members_digest = SetsDigestOf(sets);

  std::string table = StrCat("inet ", kPolicyTable);
  // Remove and create again in the same buffer: one transaction.
  std::string text = StrCat(RemovePolicyText(), "table ", table, " {\n");
  for (const auto& s : sets) {
    StrAppend(&text, "  set ", s.name, " {\n    type ipv4_addr\n");
    if (s.interval) StrAppend(&text, "    flags interval\n    auto-merge\n");
    StrAppend(&text, "    comment \"", s.comment, "\"\n");
    if (!s.elements.empty()) StrAppend(&text, "    elements = { ", s.elements, " }\n");
    StrAppend(&text, "  }\n");
  }
  StrAppend(&text,
            "  chain forward {\n"
            "    type filter hook forward priority filter; policy accept;\n"
            "    ct state established,related accept\n"
            // Pods speak IPv4 only: other families follow the default, unlogged.
            "    meta nfproto ipv6 ",
            deny ? "drop" : "accept", "\n",
            "    ip daddr @local_pods jump judge\n"
            "    ip saddr @local_pods ip daddr != @all_pods jump judge\n"
            "  }\n"
            "  chain judge {\n",
            rules, "    ", fallback, "\n  }\n}\n");
  out.replace_text = std::move(text);

  for (const auto& s : sets) {
    StrAppend(&out.sets_text, "flush set ", table, " ", s.name, "\n");
    if (!s.elements.empty()) {
      StrAppend(&out.sets_text, "add element ", table, " ", s.name, " { ", s.elements, " }\n");
    }
  }
  return out;
}

std::string RemovePolicyText() {
  std::string table = StrCat("inet ", kPolicyTable);
  return StrCat("table ", table, " {}\ndelete table ", table, "\n");
}

}  // namespace pharos::security
