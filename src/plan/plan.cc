#include "plan/plan.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace pharos::plan {

std::string KeyOf(const NamespaceObject& o) { return StrCat("netns/", o.name); }
std::string KeyOf(const BridgeObject& o) {
  return StrCat("bridge/", o.netns, "/", o.name);
}
std::string KeyOf(const VethObject& o) {
  return StrCat("veth/", o.netns, "/", o.name);
}
std::string KeyOf(const AddressObject& o) {
  return StrCat("addr/", o.netns, "/", o.ifname, "/", o.address.ToString(), "/",
                      o.prefix_length);
}
std::string KeyOf(const RouteObject& o) {
  return StrCat("route/", o.netns, "/", o.table, "/", o.destination.ToString());
}
std::string KeyOf(const RuleObject& o) {
  return StrCat("rule/", o.netns, "/", o.priority);
}
std::string KeyOf(const NatObject& o) { return StrCat("nat/", o.netns, "/", o.name); }

namespace {

std::string RouteText(const RouteObject& r) {
  std::string s = StrCat("route ", r.destination.length() == 0
                                             ? "default"
                                             : r.destination.ToString());
  if (r.gateway) StrAppend(&s, " via ", r.gateway->ToString());
  StrAppend(&s, " dev ", r.device);
  if (r.table != 254) StrAppend(&s, " table ", r.table);
  if (r.metric) StrAppend(&s, " metric ", r.metric);
  StrAppend(&s, "  [", r.origin, "]");
  return s;
}

std::string NatText(const NatObject& n) {
  std::string s = StrCat("nat ", n.name, " ", n.type);
  if (n.source) StrAppend(&s, " from ", n.source->ToString());
  if (n.destination) StrAppend(&s, " to ", n.destination->ToString());
  if (!n.protocol.empty()) StrAppend(&s, " ", n.protocol);
  if (n.port) StrAppend(&s, " port ", n.port);
  if (!n.out_device.empty()) StrAppend(&s, " oif ", n.out_device);
  if (n.to_address) StrAppend(&s, " -> ", n.to_address->ToString());
  if (n.to_port) StrAppend(&s, ":", n.to_port);
  return s;
}

}  // namespace

std::string FormatPlanText(const Plan& plan) {
  std::string out;
  for (const auto& ns : plan.namespaces) {
    StrAppend(&out, "netns ", ns.name, " (", ns.component, ")",
              ns.forwarding ? " forwarding" : "",
              ns.attach_to.empty() ? "" : StrCat(" attached to ", ns.attach_to), "\n");
    for (const auto& b : plan.bridges) {
      if (b.netns == ns.name) StrAppend(&out, "  bridge ", b.name, "\n");
    }
    for (const auto& v : plan.veths) {
      if (v.netns != ns.name) continue;
      StrAppend(&out, "  veth ", v.name, v.master.empty() ? "" : " master ", v.master, " <-> ",
                v.peer_netns, ":", v.peer,
                v.peer_mac ? StrCat(" mac ", v.peer_mac->ToString()) : "", "\n");
    }
    for (const auto& a : plan.addresses) {
      if (a.netns != ns.name) continue;
      StrAppend(&out, "  address ", a.address.ToString(), "/", a.prefix_length,
                      " dev ", a.ifname, "\n");
    }
    for (const auto& r : plan.routes) {
      if (r.netns == ns.name) StrAppend(&out, "  ", RouteText(r), "\n");
    }
    for (const auto& r : plan.rules) {
      if (r.netns != ns.name) continue;
      StrAppend(&out, "  rule ", r.priority, ": from ", r.source.ToString(), " to ",
                      r.destination.ToString(), " lookup ", r.table, "  [", r.origin,
                      "]\n");
    }
    for (const auto& n : plan.nats) {
      if (n.netns == ns.name) StrAppend(&out, "  ", NatText(n), "\n");
    }
  }
  return out;
}

std::string FormatPlanJson(const Plan& plan, int indent) {
  using nlohmann::json;
  json j;
  j["interface_prefix"] = plan.interface_prefix;
  j["namespaces"] = json::array();
  for (const auto& o : plan.namespaces) {
    json n = {{"name", o.name}, {"component", o.component}, {"forwarding", o.forwarding}};
    if (!o.attach_to.empty()) n["attach_to"] = o.attach_to;
    j["namespaces"].push_back(std::move(n));
  }
  j["bridges"] = json::array();
  for (const auto& o : plan.bridges) {
    j["bridges"].push_back(
        {{"netns", o.netns}, {"name", o.name}, {"component", o.component}});
  }
  j["veths"] = json::array();
  for (const auto& o : plan.veths) {
    j["veths"].push_back({{"netns", o.netns},
                          {"name", o.name},
                          {"master", o.master},
                          {"peer_netns", o.peer_netns},
                          {"peer", o.peer},
                          {"component", o.component}});
    if (o.peer_mac) j["veths"].back()["peer_mac"] = o.peer_mac->ToString();
  }
  j["addresses"] = json::array();
  for (const auto& o : plan.addresses) {
    j["addresses"].push_back({{"netns", o.netns},
                              {"ifname", o.ifname},
                              {"address", StrCat(o.address.ToString(), "/",
                                                       o.prefix_length)},
                              {"component", o.component}});
  }
  j["routes"] = json::array();
  for (const auto& o : plan.routes) {
    j["routes"].push_back({{"netns", o.netns},
                           {"destination", o.destination.ToString()},
                           {"gateway", o.gateway ? o.gateway->ToString() : ""},
                           {"device", o.device},
                           {"table", o.table},
                           {"metric", o.metric},
                           {"origin", o.origin},
                           {"component", o.component}});
  }
  j["rules"] = json::array();
  for (const auto& o : plan.rules) {
    j["rules"].push_back({{"netns", o.netns},
                          {"from", o.source.ToString()},
                          {"to", o.destination.ToString()},
                          {"table", o.table},
                          {"priority", o.priority},
                          {"origin", o.origin},
                          {"component", o.component}});
  }
  j["nat"] = json::array();
  for (const auto& o : plan.nats) {
    j["nat"].push_back({{"netns", o.netns},
                        {"name", o.name},
                        {"type", o.type},
                        {"source", o.source ? o.source->ToString() : ""},
                        {"destination", o.destination ? o.destination->ToString() : ""},
                        {"protocol", o.protocol},
                        {"port", o.port},
                        {"to_address", o.to_address ? o.to_address->ToString() : ""},
                        {"to_port", o.to_port},
                        {"out_device", o.out_device},
                        {"component", o.component}});
  }
  j["components"] = json::array();
  for (const auto& c : plan.components) {
    j["components"].push_back({{"name", c.name},
                               {"type", c.type},
                               {"netns", c.netns},
                               {"ip", c.ip},
                               {"connected_to", c.connected_to}});
  }
  return j.dump(indent);
}

}  // namespace pharos::plan
