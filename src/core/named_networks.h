// Networks set up at run time by name, before any pod joins them
// (Pullpiri's resourcemanager: SetupNetwork / RemoveNetwork). A network is
// a pod bridge inside one VM: the one the vehicle's `pullpiri:` mapping
// gives it, else the first VM's first pod subnet. Stored (runtime_networks)
// and merged into every plan like the runtime pods.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "core/config_controller.h"
#include "core/runtime_pods.h"

namespace pharos::core {

class NamedNetworks {
 public:
  NamedNetworks(ConfigController& controller, RuntimePodTable& table, const Clock& clock)
      : controller_(controller), table_(table), clock_(clock) {}

  // Creates the network's bridge, or says it is there already (the same
  // name again is not an error). InvalidArgument (the name, the mode),
  // FailedPrecondition (nothing applied, no subnet to give it, a subnet
  // that overlaps another network), or why the dataplane refused it.
  absl::StatusOr<std::string> Setup(const std::string& name, const std::string& mode);
  // Removes it; FailedPrecondition while a pod uses it, NotFound when no
  // network of that name was set up.
  absl::StatusOr<std::string> Remove(const std::string& name);
  absl::StatusOr<std::vector<store::RuntimeNetwork>> List();

 private:
  ConfigController& controller_;
  RuntimePodTable& table_;
  const Clock& clock_;
  // One setup or removal at a time: each checks the topology, then writes
  // its row and converges; two at once could both pass the overlap check.
  std::mutex changes_mu_;
};

}  // namespace pharos::core
