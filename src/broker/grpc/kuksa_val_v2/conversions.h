// kuksa.val.v2 messages <-> the broker core's types. Nothing else.
#pragma once

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/catalog.h"
#include "broker/core/types.h"
#include "kuksa/val/v2/types.pb.h"

namespace pharos::broker::kuksa_val_v2 {

namespace wire = ::kuksa::val::v2;

Value FromWire(const wire::Value& value);
void ToWire(const Value& value, wire::Value* out);

Datapoint FromWire(const wire::Datapoint& datapoint);
void ToWire(const Datapoint& datapoint, wire::Datapoint* out);

wire::DataType ToWire(DataType type);
wire::EntryType ToWire(EntryType type);
void ToWire(const Signal& signal, wire::Metadata* out);

// The status a kuksa.val.v2 caller expects: the proto comments list
// INVALID_ARGUMENT for a value out of min/max, so OUT_OF_RANGE becomes it.
grpc::Status ToGrpc(const absl::Status& status);
// The per-signal Error of PublishValuesResponse.
void ToWire(const absl::Status& status, wire::Error* out);

}  // namespace pharos::broker::kuksa_val_v2
