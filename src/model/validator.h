// Semantic validation of a parsed configuration: the rules an engineer
// would check by hand (addresses in their subnets, no overlaps, routes
// that can work, references that resolve, names the kernel accepts).
// Each rule reports findings with path, position and a recommendation.
#pragma once

#include <string>

#include "model/config_parser.h"
#include "model/topology.h"

namespace pharos::model {

struct ValidatorOptions {
  // Prefix Pharos puts in front of every interface it creates ("ph-").
  std::string interface_prefix = "ph-";
  // When the document holds only a security policy, references are
  // checked against this vehicle (the current configuration), if given.
  const Topology* reference_vehicle = nullptr;
  // Planned pod addresses to keep (see BuildTopology).
  const PlannedAddresses* preferred_addresses = nullptr;
  // Pods of the vehicle, runtime pods included (pharosd --max-pods).
  size_t max_pods = 8192;
};

inline constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1
inline constexpr size_t kMaxPrefixLength = 6;
// Counts per vehicle (docs/configuration.md, "Limits"): far above any
// vehicle, low enough that one document cannot make pharosd plan for
// minutes. Pods have a flag, the others do not need one.
inline constexpr size_t kMaxSocs = 256;
inline constexpr size_t kMaxVms = 2048;
inline constexpr size_t kMaxNatRules = 1024;
inline constexpr size_t kMaxRoutes = 4096;
inline constexpr size_t kMaxServicesPerPod = 64;
inline constexpr size_t kMaxNetnsPath = 255;

// Adds findings for `config` to `findings`; returns the vehicle topology
// (empty when the document has no vehicle).
Topology Validate(const ConfigDocument& config, const ValidatorOptions& options,
                  Findings& findings);

// The rules one pod block must meet on its own (type, interface, netns,
// namespace, services), for the vehicle's pods and for RequestNetworkPod.
void CheckPodFields(const PodSpec& pod, Findings& findings);
// Names, kinds and protocols of a pod's (or mapped network's) services.
void CheckServices(const std::vector<ServicePortSpec>& services, Findings& findings);
// `what` name '…' is not valid, unless IsValidName.
void CheckName(const TextField& name, std::string_view what, Findings& findings);
// A bridge name: the component-name alphabet, and short enough that
// `prefix` + name is a Linux interface name.
void CheckBridgeName(const TextField& bridge, const std::string& prefix, Findings& findings);
// Why `subnet` cannot be a subnet of the vehicle (the default route,
// loopback, multicast, link-local, reserved), "" when it can.
std::string UnusableSubnetReason(const Ipv4Prefix& subnet);

// A component or rule name: starts with a letter or digit, then letters,
// digits, '-', '_' or '.', at most 63 characters.
bool IsValidName(std::string_view name);
// A Linux interface name: 1..15 characters, no '/', ':' or whitespace.
bool IsValidInterfaceName(std::string_view name);
// At most kMaxPrefixLength characters, usable at the start of a name.
bool IsValidInterfacePrefix(std::string_view prefix);

}  // namespace pharos::model
