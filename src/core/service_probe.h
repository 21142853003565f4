// The health checks pharosd runs: a TCP connect to the service's endpoint,
// sent from the namespace of the node one hop up from where the service
// runs (a pod's service is checked from its VM: the listener and the pod's
// link are both on the path). Services found by SOME/IP-SD or DDS keep
// their liveness from discovery (offer TTL, participant lease) and are not
// probed; nor is anything in the `plan` dataplane, where nothing runs.
#pragma once

#include <string>

#include "core/config_controller.h"
#include "core/service_health.h"

namespace pharos::core {

class TcpHealthProber : public HealthProber {
 public:
  TcpHealthProber(ConfigController& controller, std::string interface_prefix,
                  bool dataplane_is_real)
      : controller_(controller), prefix_(std::move(interface_prefix)), real_(dataplane_is_real) {}

  bool Checks(const store::ServiceRecord& service) const override;
  bool Check(const store::ServiceRecord& service, std::chrono::milliseconds timeout,
             std::string* detail) override;

 private:
  ConfigController& controller_;
  std::string prefix_;
  bool real_;
};

}  // namespace pharos::core
