// VISS v3's WebSocket dialect (subprotocol "VISSv3",
// ../shared/specs/viss/vissv3.0-schema.json): v2's messages with the filter
// kind named "variant" (range's operator "logic-op"; "metadata" for the
// static metadata, or server_capabilities), and errors whose number is a
// string and whose text is "description". Read into, and rendered from,
// the channel's v2 terms.
#include "broker/viss/dialect.h"
#include "broker/viss/viss_values.h"

namespace pharos::broker::viss {
namespace {

using json = nlohmann::json;

// One v3 filter object in v2's terms; an error when it is not v3's shape.
std::optional<VissError> ToV2Filter(json& f) {
  if (!f.is_object() || !f.contains("variant") || !f["variant"].is_string()) {
    return VissError::BadRequest("a v3 filter is an object with a \"variant\"");
  }
  if (f.contains("type"))
    return VissError::BadRequest("v3 names the filter kind \"variant\", not \"type\"");
  std::string variant = f["variant"].get<std::string>();
  f.erase("variant");
  if (variant == "metadata") {
    bool capabilities = f.contains("parameter") && f["parameter"] == "server_capabilities";
    variant = capabilities ? "dynamic-metadata" : "static-metadata";
  } else if (variant == "static-metadata" || variant == "dynamic-metadata") {
    return VissError::BadRequest("v3 has one \"metadata\" variant");
  }
  if (variant == "range" && f.contains("parameter")) {
    auto rename = [](json& bound) {
      if (bound.is_object() && bound.contains("logic-op")) {
        bound["boundary-op"] = bound["logic-op"];
        bound.erase("logic-op");
      }
    };
    json& p = f["parameter"];
    if (p.is_array()) {
      for (json& bound : p) rename(bound);
    } else {
      rename(p);
    }
  }
  f["type"] = variant;
  return std::nullopt;
}

class V3 final : public Dialect {
 public:
  std::string_view subprotocol() const override { return "VISSv3"; }

  Parsed Parse(std::string_view payload) const override {
    json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("dc")) {
      Parsed out = ParseRequestObject(j);
      out.request.reset();
      out.error = VissError::NotImplemented("data compression (\"dc\") is not served");
      return out;
    }
    if (j.is_object() && j.contains("filter")) {
      json& filter = j["filter"];
      if (filter.is_string()) filter = json::parse(filter.get<std::string>(), nullptr, false);
      std::optional<VissError> error;
      if (filter.is_array()) {
        for (json& f : filter) error = error ? error : ToV2Filter(f);
      } else {
        error = ToV2Filter(filter);
      }
      if (error) {
        j.erase("filter");
        Parsed out = ParseRequestObject(j);
        out.request.reset();
        out.error = *error;
        return out;
      }
    }
    return j.is_discarded() ? ParseRequest(payload) : ParseRequestObject(j);
  }

  std::string Render(json message, const RenderContext&) const override {
    message.erase("echo");
    if (message.contains("error") && message["error"].is_object()) {
      message["error"] = V3Error(message["error"]);
    }
    return VissText(message);
  }
};

}  // namespace

json V3Error(const json& e) {
  std::string reason = e.value("reason", "");
  if (reason == "missing_token" || reason == "expired_token") reason = "invalid_token";
  return {{"number", std::to_string(e.value("number", 400))},
          {"reason", reason},
          {"description", e.value("message", "")}};
}

const Dialect& V3Dialect() {
  static const V3 v3;
  return v3;
}

}  // namespace pharos::broker::viss
