#include "broker/core/limits.h"

#include <algorithm>
#include <limits>

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker {
namespace {

// The declared range of the narrow integer types that travel as int32/uint32.
struct IntRange {
  int64_t lo;
  int64_t hi;
};
std::optional<IntRange> NarrowRange(DataType element) {
  switch (element) {
    case DataType::kInt8: return IntRange{-128, 127};
    case DataType::kInt16: return IntRange{-32768, 32767};
    case DataType::kUint8: return IntRange{0, 255};
    case DataType::kUint16: return IntRange{0, 65535};
    default: return std::nullopt;
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
        return absl::OutOfRangeError(fmt::format("{}: {} is outside the range of {} ({}..{})",
                                                 spec.path, x, DataTypeName(element), range->lo,
                                                 range->hi));
      }
    }
  }
  if constexpr (!std::is_same_v<T, bool>) {
    if constexpr (!std::is_same_v<T, std::string>) {
      if (const T* lo = As<T>(spec.min); lo && x < *lo) {
        return absl::OutOfRangeError(
            fmt::format("{}: {} is below the minimum {}", spec.path, x, *lo));
      }
      if (const T* hi = As<T>(spec.max); hi && x > *hi) {
        return absl::OutOfRangeError(
            fmt::format("{}: {} is above the maximum {}", spec.path, x, *hi));
      }
    }
    if (const auto* allowed = As<std::vector<T>>(spec.allowed)) {
      if (std::find(allowed->begin(), allowed->end(), x) == allowed->end()) {
        return absl::InvalidArgumentError(fmt::format("{}: {} is not one of the allowed values {}",
                                                      spec.path, ValueText(Value(x)),
                                                      ValueText(spec.allowed)));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckValue(const Signal& signal, const Value& value) {
  const SignalSpec& spec = signal.spec;
  if (signal.is_branch()) {
    return absl::InvalidArgumentError(fmt::format("{} is a branch, not a signal", spec.path));
  }
  if (!HasValue(value)) return absl::OkStatus();
  if (value.index() != WireIndexOf(*spec.data_type)) {
    return absl::InvalidArgumentError(fmt::format("{} is of type {}; the value given is {}",
                                                  spec.path, DataTypeName(*spec.data_type),
                                                  WireTypeName(value)));
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
