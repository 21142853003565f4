#include "plan/path_tracer.h"

#include <map>
#include <set>

#include "common/strings.h"

namespace pharos::plan {
namespace {

struct Candidate {
  int length = -1;
  bool connected = false;
  const AddressObject* local = nullptr;  // connected subnet
  const RouteObject* route = nullptr;
};

}  // namespace

PathTrace TracePath(const Plan& plan, const std::string& from_netns,
                    Ipv4Address destination) {
  std::map<std::string, std::string> component_of;
  for (const auto& ns : plan.namespaces) component_of[ns.name] = ns.component;
  std::map<uint32_t, std::string> owner_of;  // address -> netns
  for (const auto& a : plan.addresses) owner_of[a.address.value()] = a.netns;

  PathTrace trace;
  std::set<std::string> visited;
  std::string current = from_netns;
  const size_t max_hops = plan.namespaces.size() + 1;
  while (trace.hops.size() <= max_hops) {
    PathHop hop{current, component_of[current], ""};
    if (!visited.insert(current).second) {
      trace.outcome = PathTrace::Outcome::kLoop;
      trace.hops.push_back(hop);
      trace.detail = StrCat("routing loop: ", destination.ToString(),
                                  " comes back to ", hop.component);
      return trace;
    }
    if (auto it = owner_of.find(destination.value());
        it != owner_of.end() && it->second == current) {
      hop.next = "local";
      trace.hops.push_back(hop);
      trace.outcome = PathTrace::Outcome::kDelivered;
      trace.detail = StrCat("delivered to ", hop.component);
      return trace;
    }
    Candidate best;
    for (const auto& a : plan.addresses) {
      if (a.netns != current) continue;
      Ipv4Prefix subnet(a.address, a.prefix_length);
      if (subnet.Contains(destination) && a.prefix_length >= best.length) {
        best = Candidate{a.prefix_length, true, &a, nullptr};
      }
    }
    for (const auto& r : plan.routes) {
      if (r.netns != current || r.table != 254) continue;
      if (r.destination.Contains(destination) && r.destination.length() > best.length) {
        best = Candidate{r.destination.length(), false, nullptr, &r};
      }
    }
    if (best.length < 0) {
      trace.hops.push_back(hop);
      trace.outcome = PathTrace::Outcome::kNoRoute;
      trace.detail = StrCat("no route to ", destination.ToString(), " from ",
                                  hop.component);
      return trace;
    }
    Ipv4Address next_address = destination;
    if (best.connected) {
      hop.next = StrCat("connected ", best.local->ifname);
    } else if (best.route->gateway) {
      next_address = *best.route->gateway;
      hop.next = StrCat(next_address.ToString(), " via ", best.route->device);
    } else {
      hop.next = StrCat("on-link ", best.route->device);
    }
    trace.hops.push_back(hop);
    auto owner = owner_of.find(next_address.value());
    if (owner == owner_of.end()) {
      trace.outcome = PathTrace::Outcome::kNoHost;
      trace.detail = StrCat("no component has address ", next_address.ToString());
      return trace;
    }
    current = owner->second;
  }
  trace.outcome = PathTrace::Outcome::kLoop;
  trace.detail = "path longer than the number of namespaces";
  return trace;
}

}  // namespace pharos::plan
