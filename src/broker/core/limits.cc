#include "broker/core/limits.h"

#include <algorithm>
#include <limits>

#include "absl/strings/cord.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker {
namespace {

constexpr char kValueErrorUrl[] = "type.pharos.dev/broker.ValueError";

absl::Status Tagged(absl::Status status, ValueError error) {
  status.SetPayload(
      kValueErrorUrl,
      absl::Cord(error == ValueError::kTypeMismatch ? "type_mismatch" : "out_of_bounds"));
  return status;
}

// The declared range of the narrow integer types that travel as int32/uint32.
struct IntRange {
  int64_t lo;
  int64_t hi;
};
std::optional<IntRange> NarrowRange(DataType element) {
  switch (element) {
    case DataType::kInt8:
      return IntRange{-128, 127};
    case DataType::kInt16:
      return IntRange{-32768, 32767};
    case DataType::kUint8:
      return IntRange{0, 255};
    case DataType::kUint16:
      return IntRange{0, 65535};
    default:
      return std::nullopt;
  }
}

template <typename T>
const T* As(const Value& v) {
  return std::get_if<T>(&v);
}

// Checks one element of type T against the signal's limits.
template <typename T>
absl::Status CheckElement(const Signal& signal, const T& x) {
  const SignalSpec& spec = signal.spec;
  DataType element = ElementType(*spec.data_type);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (auto range = NarrowRange(element)) {
      if (static_cast<int64_t>(x) < range->lo || static_cast<int64_t>(x) > range->hi) {
        return Tagged(absl::OutOfRangeError(
                          fmt::format("{}: {} is outside the range of {} ({}..{})", spec.path, x,
                                      DataTypeName(element), range->lo, range->hi)),
                      ValueError::kOutOfBounds);
      }
    }
  }
  if constexpr (!std::is_same_v<T, bool>) {
    if constexpr (!std::is_same_v<T, std::string>) {
      if (const T* lo = As<T>(spec.min); lo && x < *lo) {
        return Tagged(
            absl::OutOfRangeError(fmt::format("{}: {} is below the minimum {}", spec.path, x, *lo)),
            ValueError::kOutOfBounds);
      }
      if (const T* hi = As<T>(spec.max); hi && x > *hi) {
        return Tagged(
            absl::OutOfRangeError(fmt::format("{}: {} is above the maximum {}", spec.path, x, *hi)),
            ValueError::kOutOfBounds);
      }
    }
    if (const auto* allowed = As<std::vector<T>>(spec.allowed)) {
      if (std::find(allowed->begin(), allowed->end(), x) == allowed->end()) {
        return Tagged(absl::InvalidArgumentError(
                          fmt::format("{}: {} is not one of the allowed values {}", spec.path,
                                      ValueText(Value(x)), ValueText(spec.allowed))),
                      ValueError::kOutOfBounds);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<ValueError> ValueErrorOf(const absl::Status& status) {
  auto payload = status.GetPayload(kValueErrorUrl);
  if (!payload) return std::nullopt;
  return *payload == "type_mismatch" ? ValueError::kTypeMismatch : ValueError::kOutOfBounds;
}

absl::Status CheckValue(const Signal& signal, const Value& value) {
  const SignalSpec& spec = signal.spec;
  if (signal.is_branch()) {
    return absl::InvalidArgumentError(fmt::format("{} is a branch, not a signal", spec.path));
  }
  if (!HasValue(value)) return absl::OkStatus();
  if (value.index() != WireIndexOf(*spec.data_type)) {
    return Tagged(
        absl::InvalidArgumentError(fmt::format("{} is of type {}; the value given is {}", spec.path,
                                               DataTypeName(*spec.data_type), WireTypeName(value))),
        ValueError::kTypeMismatch);
  }
  return std::visit(
      [&](const auto& v) -> absl::Status {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return absl::OkStatus();
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          return absl::OkStatus();
        } else if constexpr (requires { typename T::value_type; } &&
                             !std::is_same_v<T, std::string>) {
          for (const auto& x : v) {
            if (absl::Status s = CheckElement(signal, typename T::value_type(x)); !s.ok()) return s;
          }
          return absl::OkStatus();
        } else {
          return CheckElement(signal, v);
        }
      },
      value);
}

}  // namespace pharos::broker
