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
};

inline constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1
inline constexpr size_t kMaxPrefixLength = 6;

// Adds findings for `config` to `findings`; returns the vehicle topology
// (empty when the document has no vehicle).
Topology Validate(const ConfigDocument& config, const ValidatorOptions& options,
                  Findings& findings);

// A component or rule name: starts with a letter or digit, then letters,
// digits, '-', '_' or '.', at most 63 characters.
bool IsValidName(std::string_view name);
// A Linux interface name: 1..15 characters, no '/', ':' or whitespace.
bool IsValidInterfaceName(std::string_view name);
// At most kMaxPrefixLength characters, usable at the start of a name.
bool IsValidInterfacePrefix(std::string_view prefix);

}  // namespace pharos::model
