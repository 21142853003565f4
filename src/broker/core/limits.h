// What a write must satisfy before it reaches the store: the signal's wire
// type, the range of its declared VSS type (int8 ...), the catalog's
// min/max and allowed values. Errors name the path and the limit:
// INVALID_ARGUMENT for a wrong type or a value not allowed, OUT_OF_RANGE
// for a value outside min/max or its type's range (front ends whose
// contract says otherwise map it at their edge).
#pragma once

#include <optional>

#include "absl/status/status.h"
#include "broker/core/catalog.h"

namespace pharos::broker {

// Which rule a refused value broke, for front ends whose wire has a word
// for it (kuksa.val.v1's "type_mismatch", sdv.databroker.v1's OUT_OF_BOUNDS).
enum class ValueError { kTypeMismatch, kOutOfBounds };
std::optional<ValueError> ValueErrorOf(const absl::Status& status);

// A value of std::monostate ("none") passes: publishing none says the
// signal has no value now. Callers that need a value (actuation) check it.
absl::Status CheckValue(const Signal& signal, const Value& value);

}  // namespace pharos::broker
