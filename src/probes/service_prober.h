// The health checks pharosd runs, by the service's protocol, always sent
// from the namespace one hop up from where the service runs (a pod's
// service is checked from its VM: the listener and the pod's link are both
// on the path):
//   grpc    grpc.health.v1.Health/Check over a connection opened in that
//           namespace (metadata `grpc_service` names the service to ask
//           about; a server without the health service but answering gRPC
//           counts as up)
//   rest    HTTP/1.1 GET of metadata `health_path` (default "/"): up when
//           the answer's status is below 500
//   someip  (registered over the API) TCP connect
// Services found by SOME/IP-SD or DDS keep their liveness from discovery
// (offer TTL, participant lease) and are not probed; nor is anything in the
// `plan` dataplane, where nothing runs. Its own module because it speaks
// gRPC, which the core does not.
#pragma once

#include <string>

#include "core/config_controller.h"
#include "core/service_health.h"

namespace pharos::probes {

class ServiceProber : public core::HealthProber {
 public:
  ServiceProber(core::ConfigController& controller, std::string interface_prefix,
                bool dataplane_is_real)
      : controller_(controller), prefix_(std::move(interface_prefix)), real_(dataplane_is_real) {}

  bool Checks(const store::ServiceRecord& service) const override;
  bool Check(const store::ServiceRecord& service, std::chrono::milliseconds timeout,
             std::string* detail) override;

 private:
  core::ConfigController& controller_;
  std::string prefix_;
  bool real_;
};

}  // namespace pharos::probes
