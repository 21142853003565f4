// kuksa.val.v1 messages <-> the broker core's types.
#pragma once

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "broker/core/catalog.h"
#include "kuksa/val/v1/types.pb.h"

namespace pharos::broker::kuksa_val_v1 {

namespace wire = ::kuksa::val::v1;

Value FromWire(const wire::Datapoint& datapoint);
Datapoint DatapointFromWire(const wire::Datapoint& datapoint);
void ToWire(const Datapoint& datapoint, wire::Datapoint* out);
// Metadata, whole or only the fields asked for (FIELD_METADATA_*).
void ToWire(const Signal& signal, const std::vector<wire::Field>& fields, wire::Metadata* out);

// kuksa.val.v1's HTTP-like error: 404 not_found, 403 forbidden,
// 401 unauthorized, 400 type_mismatch / out_of_bounds / bad_request,
// 503 unavailable, 504 timeout, 500 internal_error.
void ToWire(const absl::Status& status, wire::Error* out);
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace pharos::broker::kuksa_val_v1
