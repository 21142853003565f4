#include "cni/cni_service.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "cni/protocol.h"
#include "common/strings.h"
#include "netlink/netns.h"
#include "netlink/socket.h"
#include "plan/naming.h"

namespace pharos::cni {
namespace {

using nlohmann::json;

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// The pod's name in the vehicle: Kubernetes' when the runtime passes it,
// otherwise derived from the container id (which is a valid name).
std::string PodName(const std::map<std::string, std::string>& args,
                    const std::string& container_id) {
  if (auto it = args.find("K8S_POD_NAME"); it != args.end() && !it->second.empty()) {
    return it->second;
  }
  return StrCat("cni-", container_id.substr(0, 12));
}

// The pod block of RequestNetworkPod, emitted (never pasted) so that no
// value from the runtime can change the document's structure.
std::string NetworkYaml(const json& conf, const std::string& ifname, const std::string& netns,
                        const std::string& ip) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (std::string ns = Text(conf, "namespace"); !ns.empty()) {
    out << YAML::Key << "namespace" << YAML::Value << ns;
  }
  out << YAML::Key << "networking" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << "cni";
  out << YAML::Key << "subnet" << YAML::Value << Text(conf, "subnet");
  out << YAML::Key << "interface" << YAML::Value << ifname;
  out << YAML::Key << "netns" << YAML::Value << netns;
  if (!ip.empty()) out << YAML::Key << "ip" << YAML::Value << ip;
  out << YAML::EndMap << YAML::EndMap;
  return out.c_str();
}

std::string NodeYaml(const std::string& vm) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << vm << YAML::EndMap;
  return out.c_str();
}

// A refusal of RequestNetworkPod as the CNI error a runtime understands.
json Refusal(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAlreadyExists:
      return ErrorAnswer(kAddressUnavailable, "no address for this container",
                         std::string(s.message()));
    case absl::StatusCode::kNotFound:
      return ErrorAnswer(kInvalidNetworkConfig,
                         "\"vm\" names no VM of the applied vehicle configuration",
                         std::string(s.message()));
    case absl::StatusCode::kFailedPrecondition:
      return ErrorAnswer(kTryAgainLater, "pharosd cannot set pods up yet",
                         std::string(s.message()));
    default:
      return ErrorAnswer(kInvalidNetworkConfig, "invalid network configuration for Pharos",
                         std::string(s.message()));
  }
}

struct InterfaceState {
  std::string mac;
  bool up = false;
  std::vector<std::string> addresses;  // "10.2.1.5/24"
};

// The interface as the kernel has it, inside the pod's namespace.
absl::StatusOr<InterfaceState> Inspect(const std::string& ns, const std::string& ifname) {
  absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(ns);
  if (!inside.ok()) return inside.status();
  absl::StatusOr<std::unique_ptr<netlink::Socket>> socket = netlink::Socket::Open();
  if (!socket.ok()) return socket.status();
  std::optional<netlink::Link> link;
  netlink::Request links = netlink::DumpLinks();
  absl::Status s = (*socket)->Dump(links, [&](const nlmsghdr* m) {
    if (auto l = netlink::ParseLink(m); l && l->name == ifname) link = *l;
  });
  if (!s.ok()) return s;
  if (!link) return absl::NotFoundError(StrCat("no interface ", ifname, " in the namespace"));
  InterfaceState state{link->mac, link->admin_up, {}};
  netlink::Request addresses = netlink::DumpAddresses();
  s = (*socket)->Dump(addresses, [&](const nlmsghdr* m) {
    auto a = netlink::ParseAddress(m);
    if (a && a->ifindex == link->index) {
      state.addresses.push_back(StrCat(a->address.ToString(), "/", a->prefix_length));
    }
  });
  if (!s.ok()) return s;
  return state;
}

}  // namespace

struct CniService::Call {
  std::string command, container_id, netns, ifname, version;
  std::map<std::string, std::string> args;
  json config;
};

CniService::CniService(core::PodManager& pods, core::ConfigController& controller,
                       CniServiceOptions options)
    : pods_(pods), controller_(controller), options_(std::move(options)) {}

json CniService::Handle(const json& request) {
  Call call;
  call.command = Text(request, "command");
  call.container_id = Text(request, "containerId");
  call.netns = Text(request, "netns");
  call.ifname = Text(request, "ifname");
  call.args = ParseCniArgs(Text(request, "args"));
  call.config = request.value("config", json::object());
  if (call.command == "STATUS") return Status();
  if (!call.config.is_object()) {
    return ErrorAnswer(kDecodingFailure, "the network configuration is not a JSON object");
  }
  call.version = Text(call.config, "cniVersion");
  if (!IsSupportedVersion(call.version)) {
    return ErrorAnswer(kIncompatibleVersion,
                       StrCat("cniVersion '", call.version, "' is not supported"),
                       "pharos-cni writes results for 0.3.0, 0.3.1, 0.4.0 and 1.0.0");
  }
  if (call.container_id.empty()) {
    return ErrorAnswer(kInvalidEnvironment, "CNI_CONTAINERID is required");
  }
  if (call.ifname.empty()) return ErrorAnswer(kInvalidEnvironment, "CNI_IFNAME is required");
  if (call.command == "ADD") return Add(call);
  if (call.command == "CHECK") return Check(call);
  if (call.command == "DEL") return Del(call);
  return ErrorAnswer(kInvalidEnvironment, StrCat("unknown CNI_COMMAND '", call.command, "'"),
                     "pharos-cni knows ADD, CHECK, DEL, STATUS and VERSION");
}

json CniService::Status() {
  if (!options_.builds_dataplane) {
    return ErrorAnswer(kPluginNotAvailable,
                       "pharosd runs with --dataplane=plan: it builds nothing");
  }
  if (controller_.TopologySnapshot()->nodes.empty()) {
    return ErrorAnswer(kPluginNotAvailable, "no vehicle configuration is applied yet");
  }
  return {{"code", 0}};
}

json CniService::Add(const Call& call) {
  if (!options_.builds_dataplane) {
    return ErrorAnswer(kTryAgainLater, "pharosd runs with --dataplane=plan: it builds nothing",
                       "start pharosd with --dataplane=emulated or host");
  }
  if (call.netns.empty()) return ErrorAnswer(kInvalidEnvironment, "CNI_NETNS is required for ADD");
  for (const char* key : {"vm", "subnet"}) {
    if (Text(call.config, key).empty()) {
      return ErrorAnswer(kInvalidNetworkConfig,
                         StrCat("the network configuration needs \"", key, "\""),
                         "\"vm\": the VM (node name) that hosts this runtime; \"subnet\": the "
                         "pod subnet to take the address from");
    }
  }
  std::string pod = PodName(call.args, call.container_id);
  if (std::string why = pods_.NetnsRefusal(call.netns, pod); !why.empty()) {
    return ErrorAnswer(kInvalidEnvironment, StrCat("CNI_NETNS ", call.netns, " ", why),
                       "give the runtime's own namespace of this container");
  }
  auto ip = call.args.find("IP");
  core::PodRequestAnswer answer = pods_.Request(
      NodeYaml(Text(call.config, "vm")), pod,
      NetworkYaml(call.config, call.ifname, call.netns, ip == call.args.end() ? "" : ip->second),
      {call.container_id});
  if (!answer.status.ok()) return Refusal(answer.status);
  if (absl::Status done = pods_.Await(answer.request_id, options_.timeout); !done.ok()) {
    return ErrorAnswer(kSetupFailed, StrCat("pharosd could not set pod ", pod, " up"),
                       std::string(done.message()));
  }
  return {{"code", 0}, {"result", Result(call, pod)}};
}

json CniService::Result(const Call& call, const std::string& pod) {
  std::shared_ptr<const model::Topology> applied = controller_.TopologySnapshot();
  const model::Topology& topo = *applied;
  const model::TopologyNode* node = topo.FindNode(pod);
  const model::Segment* seg = node ? topo.FindSegment(node->uplink_segment) : nullptr;
  json result = {{"cniVersion", call.version}};
  if (!node || !seg || !node->ip) return result;  // removed meanwhile: nothing to describe
  std::string ns = plan::NamespaceName(options_.interface_prefix, pod);
  json iface = {{"name", call.ifname}, {"sandbox", call.netns}};
  if (auto state = Inspect(ns, call.ifname); state.ok() && !state->mac.empty()) {
    iface["mac"] = state->mac;
  }
  result["interfaces"] = json::array({iface});
  json ip = {{"address", StrCat(node->ip->ToString(), "/", seg->prefix.length())},
             {"gateway", seg->gateway.ToString()},
             {"interface", 0}};
  if (call.version != kLatestVersion) ip["version"] = "4";  // before 1.0.0
  result["ips"] = json::array({ip});
  result["routes"] = json::array();
  for (const auto& r : controller_.CurrentPlan().routes) {
    if (r.netns != ns || r.table != 254) continue;
    json route = {{"dst", r.destination.ToString()}};
    if (r.gateway) route["gw"] = r.gateway->ToString();
    result["routes"].push_back(route);
  }
  result["dns"] = json::object();
  return result;
}

std::optional<core::PodLease> CniService::LeaseOf(const std::string& container_id) {
  absl::StatusOr<std::vector<core::PodLease>> leases = pods_.Leases();
  if (!leases.ok()) return std::nullopt;
  for (const auto& l : *leases) {
    if (l.container_id == container_id) return l;
  }
  return std::nullopt;
}

json CniService::Check(const Call& call) {
  std::optional<core::PodLease> lease = LeaseOf(call.container_id);
  if (!lease) {
    return ErrorAnswer(kUnknownContainer,
                       StrCat("pharosd set nothing up for container ", call.container_id));
  }
  if (lease->state != store::PodState::kReady) {
    return ErrorAnswer(kTryAgainLater,
                       StrCat("pod ", lease->pod, " is ", store::PodStateName(lease->state)));
  }
  std::string want = StrCat(lease->ip, "/", Ipv4Prefix::Parse(lease->subnet)->length());
  const json& prev = call.config.value("prevResult", json::object());
  bool listed = false;
  if (prev.contains("ips") && prev["ips"].is_array()) {
    for (const auto& ip : prev["ips"]) listed |= Text(ip, "address") == want;
  }
  if (!listed) {
    return ErrorAnswer(kCheckFailed, StrCat("prevResult does not list ", want),
                       "CHECK needs the result of the ADD as prevResult");
  }
  std::string ns = plan::NamespaceName(options_.interface_prefix, lease->pod);
  absl::StatusOr<InterfaceState> state = Inspect(ns, call.ifname);
  if (!state.ok()) {
    return ErrorAnswer(kCheckFailed, StrCat("pod ", lease->pod, ": ", state.status().message()));
  }
  if (!state->up) {
    return ErrorAnswer(kCheckFailed, StrCat(call.ifname, " of pod ", lease->pod, " is down"));
  }
  if (std::find(state->addresses.begin(), state->addresses.end(), want) == state->addresses.end()) {
    return ErrorAnswer(kCheckFailed,
                       StrCat(call.ifname, " of pod ", lease->pod, " lacks its address ", want));
  }
  return {{"code", 0}};
}

json CniService::Del(const Call& call) {
  std::optional<core::PodLease> lease = LeaseOf(call.container_id);
  if (!lease) return {{"code", 0}};  // nothing of it here: DEL is idempotent
  core::PodRequestAnswer answer =
      pods_.Request(NodeYaml(lease->vm), lease->pod, "remove: true", {call.container_id});
  if (absl::IsNotFound(answer.status)) return {{"code", 0}};
  if (!answer.status.ok()) {
    return ErrorAnswer(kTryAgainLater, "pharosd cannot remove the pod now",
                       std::string(answer.status.message()));
  }
  if (absl::Status done = pods_.Await(answer.request_id, options_.timeout); !done.ok()) {
    return ErrorAnswer(kIoFailure, StrCat("pod ", lease->pod, " was not removed cleanly"),
                       std::string(done.message()));
  }
  return {{"code", 0}};
}

}  // namespace pharos::cni
