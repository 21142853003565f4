// Where the controller reports what happened to the network outside of
// configuration changes (drift repaired, converged on start, teardown).
// The callbacks module records it durably and tells Piccolo.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace pharos::core {

class NetworkEventRecorder {
 public:
  virtual ~NetworkEventRecorder() = default;
  // `kind`: drift-repaired | converged-on-start | teardown.
  virtual absl::Status Record(const std::string& component, const std::string& kind,
                              const std::string& detail) = 0;
};

}  // namespace pharos::core
