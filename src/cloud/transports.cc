#include "cloud/transports.h"

#include "cloud/https_transport.h"
#include "cloud/mqtt_transport.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::cloud {

absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(const Endpoint& endpoint,
                                                         const TransportOptions& options) {
  if (endpoint.mqtt()) return std::make_unique<MqttTransport>(endpoint, options);
  return std::make_unique<HttpsTransport>(endpoint, options);
}

}  // namespace pharos::cloud
