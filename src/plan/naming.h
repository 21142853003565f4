// Interface names Pharos creates: always prefixed (so Pharos never touches
// what it did not create) and always within the kernel's 15 characters.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pharos::plan {

// prefix + base when that fits in 15 characters; otherwise the prefix, the
// start of `base`, '-' and 4 hex digits of a hash of `base`, so long names
// stay unique and recognisable ("ph-percept-3f2a").
std::string InterfaceName(std::string_view prefix, std::string_view base);

// Network namespace of a node: prefix + node name (no length limit).
std::string NamespaceName(std::string_view prefix, std::string_view node);

// Where a node's objects live on this machine, for the modules that add
// their own (policy tables, NFLOG readers, the TLS ingress): its namespace
// in the twin; in host mode the machine's own namespace ("") for the
// `--node` node, and nowhere (nullopt) for the others.
struct NodeNamespaces {
  std::string interface_prefix = "ph-";
  std::string host_node;  // set: host mode, this machine is that node
  std::optional<std::string> Of(std::string_view node) const;
};

}  // namespace pharos::plan
