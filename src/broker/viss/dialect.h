// The wire dialects a VISS channel speaks, chosen by the WebSocket
// subprotocol: VISS v2 (the standard; also what a client offering none
// gets), the seed's W3C draft ("VISS1.0") and VISS v3 ("VISSv3"). The
// channel works in v2's terms; a dialect reads its clients' messages into
// v2 requests and renders the channel's v2-shaped messages in its own
// shape. One conversions file each: dialect_draft.cc, dialect_v3.cc.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "broker/core/types.h"
#include "broker/viss/viss_request.h"
#include "common/clock.h"
#include "nlohmann/json.hpp"

namespace pharos::broker::viss {

struct RenderContext {
  const Clock& clock;
  // A signal's data type (the draft sends native JSON values, v2 text);
  // nullopt when the path is not a signal with a type.
  std::function<std::optional<DataType>(std::string_view path)> type_of;
};

class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual std::string_view subprotocol() const = 0;
  // A client's message as a v2 request, or the error (v2 terms; `echo`
  // filled with what the dialect's error answer repeats).
  virtual Parsed Parse(std::string_view payload) const = 0;
  // A v2-shaped answer, event or error (with the request's "echo") as
  // this dialect's text for the client.
  virtual std::string Render(nlohmann::json message, const RenderContext& context) const = 0;
};

// A v2 error object {number, reason, message} in VISS v3's shape:
// {"number": "404", reason, "description"}, v3's one 401 reason
// (missing_token and expired_token are invalid_token). The WebSocket
// dialect and the gRPC service both send it.
nlohmann::json V3Error(const nlohmann::json& v2_error);

const Dialect& V2Dialect();
const Dialect& DraftDialect();
const Dialect& V3Dialect();

// The dialect of one subprotocol name; nullptr when it is none of them.
const Dialect* DialectFor(std::string_view subprotocol);

}  // namespace pharos::broker::viss
