#include "broker/viss/viss_metadata.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "broker/viss/viss_values.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::viss {
namespace {

using Json = nlohmann::json;

std::string_view LastSegment(std::string_view path) {
  size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// Updates per second over the recorded points and the current one.
std::optional<double> SampleRate(AuthorizedBroker& b, const Signal& s) {
  absl::StatusOr<std::vector<Datapoint>> points = b.History(s, Timestamp::min());
  absl::StatusOr<Datapoint> current = b.Get(s);
  if (!points.ok() || !current.ok()) return std::nullopt;
  if (HasValue(current->value)) points->push_back(*current);
  if (points->size() < 2) return std::nullopt;
  double span =
      std::chrono::duration<double>(points->back().timestamp - points->front().timestamp).count();
  if (span <= 0) return std::nullopt;
  return std::round(static_cast<double>(points->size() - 1) / span * 1000) / 1000;
}

}  // namespace

Json StaticMetadataOf(Broker& broker, const Signal& root, const Filter::StaticMetadata& m) {
  auto wanted = [&](std::string_view key) {
    return m.keys.empty() || std::find(m.keys.begin(), m.keys.end(), key) != m.keys.end();
  };
  auto node = [&](const Signal& s) {
    Json o = Json::object();
    const SignalSpec& spec = s.spec;
    if (wanted("type")) o["type"] = EntryTypeName(spec.entry_type);
    if (spec.data_type && wanted("datatype")) o["datatype"] = DataTypeName(*spec.data_type);
    if (!spec.description.empty() && wanted("description")) o["description"] = spec.description;
    if (!spec.comment.empty() && wanted("comment")) o["comment"] = spec.comment;
    if (!spec.unit.empty() && wanted("unit")) o["unit"] = spec.unit;
    if (!spec.uuid.empty() && wanted("uuid")) o["uuid"] = spec.uuid;
    if (!spec.deprecation.empty() && wanted("deprecation")) o["deprecation"] = spec.deprecation;
    if (HasValue(spec.min) && wanted("min")) o["min"] = ToViss(spec.min);
    if (HasValue(spec.max) && wanted("max")) o["max"] = ToViss(spec.max);
    if (HasValue(spec.allowed) && wanted("allowed")) o["allowed"] = ToViss(spec.allowed);
    if (HasValue(spec.default_value) && wanted("default")) {
      o["default"] = ToViss(spec.default_value);
    }
    return o;
  };
  // The subtree below `root`, as VSS's JSON nests it (children by name);
  // parents come before children, so a node's parent is always placed.
  std::map<std::string, Json> nodes;
  static const Access everyone = Access::AllowAll();  // metadata is not the values
  std::vector<const Signal*> subtree = broker.Authorized(everyone).Subtree(root);
  for (auto it = subtree.rbegin(); it != subtree.rend(); ++it) {  // children first
    const Signal& s = **it;
    Json o = node(s);
    if (auto kids = nodes.find(s.spec.path); kids != nodes.end()) {
      o["children"] = std::move(kids->second);
      nodes.erase(kids);
    }
    if (&s == &root) return Json{{std::string(LastSegment(root.spec.path)), std::move(o)}};
    std::string parent = s.spec.path.substr(0, s.spec.path.rfind('.'));
    nodes[parent][std::string(LastSegment(s.spec.path))] = std::move(o);
  }
  return Json::object();
}

Json ServerCapabilities(bool secure) {
  return {{"filter",
           {"paths", "timebased", "range", "change", "curvelog", "history", "static_metadata",
            "dynamic_metadata"}},
          {"access_ctrl", Json::array()},
          {"transport_protocol", secure ? Json{"wss", "https"} : Json{"ws", "http"}}};
}

std::variant<std::vector<Json>, VissError> DynamicMetadataOf(
    AuthorizedBroker& b, const TokenAuthority& tokens, const std::vector<const Signal*>& signals,
    const std::string& key, Timestamp now) {
  std::optional<Access> open;
  if (key == "validate") {
    if (!tokens.enabled()) {
      return VissError::Unavailable("no access control applies: authorization is off");
    }
    absl::StatusOr<Access> anonymous = tokens.Authenticate(std::nullopt);
    if (anonymous.ok()) open = *std::move(anonymous);
  }
  std::vector<Json> entries;
  for (const Signal* s : signals) {
    absl::StatusOr<Datapoint> current = b.Get(*s);  // also: may the caller read it at all
    if (!current.ok()) return ErrorOf(current.status());
    std::string value;
    if (key == "samplerate") {
      std::optional<double> rate = SampleRate(b, *s);
      if (!rate) continue;
      value = fmt::format("{}", *rate);
    } else if (key == "availability") {
      value = HasValue(current->value) ? "available" : "unavailable";
    } else {  // validate
      value = open && open->Allows(Action::kRead, s->spec.path) ? "write-only" : "read-write";
    }
    entries.push_back(
        {{"path", s->spec.path}, {"dp", {{"value", value}, {"ts", VissTimestamp(now)}}}});
  }
  if (entries.empty()) {
    return VissError::Unavailable(
        fmt::format("no {} to report: a sample rate needs two updates of a signal", key));
  }
  return entries;
}

}  // namespace pharos::broker::viss
