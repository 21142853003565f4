// The seed's W3C draft dialect (subprotocol "VISS1.0", seed 003 "Message
// Structure"): action/path/reqId, tokens in "security", "interval" and
// "onchange" instead of filters, integer subscription ids ("subId"; 0 in
// an unsubscribe means all of them), values as plain JSON, errors
// {number, code, message} with the seed's codes, and a millisecond
// "timestamp". Read into, and rendered from, the channel's v2 terms.
#include <algorithm>
#include <chrono>

#include "broker/viss/dialect.h"
#include "broker/viss/viss_values.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::viss {
namespace {

using json = nlohmann::json;

// The members a draft answer repeats from its request (the seed's answers
// echo them, errors too).
constexpr const char* kEchoed[] = {"reqId", "path", "interval", "onchange", "id", "value"};

std::string Trimmed(std::string text) {
  size_t start = text.find_first_not_of(' ');
  size_t end = text.find_last_not_of(' ');
  return start == std::string::npos ? "" : text.substr(start, end - start + 1);
}

std::optional<VissError> ReadBounds(const json& j, Filter::Threshold::Bounds& out) {
  for (const auto& [key, v] : j.items()) {
    std::optional<double>* slot = key == "above"       ? &out.above
                                  : key == "below"     ? &out.below
                                  : key == "minChange" ? &out.min_change
                                                       : nullptr;
    if (!slot) {
      return VissError::BadRequest(
          fmt::format("onchange member {} is not above, below or minChange", Quoted(key)));
    }
    if (!v.is_number())
      return VissError::BadRequest(fmt::format("onchange {} must be a number", key));
    *slot = v.get<double>();
  }
  if (out.min_change && *out.min_change < 0) {
    return VissError::BadRequest("onchange minChange must not be negative");
  }
  return std::nullopt;
}

// "interval" (milliseconds) or "onchange" (true, bounds, or bounds per
// signal of a branch) as the filter of a subscription.
std::optional<VissError> ReadSubscription(const json& j, VissRequest& r) {
  if (j.contains("filters")) {
    return VissError::BadRequest(
        "\"filters\" is a placeholder in the draft: use interval or onchange");
  }
  if (j.contains("interval") && j.contains("onchange")) {
    return VissError::BadRequest("interval and onchange exclude each other");
  }
  if (j.contains("interval")) {
    const json& i = j["interval"];
    if (!i.is_number_integer() || i.get<int64_t>() < 1 || i.get<int64_t>() > 86'400'000) {
      return VissError::BadRequest("interval must be an integer of milliseconds, 1 to 86400000");
    }
    r.filter.other = Filter::Timebased{i.get<int>()};
    return std::nullopt;
  }
  if (!j.contains("onchange") || j["onchange"] == true) return std::nullopt;  // every change
  const json& o = j["onchange"];
  if (!o.is_object() || o.empty()) {
    return VissError::BadRequest("onchange is true or an object of above, below, minChange");
  }
  Filter::Threshold threshold;
  bool per_signal = o.begin().value().is_object();
  if (!per_signal) {
    if (auto e = ReadBounds(o, threshold.all)) return e;
  } else {
    for (const auto& [name, bounds] : o.items()) {
      if (!bounds.is_object()) {
        return VissError::BadRequest("onchange per signal: every member is an object of bounds");
      }
      std::string path = r.path + "." + name;
      std::replace(path.begin(), path.end(), '/', '.');
      if (auto e = ReadBounds(bounds, threshold.by_path[path])) return e;
    }
  }
  r.filter.other = std::move(threshold);
  return std::nullopt;
}

Parsed ParseDraft(std::string_view payload) {
  Parsed out;
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    out.error = VissError::BadRequest("the request must be a JSON object");
    return out;
  }
  out.echo = json::object();
  for (const char* key : kEchoed) {
    if (j.contains(key)) out.echo[key] = j[key];
  }
  if (j.contains("reqId")) {
    out.request_id = j["reqId"].is_string() ? j["reqId"].get<std::string>() : j["reqId"].dump();
  }
  if (j.contains("action") && j["action"].is_string()) out.action = j["action"].get<std::string>();
  auto fail = [&](VissError e) {
    out.error = std::move(e);
    return out;
  };
  VissRequest r;
  r.request_id = out.request_id;
  r.echo = out.echo;
  if (std::optional<VissAction> action = ParseAction(out.action)) {
    r.action = *action;
  } else {
    return fail(VissError::BadRequest("action must be get, set, subscribe or unsubscribe"));
  }
  if (j.contains("security")) {
    if (!j["security"].is_object()) {
      return fail(VissError::BadRequest("security is an object of token names and tokens"));
    }
    for (const auto& [name, token] : j["security"].items()) {
      if (!token.is_string()) {
        return fail(
            VissError::BadRequest(fmt::format("security {}: a token is a string", Quoted(name))));
      }
      std::string t = token.get<std::string>();
      if (t.rfind("Bearer ", 0) == 0) t.erase(0, 7);
      r.tokens.push_back(std::move(t));
    }
  }
  if (r.action == VissAction::kUnsubscribe) {
    const json* id = j.contains("id") ? &j["id"] : j.contains("subId") ? &j["subId"] : nullptr;
    if (!id || !id->is_number_integer() || id->get<int64_t>() < 0) {
      return fail(VissError::BadRequest("unsubscribe needs \"id\": a subscription id, 0 for all"));
    }
    r.all_subscriptions = id->get<int64_t>() == 0;
    r.subscription_id = std::to_string(id->get<int64_t>());
    out.request = std::move(r);
    return out;
  }
  if (!j.contains("path") || !j["path"].is_string()) {
    return fail(VissError::BadRequest("\"path\" (a string) is required"));
  }
  std::string path = Trimmed(j["path"].get<std::string>());
  std::replace(path.begin(), path.end(), '/', '.');
  // A wildcard in the draft's path: the part before it is the path, the
  // rest a paths filter below it (v2's form of the same question).
  if (size_t star = path.find('*'); star != std::string::npos) {
    size_t dot = path.rfind('.', star);
    if (dot == std::string::npos || dot == 0) {
      return fail(VissError::BadRequest("a path may not start with a wildcard"));
    }
    r.filter.paths.push_back(path.substr(dot + 1));
    path.resize(dot);
  }
  if (path.empty()) return fail(VissError::BadRequest("\"path\" is empty"));
  r.path = path;
  if (r.action == VissAction::kSet) {
    if (!j.contains("value")) return fail(VissError::BadRequest("set needs a \"value\""));
    if (!r.filter.paths.empty() || j["value"].is_object()) {
      return fail(VissError::BadRequest("set writes one signal: a path without wildcards"));
    }
    r.value = j["value"];
  }
  if (r.action == VissAction::kSubscribe) {
    if (auto e = ReadSubscription(j, r)) return fail(*e);
  }
  out.request = std::move(r);
  return out;
}

// The seed's error table: its codes for the standard's reasons.
std::string_view DraftCode(std::string_view reason, std::string_view action) {
  if (reason == "bad_request") return "unrecognised_format";
  if (reason == "invalid_data") return "none_settable_path";
  if (reason == "missing_token" || reason == "expired_token" || reason == "invalid_token") {
    return "user_unauthorised";
  }
  if (reason == "forbidden_request") return "user_forbidden";
  if (reason == "unavailable_data") return action == "unsubscribe" ? "invalid_ID" : "invalid_path";
  return reason;  // service_unavailable, not_implemented
}

// A data entry's value as plain JSON, by its signal's type.
json NativeValue(const json& entry, const RenderContext& context) {
  if (!entry.is_object() || !entry.contains("dp")) return nullptr;
  const json& dp = entry["dp"];
  const json& point = dp.is_array() && !dp.empty() ? dp.back() : dp;
  if (!point.is_object() || !point.contains("value")) return nullptr;
  const json& text = point["value"];
  std::optional<DataType> type = context.type_of(entry.value("path", ""));
  if (!type) return text;
  absl::StatusOr<Value> v = FromViss(text, *type);
  return v.ok() ? ToJson(*v) : text;
}

// One leaf at the path: its value. Several (a branch or a wildcard): an
// object nesting each by its path below the request's path.
json DraftValue(const json& data, std::string_view base, const RenderContext& context) {
  std::string prefix(base.substr(0, std::min(base.find('*'), base.size())));
  std::replace(prefix.begin(), prefix.end(), '/', '.');
  while (!prefix.empty() && (prefix.back() == '.' || prefix.back() == ' ')) prefix.pop_back();
  while (!prefix.empty() && prefix.front() == ' ') prefix.erase(0, 1);
  if (!data.is_object() && !data.is_array()) return nullptr;
  if (data.is_object() && data.value("path", "") == prefix) return NativeValue(data, context);
  json out = json::object();
  for (const json& entry : data.is_array() ? data : json::array({data})) {
    if (!entry.is_object() || !entry.contains("path") || !entry["path"].is_string()) continue;
    std::string path = entry["path"].get<std::string>();
    std::string rel = path.rfind(prefix + ".", 0) == 0 ? path.substr(prefix.size() + 1) : path;
    json* node = &out;
    for (size_t start = 0;;) {
      size_t dot = rel.find('.', start);
      std::string name = rel.substr(start, dot == std::string::npos ? dot : dot - start);
      if (dot == std::string::npos) {
        (*node)[name] = NativeValue(entry, context);
        break;
      }
      node = &(*node)[name];
      start = dot + 1;
    }
  }
  return out;
}

int64_t IdNumber(const json& id) {
  if (!id.is_string()) return 0;
  const std::string& s = id.get_ref<const std::string&>();
  return s.empty() ? 0 : std::strtoll(s.c_str(), nullptr, 10);
}

class Draft final : public Dialect {
 public:
  std::string_view subprotocol() const override { return "VISS1.0"; }
  Parsed Parse(std::string_view payload) const override { return ParseDraft(payload); }

  std::string Render(json message, const RenderContext& context) const override {
    json echo = message.contains("echo") ? message["echo"] : json::object();
    std::string action = message.value("action", "");
    std::string base =
        echo.contains("path") && echo["path"].is_string() ? echo["path"].get<std::string>() : "";
    json out = json::object();
    if (message.contains("error") && message["error"].is_object()) {
      const json& e = message["error"];
      out["error"] = {{"number", e.value("number", 400)},
                      {"code", DraftCode(e.value("reason", ""), action)},
                      {"message", e.value("message", "")}};
      if (action == "subscription") {
        out["subId"] = IdNumber(message.value("subscriptionId", json()));
      } else if (!action.empty()) {
        out["action"] = action;
      }
      for (const auto& [key, v] : echo.items()) out[key] = v;
    } else if (action == "get") {
      out = {{"action", "get"},
             {"path", base},
             {"value", DraftValue(message.value("data", json()), base, context)}};
    } else if (action == "set") {
      out = {{"action", "set"}, {"status", "success"}, {"path", base}};
      if (echo.contains("value")) out["value"] = echo["value"];
    } else if (action == "subscribe") {
      out = {{"action", "subscribe"}, {"subId", IdNumber(message.value("subscriptionId", json()))}};
      for (const char* key : {"path", "interval", "onchange"}) {
        if (echo.contains(key)) out[key] = echo[key];
      }
    } else if (action == "unsubscribe") {
      out = {{"action", "unsubscribe"},
             {"status", "success"},
             {"id", IdNumber(message.value("subscriptionId", json()))}};
    } else if (action == "subscription") {
      out = {{"subId", IdNumber(message.value("subscriptionId", json()))},
             {"path", base},
             {"value", DraftValue(message.value("data", json()), base, context)}};
    }
    if (echo.contains("reqId")) out["reqId"] = echo["reqId"];
    out["timestamp"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                           context.clock.Now().time_since_epoch())
                           .count();
    return VissText(out);
  }
};

}  // namespace

const Dialect& DraftDialect() {
  static const Draft draft;
  return draft;
}

}  // namespace pharos::broker::viss
