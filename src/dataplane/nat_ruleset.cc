#include "dataplane/nat_ruleset.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/text.h"

namespace pharos::dataplane {
namespace {

using nlohmann::json;

json Table() { return {{"family", "ip"}, {"name", kNatTable}}; }

json AddressMatch(const char* field, const Ipv4Prefix& prefix) {
  json right = prefix.length() == 32
                   ? json(prefix.network().ToString())
                   : json{{"prefix", {{"addr", prefix.network().ToString()}, {"len", prefix.length()}}}};
  return {{"match",
           {{"op", "=="},
            {"left", {{"payload", {{"protocol", "ip"}, {"field", field}}}}},
            {"right", right}}}};
}

json PortMatch(const std::string& protocol, int port) {
  return {{"match",
           {{"op", "=="},
            {"left", {{"payload", {{"protocol", protocol}, {"field", "dport"}}}}},
            {"right", port}}}};
}

json ProtocolMatch(const std::string& protocol) {
  return {{"match",
           {{"op", "=="},
            {"left", {{"meta", {{"key", "l4proto"}}}}},
            {"right", protocol}}}};
}

json RuleOf(const plan::NatObject& n, const std::string& fingerprint) {
  json expr = json::array();
  if (n.source) expr.push_back(AddressMatch("saddr", *n.source));
  if (n.destination) expr.push_back(AddressMatch("daddr", *n.destination));
  if (!n.protocol.empty()) {
    expr.push_back(n.port > 0 ? PortMatch(n.protocol, n.port) : ProtocolMatch(n.protocol));
  }
  if (!n.out_device.empty() && n.type != "dnat") {
    expr.push_back({{"match",
                     {{"op", "=="}, {"left", {{"meta", {{"key", "oifname"}}}}},
                      {"right", n.out_device}}}});
  }
  expr.push_back({{"counter", nullptr}});
  if (n.type == "masquerade") {
    expr.push_back({{"masquerade", nullptr}});
  } else {
    json target = {{"addr", n.to_address ? n.to_address->ToString() : ""}};
    int port = n.to_port > 0 ? n.to_port : n.port;
    if (port > 0 && !n.protocol.empty()) target["port"] = port;
    expr.push_back({{n.type, target}});
  }
  return {{"rule",
           {{"family", "ip"}, {"table", kNatTable},
            {"chain", n.type == "dnat" ? "prerouting" : "postrouting"},
            {"comment", StrCat("pharos:", n.name, ":", fingerprint)},
            {"expr", expr}}}};
}

json Chain(const char* name, const char* hook, int priority) {
  return {{"chain",
           {{"family", "ip"}, {"table", kNatTable}, {"name", name}, {"type", "nat"},
            {"hook", hook}, {"prio", priority}, {"policy", "accept"}}}};
}

}  // namespace

std::string NatFingerprint(const std::vector<plan::NatObject>& nats) {
  std::string text;
  for (const auto& n : nats) {
    StrAppend(&text, n.name, "|", n.type, "|", n.source ? n.source->ToString() : "", "|",
              n.destination ? n.destination->ToString() : "", "|", n.protocol, "|", n.port, "|",
              n.to_address ? n.to_address->ToString() : "", "|", n.to_port, "|", n.out_device,
              ";");
  }
  return Sha256Hex(text).substr(0, 16);
}

std::string NatRulesetJson(const std::vector<plan::NatObject>& nats) {
  std::string fingerprint = NatFingerprint(nats);
  json commands = json::array();
  commands.push_back({{"add", {{"table", Table()}}}});
  commands.push_back({{"delete", {{"table", Table()}}}});
  commands.push_back({{"add", {{"table", Table()}}}});
  commands.push_back({{"add", Chain("prerouting", "prerouting", -100)}});
  commands.push_back({{"add", Chain("postrouting", "postrouting", 100)}});
  for (const auto& n : nats) commands.push_back({{"add", RuleOf(n, fingerprint)}});
  return json{{"nftables", commands}}.dump();
}

std::string NatDeleteJson() {
  json commands = json::array();
  commands.push_back({{"add", {{"table", Table()}}}});
  commands.push_back({{"delete", {{"table", Table()}}}});
  return json{{"nftables", commands}}.dump();
}

}  // namespace pharos::dataplane
