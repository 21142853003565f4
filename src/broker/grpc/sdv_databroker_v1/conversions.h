// sdv.databroker.v1 messages <-> the broker core's types.
#pragma once

#include <grpcpp/grpcpp.h>

#include <optional>

#include "absl/status/status.h"
#include "broker/core/catalog.h"
#include "sdv/databroker/v1/types.pb.h"

namespace pharos::broker::sdv_databroker_v1 {

namespace wire = ::sdv::databroker::v1;

// A datapoint's value; a failure_value (or none set) is std::monostate.
Value FromWire(const wire::Datapoint& datapoint);
Datapoint DatapointFromWire(const wire::Datapoint& datapoint);
// A value of none becomes failure_value NOT_AVAILABLE.
void ToWire(const Datapoint& datapoint, wire::Datapoint* out);
void FailureToWire(wire::Datapoint::Failure failure, wire::Datapoint* out);

std::optional<DataType> FromWire(wire::DataType type);
void ToWire(const Signal& signal, wire::Metadata* out);

// The per-datapoint error of SetDatapoints / UpdateDatapoints.
wire::DatapointError ErrorOf(const absl::Status& status);
// Value failure of GetDatapoints for a refused read.
wire::Datapoint::Failure FailureOf(const absl::Status& status);

grpc::Status ToGrpc(const absl::Status& status);

}  // namespace pharos::broker::sdv_databroker_v1
