// kuksa.val.v1's Datapoint and kuksa.val.v2's Value carry a value in the
// same oneof (string = 11, bool = 12, ... double_array = 28, with the same
// accessor and enumerator names), so one template converts both to and
// from the core's Value. And the google.protobuf.Timestamp every API uses.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <string>
#include <vector>

#include "broker/core/types.h"

namespace pharos::broker::wire_common {

template <typename T, typename Array>
std::vector<T> ToVector(const Array& array) {
  return std::vector<T>(array.values().begin(), array.values().end());
}

template <typename Array, typename T>
void FillArray(Array* array, const std::vector<T>& values) {
  for (const T& v : values) array->add_values(v);
}

// `case_of(m)` is the message's oneof case (typed_value_case() in v2,
// value_case() in v1); anything unset is none.
template <typename M, typename CaseOf>
Value FromTypedOneof(const M& m, CaseOf case_of) {
  switch (case_of(m)) {
    case M::kString:
      return m.string();
    case M::kBool:
      return m.bool_();
    case M::kInt32:
      return m.int32();
    case M::kInt64:
      return m.int64();
    case M::kUint32:
      return m.uint32();
    case M::kUint64:
      return m.uint64();
    case M::kFloat:
      return m.float_();
    case M::kDouble:
      return m.double_();
    case M::kStringArray:
      return ToVector<std::string>(m.string_array());
    case M::kBoolArray:
      return ToVector<bool>(m.bool_array());
    case M::kInt32Array:
      return ToVector<int32_t>(m.int32_array());
    case M::kInt64Array:
      return ToVector<int64_t>(m.int64_array());
    case M::kUint32Array:
      return ToVector<uint32_t>(m.uint32_array());
    case M::kUint64Array:
      return ToVector<uint64_t>(m.uint64_array());
    case M::kFloatArray:
      return ToVector<float>(m.float_array());
    case M::kDoubleArray:
      return ToVector<double>(m.double_array());
    default:
      break;
  }
  return std::monostate{};
}

// Sets the oneof from `value` (none sets nothing).
template <typename M>
void ToTypedOneof(const Value& value, M* out) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>)
          out->set_string(v);
        else if constexpr (std::is_same_v<T, bool>)
          out->set_bool_(v);
        else if constexpr (std::is_same_v<T, int32_t>)
          out->set_int32(v);
        else if constexpr (std::is_same_v<T, int64_t>)
          out->set_int64(v);
        else if constexpr (std::is_same_v<T, uint32_t>)
          out->set_uint32(v);
        else if constexpr (std::is_same_v<T, uint64_t>)
          out->set_uint64(v);
        else if constexpr (std::is_same_v<T, float>)
          out->set_float_(v);
        else if constexpr (std::is_same_v<T, double>)
          out->set_double_(v);
        else if constexpr (std::is_same_v<T, std::vector<std::string>>)
          FillArray(out->mutable_string_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<bool>>)
          FillArray(out->mutable_bool_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<int32_t>>)
          FillArray(out->mutable_int32_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<int64_t>>)
          FillArray(out->mutable_int64_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<uint32_t>>)
          FillArray(out->mutable_uint32_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<uint64_t>>)
          FillArray(out->mutable_uint64_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<float>>)
          FillArray(out->mutable_float_array(), v);
        else if constexpr (std::is_same_v<T, std::vector<double>>)
          FillArray(out->mutable_double_array(), v);
      },
      value);
}

inline Timestamp FromWire(const google::protobuf::Timestamp& ts) {
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(
      std::chrono::seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos())));
}

// The epoch (a datapoint never stamped) leaves the field unset.
inline void ToWire(Timestamp t, google::protobuf::Timestamp* out) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  if (ns == 0) return;
  out->set_seconds(ns / 1'000'000'000);
  out->set_nanos(static_cast<int32_t>(ns % 1'000'000'000));
}

}  // namespace pharos::broker::wire_common
