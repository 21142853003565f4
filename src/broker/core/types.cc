#include "broker/core/types.h"

#include <array>
#include <utility>

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace pharos::broker {
namespace {

constexpr std::array<std::pair<DataType, std::string_view>, 26> kDataTypeNames{{
    {DataType::kString, "string"},
    {DataType::kBoolean, "boolean"},
    {DataType::kInt8, "int8"},
    {DataType::kInt16, "int16"},
    {DataType::kInt32, "int32"},
    {DataType::kInt64, "int64"},
    {DataType::kUint8, "uint8"},
    {DataType::kUint16, "uint16"},
    {DataType::kUint32, "uint32"},
    {DataType::kUint64, "uint64"},
    {DataType::kFloat, "float"},
    {DataType::kDouble, "double"},
    {DataType::kTimestamp, "timestamp"},
    {DataType::kStringArray, "string[]"},
    {DataType::kBooleanArray, "boolean[]"},
    {DataType::kInt8Array, "int8[]"},
    {DataType::kInt16Array, "int16[]"},
    {DataType::kInt32Array, "int32[]"},
    {DataType::kInt64Array, "int64[]"},
    {DataType::kUint8Array, "uint8[]"},
    {DataType::kUint16Array, "uint16[]"},
    {DataType::kUint32Array, "uint32[]"},
    {DataType::kUint64Array, "uint64[]"},
    {DataType::kFloatArray, "float[]"},
    {DataType::kDoubleArray, "double[]"},
    {DataType::kTimestampArray, "timestamp[]"},
}};

}  // namespace

std::string_view DataTypeName(DataType type) {
  for (const auto& [t, name] : kDataTypeNames) {
    if (t == type) return name;
  }
  return "?";
}

std::optional<DataType> ParseDataType(std::string_view name) {
  for (const auto& [t, n] : kDataTypeNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

bool IsArray(DataType type) { return type >= DataType::kStringArray; }

DataType ElementType(DataType type) {
  if (!IsArray(type)) return type;
  return static_cast<DataType>(static_cast<int>(type) - static_cast<int>(DataType::kStringArray));
}

std::string_view EntryTypeName(EntryType type) {
  switch (type) {
    case EntryType::kBranch:
      return "branch";
    case EntryType::kSensor:
      return "sensor";
    case EntryType::kActuator:
      return "actuator";
    case EntryType::kAttribute:
      return "attribute";
  }
  return "?";
}

std::optional<EntryType> ParseEntryType(std::string_view name) {
  for (EntryType t :
       {EntryType::kBranch, EntryType::kSensor, EntryType::kActuator, EntryType::kAttribute}) {
    if (EntryTypeName(t) == name) return t;
  }
  return std::nullopt;
}

size_t WireIndexOf(DataType type) {
  // Index of the alternative in Value; arrays sit 8 places after scalars.
  size_t scalar = 0;
  switch (ElementType(type)) {
    case DataType::kString:
    case DataType::kTimestamp:
      scalar = 1;
      break;
    case DataType::kBoolean:
      scalar = 2;
      break;
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
      scalar = 3;
      break;
    case DataType::kInt64:
      scalar = 4;
      break;
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
      scalar = 5;
      break;
    case DataType::kUint64:
      scalar = 6;
      break;
    case DataType::kFloat:
      scalar = 7;
      break;
    case DataType::kDouble:
      scalar = 8;
      break;
    default:
      break;
  }
  return IsArray(type) ? scalar + 8 : scalar;
}

std::string_view WireTypeName(const Value& value) {
  static constexpr std::array<std::string_view, 17> kNames{
      "none",    "string",   "bool",     "int32",    "int64",   "uint32",
      "uint64",  "float",    "double",   "string[]", "bool[]",  "int32[]",
      "int64[]", "uint32[]", "uint64[]", "float[]",  "double[]"};
  return kNames[value.index()];
}

std::string ValueText(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "none";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return fmt::format("\"{}\"", v);
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string out = "[";
          for (size_t i = 0; i < v.size(); ++i) out += fmt::format("{}\"{}\"", i ? ", " : "", v[i]);
          return out + "]";
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          std::string out = "[";
          for (size_t i = 0; i < v.size(); ++i)
            out += fmt::format("{}{}", i ? ", " : "", v[i] ? "true" : "false");
          return out + "]";
        } else if constexpr (std::is_arithmetic_v<T>) {
          return fmt::format("{}", v);
        } else {
          return fmt::format("[{}]", fmt::join(v, ", "));
        }
      },
      value);
}

}  // namespace pharos::broker
