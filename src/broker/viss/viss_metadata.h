// VISS v2's metadata answers: the static metadata of a subtree (the
// catalog's VSS keys, nested by "children"), the server capabilities, and
// the dynamic metadata of signals (samplerate, availability, validate;
// v2 core "Dynamic Metadata Filter Operation").
#pragma once

#include <variant>
#include <vector>

#include "broker/auth/token_authority.h"
#include "broker/core/broker.h"
#include "broker/viss/viss_request.h"
#include "nlohmann/json.hpp"

namespace pharos::broker::viss {

// {"Speed": {"type": ..., "children": {...}}}: `root` and everything below.
nlohmann::json StaticMetadataOf(Broker& broker, const Signal& root,
                                const Filter::StaticMetadata& keys);
// {"filter": [...], "access_ctrl": [], "transport_protocol": [...]}: what is served.
nlohmann::json ServerCapabilities(bool secure);

// The data entries ({"path", "dp": {"value", "ts"}}) of `key` for each
// signal that has it:
// - samplerate: updates per second, measured over the signal's recent
//   updates (the history ring and the current value); a signal with fewer
//   than two updates has none;
// - availability: "available" when the signal has a value, else
//   "unavailable" (Pharos cannot tell "error": nothing reports a broken
//   subsystem);
// - validate: "write-only" when reading is public (--public-scope) and
//   only writing needs a token, "read-write" when both do; nothing when
//   authorization is off.
// None has it: unavailable_data saying why.
std::variant<std::vector<nlohmann::json>, VissError> DynamicMetadataOf(
    AuthorizedBroker& broker, const TokenAuthority& tokens,
    const std::vector<const Signal*>& signals, const std::string& key, Timestamp now);

}  // namespace pharos::broker::viss
