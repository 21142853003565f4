// What the controller plans beside the configuration: the pods and
// networks requested at run time, as the runtime pod table gives them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/vehicle.h"

namespace pharos::core {

// A pod requested at run time, with the VM it runs on.
struct RuntimePodSpec {
  std::string soc;
  std::string vm;
  model::PodSpec pod;
};

// A network set up at run time by name, with the VM it lives on.
struct RuntimeNetworkSpec {
  std::string soc;
  std::string vm;
  model::PodNetworkSpec network;
};

// The pods and networks requested at run time, added to every plan of the
// configuration: merged into its parsed document for a full plan (no YAML
// re-parsed), or planned alone (runtime_pod_planner.h).
class RuntimePodOverlay {
 public:
  virtual ~RuntimePodOverlay() = default;
  virtual std::vector<RuntimePodSpec> OverlayPods() = 0;
  virtual std::vector<RuntimeNetworkSpec> OverlayNetworks() { return {}; }
};

// The runtime pods a plan holds: by name, their fingerprints
// (RuntimePodFingerprint).
using AppliedRuntimePods = std::map<std::string, std::string>;

}  // namespace pharos::core
