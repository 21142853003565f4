// VISS v2's HTTP transport (v2.0 transport text, "HTTPS"): a GET reads
// (`GET /Vehicle/Speed?filter={...}`), a POST with `{"value": ...}` sets,
// the token travels in `Authorization: Bearer`, errors are HTTP statuses
// with the same error object in the body. Subscriptions are not part of
// this transport. Pure mapping: no sockets here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "broker/viss/viss_request.h"
#include "nlohmann/json.hpp"

namespace pharos::broker::viss {

// The request a GET or POST stands for; `target` is the request target
// ("/Vehicle/Speed?filter=%7B...%7D"). Another method: 405 in the error's
// number (the caller answers it as that status).
std::variant<VissRequest, VissError> ParseHttpRequest(
    std::string_view method, std::string_view target, std::string_view body,
    std::optional<std::string_view> authorization);

struct HttpAnswer {
  int status = 200;
  nlohmann::json body;
};
// A WebSocket-shaped answer (VissChannel::Execute) as the HTTP transport
// gives it: the status from the error number, the body without `action`
// and `requestId`.
HttpAnswer ToHttp(nlohmann::json answer);

// "%7B%22a%22" -> "{\"a\""; '+' is a space. nullopt for a broken escape.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace pharos::broker::viss
