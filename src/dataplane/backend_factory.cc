#include <unistd.h>

#include "common/strings.h"
#include "dataplane/backend.h"
#include "dataplane/linux_backend.h"
#include "dataplane/netlink_kernel.h"
#include "dataplane/plan_backend.h"

namespace pharos::dataplane {

std::string_view ModeName(DataplaneMode mode) {
  switch (mode) {
    case DataplaneMode::kPlan:
      return "plan";
    case DataplaneMode::kEmulated:
      return "emulated";
    case DataplaneMode::kHost:
      return "host";
  }
  return "?";
}

std::optional<DataplaneMode> ParseDataplaneMode(std::string_view text) {
  for (DataplaneMode m : {DataplaneMode::kPlan, DataplaneMode::kEmulated, DataplaneMode::kHost}) {
    if (text == ModeName(m)) return m;
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<LinuxBackend>> CreateLinuxBackend(const BackendOptions& options) {
  {
    if (options.mode == DataplaneMode::kPlan) {
      return absl::InvalidArgumentError("the plan dataplane builds nothing in the kernel");
    }
    if (geteuid() != 0) {
      return absl::PermissionDeniedError(StrCat(
          "dataplane mode '", ModeName(options.mode),
          "' changes the kernel's network configuration and needs root (CAP_NET_ADMIN and "
          "CAP_SYS_ADMIN for namespaces); run as root or use --dataplane=plan"));
    }
    if (options.mode == DataplaneMode::kHost && options.node.empty()) {
      return absl::InvalidArgumentError("dataplane mode 'host' needs --node: which node is this?");
    }
    return std::make_unique<LinuxBackend>(std::make_unique<NetlinkKernel>(), options);
  }
}

absl::StatusOr<std::unique_ptr<DataplaneBackend>> CreateBackend(const BackendOptions& options) {
  if (options.mode == DataplaneMode::kPlan) return std::make_unique<PlanBackend>();
  absl::StatusOr<std::unique_ptr<LinuxBackend>> linux_backend = CreateLinuxBackend(options);
  if (!linux_backend.ok()) return linux_backend.status();
  return std::unique_ptr<DataplaneBackend>(std::move(*linux_backend));
}

}  // namespace pharos::dataplane
