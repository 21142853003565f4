// The broker's vocabulary, free of any wire format: VSS data types, entry
// types, typed values and timestamped datapoints. Every front end converts
// its own messages to and from these.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pharos::broker {

// The VSS data types (VSS 4.0 "datatype"). int8/int16 travel as int32 and
// uint8/uint16 as uint32, as in KUKSA; the range of the declared type is
// still enforced on every write.
enum class DataType {
  kString,
  kBoolean,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kFloat,
  kDouble,
  kTimestamp,  // an ISO 8601 string, as VSS defines it
  kStringArray,
  kBooleanArray,
  kInt8Array,
  kInt16Array,
  kInt32Array,
  kInt64Array,
  kUint8Array,
  kUint16Array,
  kUint32Array,
  kUint64Array,
  kFloatArray,
  kDoubleArray,
  kTimestampArray,
};

// "uint8", "string[]", ...: the names VSS catalogs use.
std::string_view DataTypeName(DataType type);
std::optional<DataType> ParseDataType(std::string_view name);
bool IsArray(DataType type);
DataType ElementType(DataType type);  // kUint8Array -> kUint8; a scalar is its own

enum class EntryType { kBranch, kSensor, kActuator, kAttribute };
std::string_view EntryTypeName(EntryType type);  // "branch", "sensor", ...
std::optional<EntryType> ParseEntryType(std::string_view name);

// A value as it travels: none (std::monostate), a scalar or an array. The
// alternatives are the wire types every KUKSA API shares.
using Value = std::variant<std::monostate, std::string, bool, int32_t, int64_t, uint32_t, uint64_t,
                           float, double, std::vector<std::string>, std::vector<bool>,
                           std::vector<int32_t>, std::vector<int64_t>, std::vector<uint32_t>,
                           std::vector<uint64_t>, std::vector<float>, std::vector<double>>;

inline bool HasValue(const Value& v) { return !std::holds_alternative<std::monostate>(v); }

// The Value alternative that carries `type` (kInt8 -> int32_t, ...): its
// variant index.
size_t WireIndexOf(DataType type);
// "int32", "float[]", "none": the wire type a value actually carries.
std::string_view WireTypeName(const Value& value);
// Human text of a value: 42, 3.5, "text", [1, 2], true, none.
std::string ValueText(const Value& value);

using Timestamp = std::chrono::system_clock::time_point;

struct Datapoint {
  Value value;          // std::monostate: the signal exists but has no value yet
  Timestamp timestamp;  // when it was produced (the broker stamps it if the producer did not)
};

// Signal ids are int32 on the wire (kuksa.val.v2 SignalID.id).
using SignalId = int32_t;

}  // namespace pharos::broker
