#include <unistd.h>

#include "common/strings.h"
#include "dataplane/backend.h"
#include "dataplane/linux_backend.h"
#include "dataplane/netlink_kernel.h"
#include "dataplane/plan_backend.h"

namespace pharos::dataplane {

absl::StatusOr<std::unique_ptr<DataplaneBackend>> CreateBackend(
    const BackendOptions& options) {
  if (options.mode == "plan") return std::make_unique<PlanBackend>();
  if (options.mode == "emulated" || options.mode == "host") {
    if (geteuid() != 0) {
      return absl::PermissionDeniedError(StrCat(
          "dataplane mode '", options.mode,
          "' changes the kernel's network configuration and needs root (CAP_NET_ADMIN and "
          "CAP_SYS_ADMIN for namespaces); run as root or use --dataplane=plan"));
    }
    if (options.mode == "host" && options.node.empty()) {
      return absl::InvalidArgumentError("dataplane mode 'host' needs --node: which node is this?");
    }
    return std::make_unique<LinuxBackend>(std::make_unique<NetlinkKernel>(), options);
  }
  return absl::InvalidArgumentError(StrCat(
      "unknown dataplane mode '", options.mode, "': use plan, emulated or host"));
}

}  // namespace pharos::dataplane
