// Interface names Pharos creates: always prefixed (so Pharos never touches
// what it did not create) and always within the kernel's 15 characters.
#pragma once

#include <string>
#include <string_view>

namespace pharos::plan {

// prefix + base when that fits in 15 characters; otherwise the prefix, the
// start of `base`, '-' and 4 hex digits of a hash of `base`, so long names
// stay unique and recognisable ("ph-percept-3f2a").
std::string InterfaceName(std::string_view prefix, std::string_view base);

// Network namespace of a node: prefix + node name (no length limit).
std::string NamespaceName(std::string_view prefix, std::string_view node);

}  // namespace pharos::plan
