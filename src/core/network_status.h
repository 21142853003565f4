#pragma once

#include <string_view>
#include <vector>

namespace pharos::core {

// The component types GetNetworkStatus reports (and accepts as a filter).
const std::vector<std::string_view>& ComponentTypes();

}  // namespace pharos::core
