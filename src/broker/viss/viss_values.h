// VISS's data representation (VISS v2 core, "Data representation"): a
// value is a JSON string ("2372", "true", "sport"), an array of strings for
// array signals; timestamps are RFC 3339 UTC strings. Clients also send
// plain JSON numbers and booleans, which are taken as their text.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "broker/core/types.h"
#include "nlohmann/json.hpp"

namespace pharos::broker::viss {

// "2372", ["1", "2"]; a signal without a value yet is JSON null.
nlohmann::json ToViss(const Value& value);
// The value as plain JSON (42.5, true, "sport", [1, 2]; none: null), for
// the draft dialect, which sends values that way. A float is written with
// its shortest text (0.1f is 0.1, not 0.10000000149).
nlohmann::json ToJson(const Value& value);
// The text as a value of `type`: INVALID_ARGUMENT saying why (not a number,
// out of the type's range, not an array ...).
absl::StatusOr<Value> FromViss(const nlohmann::json& value, DataType type);
// "2020-04-15T13:37:00.123Z"
std::string VissTimestamp(Timestamp t);

// JSON text of a message for a client. Never throws: bytes that are not
// UTF-8 (a %-escaped URL can carry any) become U+FFFD.
std::string VissText(const nlohmann::json& message);
// A client's text inside an error message: JSON-quoted (no raw control
// characters), at most 40 bytes of it.
std::string Quoted(std::string_view text);

// A signal's value as a number, for the range and change filters (booleans
// are 0 and 1); nullopt for strings, arrays and none.
std::optional<double> NumberOf(const Value& value);
// A filter's boundary ("49", 49) as a number; nullopt when it is none.
std::optional<double> NumberOf(const nlohmann::json& value);

}  // namespace pharos::broker::viss
