#include "broker/viss/viss_values.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/clock.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::viss {
namespace {

using json = nlohmann::json;

template <typename T>
std::string Text(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else {
    return fmt::format("{}", v);  // shortest text that reads back the same
  }
}

// A scalar as the text VISS carries: strings as they are, numbers and
// booleans as JSON writes them.
absl::StatusOr<std::string> TextOf(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean() || j.is_number()) return j.dump();
  return absl::InvalidArgumentError(
      fmt::format("{} is not a value: a string is expected", Quoted(j.dump())));
}

template <typename T>
absl::StatusOr<T> Integer(const std::string& text, int64_t lo, uint64_t hi) {
  int64_t signed_value = 0;
  uint64_t unsigned_value = 0;
  const char* end = text.data() + text.size();
  bool negative = !text.empty() && text[0] == '-';
  auto [p, ec] = negative ? std::from_chars(text.data(), end, signed_value)
                          : std::from_chars(text.data(), end, unsigned_value);
  if (ec == std::errc::result_out_of_range) {
    return absl::InvalidArgumentError(fmt::format("{} is out of the type's range", Quoted(text)));
  }
  if (ec != std::errc() || p != end || text.empty()) {
    return absl::InvalidArgumentError(fmt::format("{} is not an integer", Quoted(text)));
  }
  if (negative ? signed_value < lo : unsigned_value > hi) {
    return absl::InvalidArgumentError(fmt::format("{} is out of the type's range", Quoted(text)));
  }
  return negative ? static_cast<T>(signed_value) : static_cast<T>(unsigned_value);
}

absl::StatusOr<double> Real(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    return absl::InvalidArgumentError(fmt::format("{} is not a number", Quoted(text)));
  }
  return v;
}

template <typename T>
absl::StatusOr<T> ScalarOf(const json& j, DataType element) {
  absl::StatusOr<std::string> text = TextOf(j);
  if (!text.ok()) return text.status();
  if constexpr (std::is_same_v<T, std::string>) {
    return *text;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (*text == "true") return true;
    if (*text == "false") return false;
    return absl::InvalidArgumentError(fmt::format("{} is not true or false", Quoted(*text)));
  } else if constexpr (std::is_floating_point_v<T>) {
    absl::StatusOr<double> v = Real(*text);
    if (!v.ok()) return v.status();
    if (std::is_same_v<T, float> && std::fabs(*v) > std::numeric_limits<float>::max()) {
      return absl::InvalidArgumentError(fmt::format("{} is out of the float range", Quoted(*text)));
    }
    return static_cast<T>(*v);
  } else {
    int64_t lo = 0;
    uint64_t hi = 0;
    switch (element) {
      case DataType::kInt8:
        lo = INT8_MIN, hi = INT8_MAX;
        break;
      case DataType::kInt16:
        lo = INT16_MIN, hi = INT16_MAX;
        break;
      case DataType::kInt32:
        lo = INT32_MIN, hi = INT32_MAX;
        break;
      case DataType::kInt64:
        lo = INT64_MIN, hi = INT64_MAX;
        break;
      case DataType::kUint8:
        hi = UINT8_MAX;
        break;
      case DataType::kUint16:
        hi = UINT16_MAX;
        break;
      case DataType::kUint32:
        hi = UINT32_MAX;
        break;
      default:
        hi = UINT64_MAX;
        break;
    }
    return Integer<T>(*text, lo, hi);
  }
}

template <typename T>
absl::StatusOr<Value> As(const json& j, DataType type) {
  if (!IsArray(type)) {
    absl::StatusOr<T> v = ScalarOf<T>(j, type);
    if (!v.ok()) return v.status();
    return Value(*std::move(v));
  }
  if (!j.is_array()) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not an array: the signal is {}", Quoted(j.dump()), DataTypeName(type)));
  }
  std::vector<T> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    absl::StatusOr<T> v = ScalarOf<T>(j[i], ElementType(type));
    if (!v.ok()) {
      return absl::InvalidArgumentError(fmt::format("element {}: {}", i, v.status().message()));
    }
    out.push_back(*std::move(v));
  }
  return Value(std::move(out));
}

}  // namespace

json ToJson(const Value& value) {
  auto one = [](const auto& v) -> json {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, float>) {
      return std::strtod(fmt::format("{}", v).c_str(), nullptr);
    } else {
      return v;
    }
  };
  return std::visit(
      [&](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (requires { v.begin(); } && !std::is_same_v<T, std::string>) {
          json out = json::array();
          for (const auto& element : v)
            out.push_back(one(static_cast<typename T::value_type>(element)));
          return out;
        } else {
          return one(v);
        }
      },
      value);
}

json ToViss(const Value& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          json out = json::array();
          for (bool b : v) out.push_back(Text(b));
          return out;
        } else if constexpr (requires { v.begin(); } && !std::is_same_v<T, std::string>) {
          json out = json::array();
          for (const auto& e : v) out.push_back(Text(e));
          return out;
        } else {
          return Text(v);
        }
      },
      value);
}

absl::StatusOr<Value> FromViss(const json& value, DataType type) {
  switch (WireIndexOf(type)) {
    case 1:
    case 9:
      return As<std::string>(value, type);
    case 2:
    case 10:
      return As<bool>(value, type);
    case 3:
    case 11:
      return As<int32_t>(value, type);
    case 4:
    case 12:
      return As<int64_t>(value, type);
    case 5:
    case 13:
      return As<uint32_t>(value, type);
    case 6:
    case 14:
      return As<uint64_t>(value, type);
    case 7:
    case 15:
      return As<float>(value, type);
    case 8:
    case 16:
      return As<double>(value, type);
    default:
      return absl::InternalError("no wire type for the signal's data type");
  }
}

std::string VissTimestamp(Timestamp t) { return FormatIso8601Utc(t); }

std::string Quoted(std::string_view text) {
  std::string cut(text.substr(0, 40));
  return VissText(json(cut)) + (text.size() > 40 ? "…" : "");
}

std::string VissText(const json& message) {
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<double> NumberOf(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::optional<double> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? 1.0 : 0.0;
        } else if constexpr (std::is_arithmetic_v<T>) {
          return static_cast<double>(v);
        } else {
          return std::nullopt;
        }
      },
      value);
}

std::optional<double> NumberOf(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  if (!value.is_string()) return std::nullopt;
  const std::string& s = value.get_ref<const std::string&>();
  if (s == "true") return 1.0;
  if (s == "false") return 0.0;
  absl::StatusOr<double> v = Real(s);
  if (!v.ok()) return std::nullopt;
  return *v;
}

}  // namespace pharos::broker::viss
