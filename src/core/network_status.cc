// GetNetworkStatus lives in ConfigController::Status; this file holds the
// component-type vocabulary shared by the API and the CLI.
#include "core/network_status.h"

namespace pharos::core {

const std::vector<std::string_view>& ComponentTypes() {
  static const std::vector<std::string_view> kTypes = {"vehicle",    "soc",    "vm",     "pod",
                                                       "cloud-host", "bridge", "service"};
  return kTypes;
}

}  // namespace pharos::core
