// `pharosctl doctor`: which kernel features this machine really has,
// found by trying each one in a throwaway namespace, and what Pharos does
// without it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pharos::dataplane {

struct FeatureCheck {
  std::string feature;
  bool available = false;
  std::string detail;   // the kernel's answer when missing
  std::string without;  // what Pharos does when it is missing
};

// Needs root (creates and removes namespace "pharos-doctor-<pid>").
absl::StatusOr<std::vector<FeatureCheck>> ProbeKernelFeatures();

}  // namespace pharos::dataplane
