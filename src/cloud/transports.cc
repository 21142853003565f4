#include "cloud/transports.h"

#include "cloud/mqtt_transport.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::cloud {

absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(const Endpoint& endpoint,
                                                         const TransportOptions& options) {
  if (endpoint.mqtt()) return std::make_unique<MqttTransport>(endpoint, options);
  return absl::UnimplementedError(fmt::format(
      "{}: HTTP(S) feeding is not implemented yet; use mqtts:// (or mqtt:// to a twin or "
      "loopback broker)",
      endpoint.url));
}

}  // namespace pharos::cloud
