// The vehicle model: what the YAML documents say, with where they said it.
// The parser fills these; the validator checks them; the planner turns a
// valid model into a plan. Fields keep their source text and position so
// every finding can point at the line a person has to fix.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ipv4.h"
#include "model/findings.h"

namespace pharos::model {

struct TextField {
  std::string value;
  std::string path;  // YAML path of this field
  Mark mark;
  bool present = false;
};

struct AddressField : TextField {
  std::optional<Ipv4Address> address;  // set when present and well-formed
};

struct PrefixField : TextField {
  std::optional<Ipv4Prefix> prefix;  // set when present and well-formed
};

struct IntField : TextField {
  std::optional<int64_t> number;
};

// A service a pod offers (used by discovery and policy in later issues).
struct ServicePortSpec {
  std::string path;
  Mark mark;
  TextField name;
  IntField port;
  TextField protocol;  // tcp | udp
  TextField kind;      // grpc | rest | someip | dds (registry protocol); default by transport
};

struct PodSpec {
  std::string path;
  Mark mark;
  TextField name;
  TextField k8s_namespace;    // logical namespace, used by policy selectors
  TextField networking_type;  // cni (IPAM) | static
  PrefixField subnet;
  AddressField ip;       // static address (optional for cni)
  AddressField gateway;  // VM-side address on the pod bridge
  TextField bridge;      // pod bridge name (before prefixing)
  TextField interface;   // interface name inside the pod (default eth0)
  TextField netns;       // a runtime's namespace (path) to wire instead of a new one
  std::vector<ServicePortSpec> services;
};

// A pod bridge without pods of its own yet: a network set up at run time
// by name (Pullpiri's SetupNetwork). Never read from the YAML; the
// controller adds the stored ones to the document it plans.
struct PodNetworkSpec {
  std::string path;
  Mark mark;
  std::string name;  // the network's
  PrefixField subnet;
  TextField bridge;  // its bridge (before prefixing)
};

struct VmSpec {
  std::string path;
  Mark mark;
  TextField name;
  AddressField ip;
  PrefixField subnet;
  AddressField gateway;  // SoC-side address on the VM bridge
  TextField bridge;      // VM bridge name in the SoC (before prefixing)
  std::vector<PodSpec> pods;
  std::vector<PodNetworkSpec> pod_networks;  // runtime networks, after the pods
};

struct SocSpec {
  std::string path;
  Mark mark;
  TextField name;
  AddressField ip;
  PrefixField subnet;
  AddressField gateway;  // backbone gateway (vehicle side)
  std::vector<VmSpec> vms;
};

struct RouteSpec {
  std::string path;
  Mark mark;
  PrefixField from;
  PrefixField to;
  AddressField gateway;
  TextField node;  // install only on this node (optional)
  IntField metric;
  IntField table;  // policy routing: route in this table + rule "from F to T"
};

struct NatSpec {
  std::string path;
  Mark mark;
  TextField name;
  TextField type;  // snat | dnat | masquerade
  TextField node;  // where the rule lives: a SoC, VM or "vehicle"
  PrefixField source;
  PrefixField destination;
  TextField protocol;  // tcp | udp (dnat with ports)
  IntField port;
  AddressField to_address;
  IntField to_port;
  TextField out_interface;  // masquerade: "cloud" or "backbone" (optional)
};

struct CloudEndpointSpec {
  std::string path;
  Mark mark;
  TextField name;
  AddressField ip;
};

struct CloudSpec {
  bool present = false;
  std::string path;
  Mark mark;
  PrefixField subnet;
  AddressField gateway;  // vehicle side of the cloud bridge
  std::vector<CloudEndpointSpec> endpoints;
};

struct VehicleSpec {
  bool present = false;
  std::string path;
  Mark mark;
  TextField name;
  std::vector<SocSpec> socs;
  std::vector<RouteSpec> routes;
  std::vector<NatSpec> nat;
  CloudSpec cloud;
};

struct PolicySelector {
  bool present = false;
  std::string path;
  Mark mark;
  TextField k8s_namespace;
  TextField pod;
  TextField service;
  PrefixField cidr;
  std::optional<bool> external;
  std::optional<bool> tls_verified;
};

struct PortRange {
  int first = 0;
  int last = 0;
};

struct PolicyRuleSpec {
  std::string path;
  Mark mark;
  TextField name;
  PolicySelector from;
  PolicySelector to;
  std::vector<PortRange> ports;
  TextField protocol;  // tcp | udp | icmp | any
  TextField action;    // allow | deny
  // Kept in emergency mode `minimal` (spec extension; default false).
  std::optional<bool> safety_critical;
};

// Emergency modes (EmergencyNetworkMode): what each mode lets through.
struct DiagnosticAccessSpec {
  bool present = false;
  std::string path;
  Mark mark;
  PolicySelector tester;           // who may reach the diagnostic ports
  std::vector<PortRange> ports;    // opened to every pod
  TextField protocol;              // tcp (default) | udp
};

struct EmergencySpec {
  bool present = false;
  std::string path;
  Mark mark;
  std::vector<PolicyRuleSpec> failsafe_allow;  // the only flows left in `failsafe`
  DiagnosticAccessSpec diagnostic;
};

struct SecurityPolicySpec {
  bool present = false;
  std::string path;
  Mark mark;
  TextField default_action;  // allow | deny
  std::vector<PolicyRuleSpec> rules;
  EmergencySpec emergency;
};

// Eclipse Pullpiri names networks (its Network artifact's metadata.name)
// and leaves addressing to Pharos: this optional section says where each
// named network goes (docs/pullpiri.md). Unmapped names get the defaults.
struct PullpiriNetworkSpec {
  std::string path;
  Mark mark;
  TextField name;                         // the network's name in Pullpiri's artifacts
  TextField vm;                           // the VM it lives on (default: the scenario's node)
  PrefixField subnet;                     // its pod subnet (default: the VM's first)
  TextField k8s_namespace;                // the pods' namespace, for policy selectors
  std::vector<ServicePortSpec> services;  // what every pod of it offers
};

struct PullpiriSpec {
  bool present = false;
  std::string path;
  Mark mark;
  std::vector<PullpiriNetworkSpec> networks;
  // The mapped network named `name`, or null.
  const PullpiriNetworkSpec* Find(std::string_view name) const {
    for (const auto& n : networks) {
      if (n.name.value == name) return &n;
    }
    return nullptr;
  }
};

// One configuration document: a vehicle, a policy, or both (and the
// optional Pullpiri mapping).
struct ConfigDocument {
  VehicleSpec vehicle;
  SecurityPolicySpec policy;
  PullpiriSpec pullpiri;
};

// node_yaml of RequestNetworkPod: the spec's form ({name, ip, ...}) or
// Pullpiri's Node artifact (kind: Node, metadata.name, spec.ip_address).
struct NodeSpec {
  std::string name;
  std::optional<Ipv4Address> ip;
  std::string role;
  std::string hostname;
  std::string cluster_id;
  bool pullpiri_artifact = false;
};

}  // namespace pharos::model
