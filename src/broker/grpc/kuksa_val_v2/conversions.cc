#include "broker/grpc/kuksa_val_v2/conversions.h"

namespace pharos::broker::kuksa_val_v2 {
namespace {

template <typename T, typename Array>
std::vector<T> ToVector(const Array& array) {
  return std::vector<T>(array.values().begin(), array.values().end());
}

template <typename Array, typename T>
void FillArray(Array* array, const std::vector<T>& values) {
  for (const T& v : values) array->add_values(v);
}

}  // namespace

Value FromWire(const wire::Value& value) {
  switch (value.typed_value_case()) {
    case wire::Value::kString: return value.string();
    case wire::Value::kBool: return value.bool_();
    case wire::Value::kInt32: return value.int32();
    case wire::Value::kInt64: return value.int64();
    case wire::Value::kUint32: return value.uint32();
    case wire::Value::kUint64: return value.uint64();
    case wire::Value::kFloat: return value.float_();
    case wire::Value::kDouble: return value.double_();
    case wire::Value::kStringArray: return ToVector<std::string>(value.string_array());
    case wire::Value::kBoolArray: return ToVector<bool>(value.bool_array());
    case wire::Value::kInt32Array: return ToVector<int32_t>(value.int32_array());
    case wire::Value::kInt64Array: return ToVector<int64_t>(value.int64_array());
    case wire::Value::kUint32Array: return ToVector<uint32_t>(value.uint32_array());
    case wire::Value::kUint64Array: return ToVector<uint64_t>(value.uint64_array());
    case wire::Value::kFloatArray: return ToVector<float>(value.float_array());
    case wire::Value::kDoubleArray: return ToVector<double>(value.double_array());
    case wire::Value::TYPED_VALUE_NOT_SET: break;
  }
  return std::monostate{};
}

void ToWire(const Value& value, wire::Value* out) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) out->set_string(v);
        else if constexpr (std::is_same_v<T, bool>) out->set_bool_(v);
        else if constexpr (std::is_same_v<T, int32_t>) out->set_int32(v);
        else if constexpr (std::is_same_v<T, int64_t>) out->set_int64(v);
        else if constexpr (std::is_same_v<T, uint32_t>) out->set_uint32(v);
        else if constexpr (std::is_same_v<T, uint64_t>) out->set_uint64(v);
        else if constexpr (std::is_same_v<T, float>) out->set_float_(v);
        else if constexpr (std::is_same_v<T, double>) out->set_double_(v);
        else if constexpr (std::is_same_v<T, std::vector<std::string>>) FillArray(out->mutable_string_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<bool>>) FillArray(out->mutable_bool_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<int32_t>>) FillArray(out->mutable_int32_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<int64_t>>) FillArray(out->mutable_int64_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<uint32_t>>) FillArray(out->mutable_uint32_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<uint64_t>>) FillArray(out->mutable_uint64_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<float>>) FillArray(out->mutable_float_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<double>>) FillArray(out->mutable_double_array(), v);
      },
      value);
}

Datapoint FromWire(const wire::Datapoint& datapoint) {
  Datapoint out;
  if (datapoint.has_value()) out.value = FromWire(datapoint.value());
  if (datapoint.has_timestamp()) {
    out.timestamp = Timestamp(std::chrono::duration_cast<Timestamp::duration>(
        std::chrono::seconds(datapoint.timestamp().seconds()) +
        std::chrono::nanoseconds(datapoint.timestamp().nanos())));
  }
  return out;
}

void ToWire(const Datapoint& datapoint, wire::Datapoint* out) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                datapoint.timestamp.time_since_epoch())
                .count();
  if (ns != 0) {
    out->mutable_timestamp()->set_seconds(ns / 1'000'000'000);
    out->mutable_timestamp()->set_nanos(static_cast<int32_t>(ns % 1'000'000'000));
  }
  if (HasValue(datapoint.value)) ToWire(datapoint.value, out->mutable_value());
}

wire::DataType ToWire(DataType type) {
  switch (type) {
    case DataType::kString: return wire::DATA_TYPE_STRING;
    case DataType::kBoolean: return wire::DATA_TYPE_BOOLEAN;
    case DataType::kInt8: return wire::DATA_TYPE_INT8;
    case DataType::kInt16: return wire::DATA_TYPE_INT16;
    case DataType::kInt32: return wire::DATA_TYPE_INT32;
    case DataType::kInt64: return wire::DATA_TYPE_INT64;
    case DataType::kUint8: return wire::DATA_TYPE_UINT8;
    case DataType::kUint16: return wire::DATA_TYPE_UINT16;
    case DataType::kUint32: return wire::DATA_TYPE_UINT32;
    case DataType::kUint64: return wire::DATA_TYPE_UINT64;
    case DataType::kFloat: return wire::DATA_TYPE_FLOAT;
    case DataType::kDouble: return wire::DATA_TYPE_DOUBLE;
    case DataType::kTimestamp: return wire::DATA_TYPE_TIMESTAMP;
    case DataType::kStringArray: return wire::DATA_TYPE_STRING_ARRAY;
    case DataType::kBooleanArray: return wire::DATA_TYPE_BOOLEAN_ARRAY;
    case DataType::kInt8Array: return wire::DATA_TYPE_INT8_ARRAY;
    case DataType::kInt16Array: return wire::DATA_TYPE_INT16_ARRAY;
    case DataType::kInt32Array: return wire::DATA_TYPE_INT32_ARRAY;
    case DataType::kInt64Array: return wire::DATA_TYPE_INT64_ARRAY;
    case DataType::kUint8Array: return wire::DATA_TYPE_UINT8_ARRAY;
    case DataType::kUint16Array: return wire::DATA_TYPE_UINT16_ARRAY;
    case DataType::kUint32Array: return wire::DATA_TYPE_UINT32_ARRAY;
    case DataType::kUint64Array: return wire::DATA_TYPE_UINT64_ARRAY;
    case DataType::kFloatArray: return wire::DATA_TYPE_FLOAT_ARRAY;
    case DataType::kDoubleArray: return wire::DATA_TYPE_DOUBLE_ARRAY;
    case DataType::kTimestampArray: return wire::DATA_TYPE_TIMESTAMP_ARRAY;
  }
  return wire::DATA_TYPE_UNSPECIFIED;
}

wire::EntryType ToWire(EntryType type) {
  switch (type) {
    case EntryType::kSensor: return wire::ENTRY_TYPE_SENSOR;
    case EntryType::kActuator: return wire::ENTRY_TYPE_ACTUATOR;
    case EntryType::kAttribute: return wire::ENTRY_TYPE_ATTRIBUTE;
    case EntryType::kBranch: break;
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
    case absl::StatusCode::kOk: out->set_code(wire::ERROR_CODE_OK); break;
    case absl::StatusCode::kNotFound: out->set_code(wire::ERROR_CODE_NOT_FOUND); break;
    case absl::StatusCode::kPermissionDenied:
      out->set_code(wire::ERROR_CODE_PERMISSION_DENIED);
      break;
    default: out->set_code(wire::ERROR_CODE_INVALID_ARGUMENT); break;
  }
  out->set_message(std::string(status.message()));
}

}  // namespace pharos::broker::kuksa_val_v2
