#include "broker/grpc/sdv_databroker_v1/conversions.h"

#include "broker/core/limits.h"
#include "broker/grpc/typed_value.h"

namespace pharos::broker::sdv_databroker_v1 {
namespace {
using wire_common::ToVector;
template <typename Array, typename T>
void Fill(Array* array, const std::vector<T>& values) {
  wire_common::FillArray(array, values);
}
}  // namespace

Value FromWire(const wire::Datapoint& d) {
  switch (d.value_case()) {
    case wire::Datapoint::kStringValue:
      return d.string_value();
    case wire::Datapoint::kBoolValue:
      return d.bool_value();
    case wire::Datapoint::kInt32Value:
      return d.int32_value();
    case wire::Datapoint::kInt64Value:
      return d.int64_value();
    case wire::Datapoint::kUint32Value:
      return d.uint32_value();
    case wire::Datapoint::kUint64Value:
      return d.uint64_value();
    case wire::Datapoint::kFloatValue:
      return d.float_value();
    case wire::Datapoint::kDoubleValue:
      return d.double_value();
    case wire::Datapoint::kStringArray:
      return ToVector<std::string>(d.string_array());
    case wire::Datapoint::kBoolArray:
      return ToVector<bool>(d.bool_array());
    case wire::Datapoint::kInt32Array:
      return ToVector<int32_t>(d.int32_array());
    case wire::Datapoint::kInt64Array:
      return ToVector<int64_t>(d.int64_array());
    case wire::Datapoint::kUint32Array:
      return ToVector<uint32_t>(d.uint32_array());
    case wire::Datapoint::kUint64Array:
      return ToVector<uint64_t>(d.uint64_array());
    case wire::Datapoint::kFloatArray:
      return ToVector<float>(d.float_array());
    case wire::Datapoint::kDoubleArray:
      return ToVector<double>(d.double_array());
    case wire::Datapoint::kFailureValue:
    case wire::Datapoint::VALUE_NOT_SET:
      break;
  }
  return std::monostate{};
}

Datapoint DatapointFromWire(const wire::Datapoint& d) {
  Datapoint out;
  out.value = FromWire(d);
  if (d.has_timestamp()) out.timestamp = wire_common::FromWire(d.timestamp());
  return out;
}

void FailureToWire(wire::Datapoint::Failure failure, wire::Datapoint* out) {
  out->set_failure_value(failure);
}

void ToWire(const Datapoint& datapoint, wire::Datapoint* out) {
  if (datapoint.timestamp != Timestamp{})
    wire_common::ToWire(datapoint.timestamp, out->mutable_timestamp());
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          out->set_failure_value(wire::Datapoint::NOT_AVAILABLE);
        else if constexpr (std::is_same_v<T, std::string>)
          out->set_string_value(v);
        else if constexpr (std::is_same_v<T, bool>)
          out->set_bool_value(v);
        else if constexpr (std::is_same_v<T, int32_t>)
          out->set_int32_value(v);
        else if constexpr (std::is_same_v<T, int64_t>)
          out->set_int64_value(v);
        else if constexpr (std::is_same_v<T, uint32_t>)
          out->set_uint32_value(v);
        else if constexpr (std::is_same_v<T, uint64_t>)
          out->set_uint64_value(v);
        else if constexpr (std::is_same_v<T, float>)
          out->set_float_value(v);
        else if constexpr (std::is_same_v<T, double>)
          out->set_double_value(v);
        else if constexpr (std::is_same_v<T, std::vector<std::string>>)
          Fill(out->mutable_string_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<bool>>)
          Fill(out->mutable_bool_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<int32_t>>)
          Fill(out->mutable_int32_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<int64_t>>)
          Fill(out->mutable_int64_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<uint32_t>>)
          Fill(out->mutable_uint32_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<uint64_t>>)
          Fill(out->mutable_uint64_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<float>>)
          Fill(out->mutable_float_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<double>>)
          Fill(out->mutable_double_array(), v);
      },
      datapoint.value);
}

std::optional<DataType> FromWire(wire::DataType type) {
  switch (type) {
    case wire::STRING:
      return DataType::kString;
    case wire::BOOL:
      return DataType::kBoolean;
    case wire::INT8:
      return DataType::kInt8;
    case wire::INT16:
      return DataType::kInt16;
    case wire::INT32:
      return DataType::kInt32;
    case wire::INT64:
      return DataType::kInt64;
    case wire::UINT8:
      return DataType::kUint8;
    case wire::UINT16:
      return DataType::kUint16;
    case wire::UINT32:
      return DataType::kUint32;
    case wire::UINT64:
      return DataType::kUint64;
    case wire::FLOAT:
      return DataType::kFloat;
    case wire::DOUBLE:
      return DataType::kDouble;
    case wire::STRING_ARRAY:
      return DataType::kStringArray;
    case wire::BOOL_ARRAY:
      return DataType::kBooleanArray;
    case wire::INT8_ARRAY:
      return DataType::kInt8Array;
    case wire::INT16_ARRAY:
      return DataType::kInt16Array;
    case wire::INT32_ARRAY:
      return DataType::kInt32Array;
    case wire::INT64_ARRAY:
      return DataType::kInt64Array;
    case wire::UINT8_ARRAY:
      return DataType::kUint8Array;
    case wire::UINT16_ARRAY:
      return DataType::kUint16Array;
    case wire::UINT32_ARRAY:
      return DataType::kUint32Array;
    case wire::UINT64_ARRAY:
      return DataType::kUint64Array;
    case wire::FLOAT_ARRAY:
      return DataType::kFloatArray;
    case wire::DOUBLE_ARRAY:
      return DataType::kDoubleArray;
    default:
      return std::nullopt;
  }
}

namespace {
// This API has no timestamp type: a timestamp travels as its string.
wire::DataType ToWireType(DataType type) {
  switch (type) {
    case DataType::kTimestamp:
      return wire::STRING;
    case DataType::kTimestampArray:
      return wire::STRING_ARRAY;
    default:
      break;
  }
  for (int t = wire::DataType_MIN; t <= wire::DataType_MAX; ++t) {
    if (wire::DataType_IsValid(t) && FromWire(static_cast<wire::DataType>(t)) == type) {
      return static_cast<wire::DataType>(t);
    }
  }
  return wire::STRING;
}

void RestrictionToWire(const Value& v, wire::ValueRestriction* out) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int32_t>)
          out->set_int32(x);
        else if constexpr (std::is_same_v<T, int64_t>)
          out->set_int64(x);
        else if constexpr (std::is_same_v<T, uint32_t>)
          out->set_uint32(x);
        else if constexpr (std::is_same_v<T, uint64_t>)
          out->set_uint64(x);
        else if constexpr (std::is_same_v<T, float>)
          out->set_float_(x);
        else if constexpr (std::is_same_v<T, double>)
          out->set_double_(x);
      },
      v);
}
}  // namespace

void ToWire(const Signal& signal, wire::Metadata* out) {
  const SignalSpec& spec = signal.spec;
  out->set_id(signal.id);
  out->set_name(spec.path);
  out->set_description(spec.description);
  if (spec.data_type) out->set_data_type(ToWireType(*spec.data_type));
  switch (spec.entry_type) {
    case EntryType::kSensor:
      out->set_entry_type(wire::ENTRY_TYPE_SENSOR);
      break;
    case EntryType::kActuator:
      out->set_entry_type(wire::ENTRY_TYPE_ACTUATOR);
      break;
    case EntryType::kAttribute:
      out->set_entry_type(wire::ENTRY_TYPE_ATTRIBUTE);
      break;
    case EntryType::kBranch:
      break;
  }
  out->set_change_type(spec.entry_type == EntryType::kAttribute ? wire::STATIC : wire::ON_CHANGE);
  if (HasValue(spec.min)) RestrictionToWire(spec.min, out->mutable_min());
  if (HasValue(spec.max)) RestrictionToWire(spec.max, out->mutable_max());
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        auto* allowed = out->mutable_allowed();
        if constexpr (std::is_same_v<T, std::vector<std::string>>)
          Fill(allowed->mutable_string_values(), a);
        else if constexpr (std::is_same_v<T, std::vector<int32_t>>)
          Fill(allowed->mutable_int32_values(), a);
        else if constexpr (std::is_same_v<T, std::vector<int64_t>>)
          Fill(allowed->mutable_int64_values(), a);
        else if constexpr (std::is_same_v<T, std::vector<uint32_t>>)
          Fill(allowed->mutable_uint32_values(), a);
        else if constexpr (std::is_same_v<T, std::vector<uint64_t>>)
          Fill(allowed->mutable_uint64_values(), a);
        else if constexpr (std::is_same_v<T, std::vector<float>>)
          Fill(allowed->mutable_float_values(), a);
        else if constexpr (std::is_same_v<T, std::vector<double>>)
          Fill(allowed->mutable_double_values(), a);
        else
          out->clear_allowed();
      },
      spec.allowed);
}

wire::DatapointError ErrorOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return wire::UNKNOWN_DATAPOINT;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return wire::ACCESS_DENIED;
    default:
      break;
  }
  auto kind = ValueErrorOf(status);
  if (kind == ValueError::kTypeMismatch) return wire::INVALID_TYPE;
  if (kind == ValueError::kOutOfBounds) return wire::OUT_OF_BOUNDS;
  return status.code() == absl::StatusCode::kInvalidArgument ? wire::INVALID_TYPE
                                                             : wire::INTERNAL_ERROR;
}

wire::Datapoint::Failure FailureOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return wire::Datapoint::UNKNOWN_DATAPOINT;
    case absl::StatusCode::kPermissionDenied:
      return wire::Datapoint::ACCESS_DENIED;
    case absl::StatusCode::kInvalidArgument:
      return wire::Datapoint::INVALID_VALUE;
    default:
      return wire::Datapoint::INTERNAL_ERROR;
  }
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace pharos::broker::sdv_databroker_v1
