// VISS v2 requests as the front ends receive them (WebSocket payloads; the
// HTTP and MQTT transports map onto the same struct), parsed and checked
// before anything touches the broker, and the standard's error object.
// Parsing never throws: malformed input is a VissError.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace pharos::broker::viss {

// The error object {number, reason, message}: the reasons of VISS v2
// transport's status table (and 501 for what Pharos does not serve yet).
struct VissError {
  int number = 400;
  std::string reason = "bad_request";
  std::string message;

  static VissError BadRequest(std::string message) {
    return {400, "bad_request", std::move(message)};
  }
  static VissError InvalidData(std::string message) {
    return {400, "invalid_data", std::move(message)};
  }
  static VissError Unavailable(std::string message) {
    return {404, "unavailable_data", std::move(message)};
  }
  static VissError Forbidden(std::string message) {
    return {403, "forbidden_request", std::move(message)};
  }
  static VissError NotImplemented(std::string message) {
    return {501, "not_implemented", std::move(message)};
  }
  // {"number", "reason", "message"}: the object every transport sends.
  nlohmann::json ToJson() const {
    return {{"number", number}, {"reason", reason}, {"message", message}};
  }
};

// The broker's answer as the VISS error a client expects: NOT_FOUND 404
// unavailable_data, PERMISSION_DENIED 403 forbidden_request, UNAUTHENTICATED
// 401 (expired_token / missing_token / invalid_token), INVALID_ARGUMENT and
// OUT_OF_RANGE 400 invalid_data, UNAVAILABLE and DEADLINE_EXCEEDED 503
// service_unavailable, UNIMPLEMENTED 501.
VissError ErrorOf(const absl::Status& status);

enum class VissAction { kGet, kSet, kSubscribe, kUnsubscribe };
std::string_view ActionName(VissAction action);
// "get", "set", "subscribe", "unsubscribe"; nullopt for anything else.
std::optional<VissAction> ParseAction(std::string_view name);

enum class BoundaryOp { kEq, kNe, kGt, kGte, kLt, kLte };
// "eq" ... "lte"; nullopt for anything else.
std::optional<BoundaryOp> ParseBoundaryOp(std::string_view name);
bool Compare(double left, BoundaryOp op, double right);

struct Boundary {
  BoundaryOp op;
  double value;
};

// The filter expression of VISS v2 core: at most one "paths" object plus at
// most one of the others, combined with AND.
struct Filter {
  std::vector<std::string> paths;  // relative to the request's path; empty: the path itself
  struct Timebased {
    int period_ms;
  };
  struct Range {
    std::vector<Boundary> boundaries;  // one or two
    bool combine_or = false;           // the first object's "combination-op": "OR"
  };
  struct Change {
    BoundaryOp op;
    double diff;
  };
  struct Curvelog {
    double maxerr;
    int bufsize;  // samples per signal before an event
  };
  struct StaticMetadata {
    std::vector<std::string> keys;  // empty: all
  };
  struct DynamicMetadata {
    std::string key;  // "server_capabilities", "availability", ...
  };
  struct History {
    std::chrono::milliseconds period;  // back from now
  };
  // The draft dialect's onchange {above, below, minChange}: a value is sent
  // when it is within the bounds (above ≤ v ≤ below; when above > below,
  // v ≥ above or v ≤ below) and differs by at least minChange from the
  // last one sent. Per signal (a branch's onchange object names its
  // signals by relative path) or for all.
  struct Threshold {
    struct Bounds {
      std::optional<double> above, below, min_change;
    };
    Bounds all;
    std::map<std::string, Bounds> by_path;  // full signal path → its bounds
  };
  std::variant<std::monostate, Timebased, Range, Change, Curvelog, History, StaticMetadata,
               DynamicMetadata, Threshold>
      other;
};

struct VissRequest {
  VissAction action = VissAction::kGet;
  std::string request_id;
  std::string path;  // dots; a slash-separated path is converted
  Filter filter;
  nlohmann::json value;         // set
  std::string subscription_id;  // unsubscribe
  bool all_subscriptions = false;  // unsubscribe every subscription (the draft's id 0)
  // The tokens the request carries, without "Bearer" (v2: "authorization";
  // the draft dialect: each value of "security"; HTTP: the header).
  std::vector<std::string> tokens;
  // What a dialect needs to echo back (the draft's reqId, path, interval
  // ...): the channel puts it into every answer and event as "echo", and
  // the dialect's renderer takes it out. Null for v2.
  nlohmann::json echo;
};

// A WebSocket / MQTT payload. On error, `request_id` (and `action`) are
// filled when they could be read, so the error response echoes them.
struct Parsed {
  std::optional<VissRequest> request;
  std::optional<VissError> error;
  std::string request_id;
  std::string action;
  nlohmann::json echo;  // a dialect's, for the error answer too
};
Parsed ParseRequest(std::string_view payload);
// The same, of a message already read as JSON (the dialects translate
// theirs into v2's shape first).
Parsed ParseRequestObject(const nlohmann::json& message);

// The history filter's period, ISO 8601 as the core text restricts it:
// "PdddDThhHmmMssS", each part optional but at least one, fewer than 999
// days, seconds possibly with a fraction. nullopt for anything else.
std::optional<std::chrono::milliseconds> ParseIsoDuration(std::string_view text);

// Filters that only a subscription can have (timebased, range, change,
// curvelog, the draft's onchange bounds), and those only a get can
// (history, metadata).
bool SubscriptionOnly(const Filter& filter);
bool ReadOnly(const Filter& filter);

// A filter expression (the "filter" member, or HTTP's filter= query):
// an object or an array of at most two objects.
std::variant<Filter, VissError> ParseFilter(const nlohmann::json& filter);

}  // namespace pharos::broker::viss
