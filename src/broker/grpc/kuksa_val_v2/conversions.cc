#include "broker/grpc/kuksa_val_v2/conversions.h"

#include "broker/grpc/typed_value.h"

namespace pharos::broker::kuksa_val_v2 {
Value FromWire(const wire::Value& value) {
  return wire_common::FromTypedOneof(value,
                                     [](const wire::Value& v) { return v.typed_value_case(); });
}

void ToWire(const Value& value, wire::Value* out) { wire_common::ToTypedOneof(value, out); }

Datapoint FromWire(const wire::Datapoint& datapoint) {
  Datapoint out;
  if (datapoint.has_value()) out.value = FromWire(datapoint.value());
  if (datapoint.has_timestamp()) out.timestamp = wire_common::FromWire(datapoint.timestamp());
  return out;
}

void ToWire(const Datapoint& datapoint, wire::Datapoint* out) {
  if (datapoint.timestamp != Timestamp{})
    wire_common::ToWire(datapoint.timestamp, out->mutable_timestamp());
  if (HasValue(datapoint.value)) ToWire(datapoint.value, out->mutable_value());
}

wire::DataType ToWire(DataType type) {
  switch (type) {
    case DataType::kString:
      return wire::DATA_TYPE_STRING;
    case DataType::kBoolean:
      return wire::DATA_TYPE_BOOLEAN;
    case DataType::kInt8:
      return wire::DATA_TYPE_INT8;
    case DataType::kInt16:
      return wire::DATA_TYPE_INT16;
    case DataType::kInt32:
      return wire::DATA_TYPE_INT32;
    case DataType::kInt64:
      return wire::DATA_TYPE_INT64;
    case DataType::kUint8:
      return wire::DATA_TYPE_UINT8;
    case DataType::kUint16:
      return wire::DATA_TYPE_UINT16;
    case DataType::kUint32:
      return wire::DATA_TYPE_UINT32;
    case DataType::kUint64:
      return wire::DATA_TYPE_UINT64;
    case DataType::kFloat:
      return wire::DATA_TYPE_FLOAT;
    case DataType::kDouble:
      return wire::DATA_TYPE_DOUBLE;
    case DataType::kTimestamp:
      return wire::DATA_TYPE_TIMESTAMP;
    case DataType::kStringArray:
      return wire::DATA_TYPE_STRING_ARRAY;
    case DataType::kBooleanArray:
      return wire::DATA_TYPE_BOOLEAN_ARRAY;
    case DataType::kInt8Array:
      return wire::DATA_TYPE_INT8_ARRAY;
    case DataType::kInt16Array:
      return wire::DATA_TYPE_INT16_ARRAY;
    case DataType::kInt32Array:
      return wire::DATA_TYPE_INT32_ARRAY;
    case DataType::kInt64Array:
      return wire::DATA_TYPE_INT64_ARRAY;
    case DataType::kUint8Array:
      return wire::DATA_TYPE_UINT8_ARRAY;
    case DataType::kUint16Array:
      return wire::DATA_TYPE_UINT16_ARRAY;
    case DataType::kUint32Array:
      return wire::DATA_TYPE_UINT32_ARRAY;
    case DataType::kUint64Array:
      return wire::DATA_TYPE_UINT64_ARRAY;
    case DataType::kFloatArray:
      return wire::DATA_TYPE_FLOAT_ARRAY;
    case DataType::kDoubleArray:
      return wire::DATA_TYPE_DOUBLE_ARRAY;
    case DataType::kTimestampArray:
      return wire::DATA_TYPE_TIMESTAMP_ARRAY;
  }
  return wire::DATA_TYPE_UNSPECIFIED;
}

wire::EntryType ToWire(EntryType type) {
  switch (type) {
    case EntryType::kSensor:
      return wire::ENTRY_TYPE_SENSOR;
    case EntryType::kActuator:
      return wire::ENTRY_TYPE_ACTUATOR;
    case EntryType::kAttribute:
      return wire::ENTRY_TYPE_ATTRIBUTE;
    case EntryType::kBranch:
      break;
  }
  return wire::ENTRY_TYPE_UNSPECIFIED;
}

void ToWire(const Signal& signal, wire::Metadata* out) {
  const SignalSpec& spec = signal.spec;
  out->set_path(spec.path);
  out->set_id(signal.id);
  if (spec.data_type) out->set_data_type(ToWire(*spec.data_type));
  out->set_entry_type(ToWire(spec.entry_type));
  out->set_description(spec.description);
  out->set_comment(spec.comment);
  out->set_deprecation(spec.deprecation);
  out->set_unit(spec.unit);
  if (HasValue(spec.allowed)) ToWire(spec.allowed, out->mutable_allowed_values());
  if (HasValue(spec.min)) ToWire(spec.min, out->mutable_min());
  if (HasValue(spec.max)) ToWire(spec.max, out->mutable_max());
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(status.code());
  if (status.code() == absl::StatusCode::kOutOfRange) code = grpc::StatusCode::INVALID_ARGUMENT;
  return grpc::Status(code, std::string(status.message()));
}

void ToWire(const absl::Status& status, wire::Error* out) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      out->set_code(wire::ERROR_CODE_OK);
      break;
    case absl::StatusCode::kNotFound:
      out->set_code(wire::ERROR_CODE_NOT_FOUND);
      break;
    case absl::StatusCode::kPermissionDenied:
      out->set_code(wire::ERROR_CODE_PERMISSION_DENIED);
      break;
    default:
      out->set_code(wire::ERROR_CODE_INVALID_ARGUMENT);
      break;
  }
  out->set_message(std::string(status.message()));
}

}  // namespace pharos::broker::kuksa_val_v2
