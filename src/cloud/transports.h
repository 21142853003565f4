// The transports that exist, by endpoint scheme: the connector's
// make_transport in pharosd.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "cloud/transport.h"

namespace pharos::cloud {

// UNIMPLEMENTED for a scheme without a transport yet.
absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(const Endpoint& endpoint,
                                                         const TransportOptions& options);

}  // namespace pharos::cloud
