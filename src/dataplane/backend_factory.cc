#include "dataplane/backend.h"
#include "dataplane/plan_backend.h"

#include "common/strings.h"

namespace pharos::dataplane {

absl::StatusOr<std::unique_ptr<DataplaneBackend>> CreateBackend(
    const BackendOptions& options) {
  if (options.mode == "plan") return std::make_unique<PlanBackend>();
  if (options.mode == "emulated" || options.mode == "host") {
    return absl::UnimplementedError(StrCat(
        "dataplane mode '", options.mode,
        "' needs the Linux backend (netlink + nftables), which has not landed yet; "
        "use --dataplane=plan"));
  }
  return absl::InvalidArgumentError(StrCat(
      "unknown dataplane mode '", options.mode, "': use plan, emulated or host"));
}

}  // namespace pharos::dataplane
