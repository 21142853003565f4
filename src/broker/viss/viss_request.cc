#include "broker/viss/viss_request.h"

#include <algorithm>

#include "broker/viss/viss_values.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::viss {
namespace {

using json = nlohmann::json;
using FilterOrError = std::variant<Filter, VissError>;

constexpr long long kMaxCurvelogBuffer = 10000;
constexpr std::string_view kFilterTypes =
    "paths, timebased, range, change, curvelog, history, static-metadata, dynamic-metadata";

std::optional<std::string> StringMember(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// "500" or 500, an integer.
std::optional<long long> IntegerOf(const json& j) {
  if (j.is_number_integer()) return j.get<long long>();
  if (!j.is_string()) return std::nullopt;
  const std::string& s = j.get_ref<const std::string&>();
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
    return std::nullopt;
  }
  return std::stoll(s);
}

std::optional<VissError> ParseBoundary(const json& o, Boundary& out) {
  if (!o.is_object()) return VissError::BadRequest("a range boundary must be an object");
  std::optional<std::string> op = StringMember(o, "boundary-op");
  if (!op || !ParseBoundaryOp(*op)) {
    return VissError::BadRequest("boundary-op must be one of eq, ne, gt, gte, lt, lte");
  }
  auto b = o.find("boundary");
  std::optional<double> value = b == o.end() ? std::nullopt : NumberOf(*b);
  if (!value) return VissError::BadRequest("boundary must be a number (as a string or a number)");
  out = {*ParseBoundaryOp(*op), *value};
  return std::nullopt;
}

std::optional<VissError> ParseOne(const json& o, Filter& f, bool& has_paths, bool& has_other) {
  if (!o.is_object()) return VissError::BadRequest("a filter must be an object {type, parameter}");
  std::optional<std::string> type = StringMember(o, "type");
  auto p = o.find("parameter");
  if (!type || p == o.end()) {
    return VissError::BadRequest("a filter needs \"type\" (a string) and \"parameter\"");
  }
  const json& param = *p;
  if (*type == "paths") {
    if (has_paths) return VissError::BadRequest("at most one filter of type paths");
    has_paths = true;
    std::vector<json> items =
        param.is_array() ? param.get<std::vector<json>>() : std::vector<json>{param};
    for (const json& item : items) {
      if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
        return VissError::BadRequest("a paths parameter is a path or an array of paths");
      }
      f.paths.push_back(item.get<std::string>());
    }
    if (f.paths.empty()) return VissError::BadRequest("a paths parameter names at least one path");
    return std::nullopt;
  }
  if (has_other) {
    return VissError::BadRequest("at most one filter besides paths (the standard combines two)");
  }
  has_other = true;
  if (*type == "timebased") {
    auto period =
        param.is_object() && param.contains("period") ? IntegerOf(param["period"]) : std::nullopt;
    if (!period || *period < 1 || *period > 24LL * 3600 * 1000) {
      return VissError::BadRequest(
          "timebased needs {\"period\": milliseconds}, an integer from 1 to 86400000");
    }
    f.other = Filter::Timebased{static_cast<int>(*period)};
  } else if (*type == "range") {
    Filter::Range r;
    std::vector<json> items =
        param.is_array() ? param.get<std::vector<json>>() : std::vector<json>{param};
    if (items.empty() || items.size() > 2) {
      return VissError::BadRequest("range takes one boundary object or an array of two");
    }
    for (const json& item : items) {
      Boundary b;
      if (auto e = ParseBoundary(item, b)) return e;
      r.boundaries.push_back(b);
    }
    if (std::optional<std::string> c = StringMember(items[0], "combination-op")) {
      if (*c != "AND" && *c != "OR") return VissError::BadRequest("combination-op is AND or OR");
      r.combine_or = *c == "OR";
    }
    f.other = r;
  } else if (*type == "change") {
    std::optional<std::string> op =
        param.is_object() ? StringMember(param, "logic-op") : std::nullopt;
    std::optional<double> diff =
        param.is_object() && param.contains("diff") ? NumberOf(param["diff"]) : std::nullopt;
    if (!op || !ParseBoundaryOp(*op) || !diff) {
      return VissError::BadRequest(
          "change needs {\"logic-op\": eq|ne|gt|gte|lt|lte, \"diff\": a number}");
    }
    f.other = Filter::Change{*ParseBoundaryOp(*op), *diff};
  } else if (*type == "static-metadata") {
    Filter::StaticMetadata m;
    std::vector<json> items =
        param.is_array() ? param.get<std::vector<json>>() : std::vector<json>{param};
    for (const json& item : items) {
      if (!item.is_string()) return VissError::BadRequest("static-metadata keys are strings");
      if (!item.get_ref<const std::string&>().empty()) m.keys.push_back(item.get<std::string>());
    }
    f.other = m;
  } else if (*type == "dynamic-metadata") {
    const json& key = param.is_array() && param.size() == 1 ? param[0] : param;
    if (!key.is_string()) {
      return VissError::BadRequest("dynamic-metadata takes one metadata key name");
    }
    const std::string& name = key.get_ref<const std::string&>();
    if (name != "server_capabilities" && name != "samplerate" && name != "availability" &&
        name != "validate") {
      return VissError::BadRequest(
          fmt::format("dynamic metadata {} is none of samplerate, availability, validate, "
                      "server_capabilities",
                      Quoted(name)));
    }
    f.other = Filter::DynamicMetadata{name};
  } else if (*type == "curvelog") {
    std::optional<double> maxerr =
        param.is_object() && param.contains("maxerr") ? NumberOf(param["maxerr"]) : std::nullopt;
    auto bufsize =
        param.is_object() && param.contains("bufsize") ? IntegerOf(param["bufsize"]) : std::nullopt;
    if (!maxerr || *maxerr < 0 || !bufsize || *bufsize < 2 || *bufsize > kMaxCurvelogBuffer) {
      return VissError::BadRequest(fmt::format(
          "curvelog needs {{\"maxerr\": a number >= 0, \"bufsize\": an integer from 2 to {}}}",
          kMaxCurvelogBuffer));
    }
    f.other = Filter::Curvelog{*maxerr, static_cast<int>(*bufsize)};
  } else if (*type == "history") {
    std::optional<std::chrono::milliseconds> period =
        param.is_string() ? ParseIsoDuration(param.get<std::string>()) : std::nullopt;
    if (!period) {
      return VissError::BadRequest(
          "history takes an ISO 8601 duration \"PdddDThhHmmMssS\" (e.g. \"PT10M\"), under 999 "
          "days");
    }
    f.other = Filter::History{*period};
  } else {
    return VissError::BadRequest(
        fmt::format("unknown filter type {}: one of {}", Quoted(*type), kFilterTypes));
  }
  return std::nullopt;
}

}  // namespace

bool SubscriptionOnly(const Filter& f) {
  return std::holds_alternative<Filter::Timebased>(f.other) ||
         std::holds_alternative<Filter::Range>(f.other) ||
         std::holds_alternative<Filter::Change>(f.other) ||
         std::holds_alternative<Filter::Curvelog>(f.other) ||
         std::holds_alternative<Filter::Threshold>(f.other);
}

bool ReadOnly(const Filter& f) {
  return std::holds_alternative<Filter::StaticMetadata>(f.other) ||
         std::holds_alternative<Filter::DynamicMetadata>(f.other) ||
         std::holds_alternative<Filter::History>(f.other);
}

VissError ErrorOf(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return VissError::Unavailable(message);
    case absl::StatusCode::kPermissionDenied:
      return VissError::Forbidden(message);
    case absl::StatusCode::kUnauthenticated:
      if (message.find("expired") != std::string::npos) return {401, "expired_token", message};
      if (message.find("no credentials") != std::string::npos) {
        return {401, "missing_token", message};
      }
      return {401, "invalid_token", message};
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return VissError::InvalidData(message);
    case absl::StatusCode::kUnimplemented:
      return VissError::NotImplemented(message);
    default:
      return {503, "service_unavailable", message};
  }
}

std::string_view ActionName(VissAction action) {
  switch (action) {
    case VissAction::kGet:
      return "get";
    case VissAction::kSet:
      return "set";
    case VissAction::kSubscribe:
      return "subscribe";
    case VissAction::kUnsubscribe:
      return "unsubscribe";
  }
  return "get";
}

std::optional<VissAction> ParseAction(std::string_view name) {
  for (VissAction a :
       {VissAction::kGet, VissAction::kSet, VissAction::kSubscribe, VissAction::kUnsubscribe}) {
    if (ActionName(a) == name) return a;
  }
  return std::nullopt;
}

std::optional<BoundaryOp> ParseBoundaryOp(std::string_view name) {
  if (name == "eq") return BoundaryOp::kEq;
  if (name == "ne") return BoundaryOp::kNe;
  if (name == "gt") return BoundaryOp::kGt;
  if (name == "gte") return BoundaryOp::kGte;
  if (name == "lt") return BoundaryOp::kLt;
  if (name == "lte") return BoundaryOp::kLte;
  return std::nullopt;
}

bool Compare(double left, BoundaryOp op, double right) {
  switch (op) {
    case BoundaryOp::kEq:
      return left == right;
    case BoundaryOp::kNe:
      return left != right;
    case BoundaryOp::kGt:
      return left > right;
    case BoundaryOp::kGte:
      return left >= right;
    case BoundaryOp::kLt:
      return left < right;
    case BoundaryOp::kLte:
      return left <= right;
  }
  return false;
}

std::optional<std::chrono::milliseconds> ParseIsoDuration(std::string_view text) {
  if (text.size() < 3 || text[0] != 'P') return std::nullopt;
  size_t i = 1;
  bool time = false, any = false;
  double total_ms = 0;
  std::string_view order = "D";  // designators allowed next, in order
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (time) return std::nullopt;
      time = true;
      order = "HMS";
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      ++i;
    }
    if (i == start || i == text.size() || i - start > 12) return std::nullopt;
    std::string number(text.substr(start, i - start));
    if (std::count(number.begin(), number.end(), '.') > 1 || number.front() == '.' ||
        number.back() == '.') {
      return std::nullopt;
    }
    char unit = text[i++];
    size_t pos = order.find(unit);
    if (pos == std::string_view::npos) return std::nullopt;
    if (unit != 'S' && number.find('.') != std::string::npos) return std::nullopt;
    order = order.substr(pos + 1);
    double value = std::stod(number);
    if (unit == 'D' && value >= 999) return std::nullopt;
    total_ms += value * (unit == 'D'   ? 86'400'000
                         : unit == 'H' ? 3'600'000
                         : unit == 'M' ? 60'000
                                       : 1000);
    any = true;
  }
  if (!any || (time && text.back() == 'T')) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

FilterOrError ParseFilter(const json& filter) {
  Filter f;
  bool has_paths = false, has_other = false;
  if (filter.is_array()) {
    if (filter.empty() || filter.size() > 2) {
      return VissError::BadRequest("a filter array holds one or two filter objects");
    }
    for (const json& o : filter) {
      if (auto e = ParseOne(o, f, has_paths, has_other)) return *e;
    }
  } else if (auto e = ParseOne(filter, f, has_paths, has_other)) {
    return *e;
  }
  return f;
}

Parsed ParseRequest(std::string_view payload) {
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    Parsed out;
    out.error = VissError::BadRequest("the request is not valid JSON");
    return out;
  }
  return ParseRequestObject(j);
}

Parsed ParseRequestObject(const json& j) {
  Parsed out;
  if (!j.is_object()) {
    out.error = VissError::BadRequest("the request must be a JSON object");
    return out;
  }
  if (auto id = StringMember(j, "requestId")) out.request_id = *id;
  if (auto a = StringMember(j, "action")) out.action = *a;
  auto fail = [&](VissError e) {
    out.error = std::move(e);
    return out;
  };
  VissRequest r;
  if (std::optional<VissAction> action = ParseAction(out.action)) {
    r.action = *action;
  } else {
    return fail(VissError::BadRequest(
        j.contains("action")
            ? fmt::format("unknown action {}: get, set, subscribe or unsubscribe",
                          Quoted(j["action"].is_string() ? j["action"].get<std::string>()
                                                         : j["action"].dump()))
            : "the request has no \"action\""));
  }
  if (!j.contains("requestId") || !j["requestId"].is_string()) {
    return fail(VissError::BadRequest("\"requestId\" (a string) is required"));
  }
  r.request_id = out.request_id;
  if (j.contains("authorization")) {
    if (!j["authorization"].is_string()) {
      return fail(VissError::BadRequest("\"authorization\" must be a string (the token)"));
    }
    r.tokens.push_back(j["authorization"].get<std::string>());
  }
  if (r.action == VissAction::kUnsubscribe) {
    std::optional<std::string> id = StringMember(j, "subscriptionId");
    if (!id) return fail(VissError::BadRequest("\"subscriptionId\" (a string) is required"));
    r.subscription_id = *id;
    out.request = std::move(r);
    return out;
  }
  std::optional<std::string> path = StringMember(j, "path");
  if (!path || path->empty()) return fail(VissError::BadRequest("\"path\" (a string) is required"));
  if (path->find('*') != std::string::npos) {
    return fail(VissError::BadRequest(
        "the path must not contain wildcards: use a paths filter relative to it"));
  }
  r.path = *path;
  std::replace(r.path.begin(), r.path.end(), '/', '.');
  if (j.contains("filter")) {
    json filter = j["filter"];
    if (filter.is_string()) {  // some clients send the expression as text
      filter = json::parse(filter.get<std::string>(), nullptr, false);
      if (filter.is_discarded()) return fail(VissError::BadRequest("the filter is not JSON"));
    }
    FilterOrError parsed = ParseFilter(filter);
    if (auto* e = std::get_if<VissError>(&parsed)) return fail(*e);
    r.filter = std::get<Filter>(std::move(parsed));
    if (r.action != VissAction::kSubscribe && SubscriptionOnly(r.filter)) {
      return fail(
          VissError::BadRequest("timebased, range, change and curvelog filters apply "
                                "to subscriptions only"));
    }
    if (r.action != VissAction::kGet && ReadOnly(r.filter)) {
      return fail(VissError::BadRequest("history and metadata filters apply to get only"));
    }
    if (r.action == VissAction::kSet) {
      return fail(VissError::BadRequest("set takes no filter"));
    }
  }
  if (r.action == VissAction::kSet) {
    if (!j.contains("value")) return fail(VissError::BadRequest("set needs a \"value\""));
    r.value = j["value"];
  }
  out.request = std::move(r);
  return out;
}

}  // namespace pharos::broker::viss
