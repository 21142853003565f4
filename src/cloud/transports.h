// The transports that exist, by endpoint scheme: the connector's
// make_transport in pharosd.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "cloud/transport.h"

namespace pharos::cloud {

// MQTT (mqtt_transport.h) or HTTP(S) (https_transport.h) by the scheme.
absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(const Endpoint& endpoint,
                                                         const TransportOptions& options);

}  // namespace pharos::cloud
