#include "broker/grpc/viss_v3/conversions.h"

#include <algorithm>

#include "broker/viss/dialect.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::viss_v3 {
namespace {

using json = nlohmann::json;
using viss::VissError;
using viss::VissRequest;
using Variant = pb::FilterExpressions::FilterExpression;

// One proto filter expression as v2's filter JSON.
std::variant<json, VissError> FilterJsonOf(const Variant& f) {
  const auto& v = f.value();
  switch (f.variant()) {
    case Variant::PATHS: {
      json paths = json::array();
      for (const std::string& p : v.valuepaths().relativepath()) paths.push_back(p);
      return json{{"type", "paths"}, {"parameter", paths}};
    }
    case Variant::TIMEBASED:
      return json{{"type", "timebased"}, {"parameter", {{"period", v.valuetimebased().period()}}}};
    case Variant::RANGE: {
      json bounds = json::array();
      for (const auto& r : v.valuerange()) {
        bounds.push_back({{"boundary-op", r.logicoperator()}, {"boundary", r.boundary()}});
      }
      if (bounds.empty()) return VissError::BadRequest("a RANGE filter needs ValueRange");
      return json{{"type", "range"}, {"parameter", bounds.size() == 1 ? bounds[0] : bounds}};
    }
    case Variant::CHANGE:
      return json{
          {"type", "change"},
          {"parameter",
           {{"logic-op", v.valuechange().logicoperator()}, {"diff", v.valuechange().diff()}}}};
    case Variant::CURVELOG:
      return json{
          {"type", "curvelog"},
          {"parameter",
           {{"maxerr", v.valuecurvelog().maxerr()}, {"bufsize", v.valuecurvelog().bufsize()}}}};
    case Variant::HISTORY:
      return json{{"type", "history"}, {"parameter", v.valuehistory().timeperiod()}};
    case Variant::METADATA: {
      const std::string& tree = v.valuemetadata().tree();
      if (tree == "server_capabilities") {
        return json{{"type", "dynamic-metadata"}, {"parameter", tree}};
      }
      return json{{"type", "static-metadata"}, {"parameter", tree}};
    }
    default:
      return VissError::BadRequest(
          fmt::format("unknown filter variant {}", static_cast<int>(f.variant())));
  }
}

std::optional<VissError> ReadFilter(const pb::FilterExpressions& filter, VissRequest& r) {
  json expressions = json::array();
  for (const Variant& f : filter.filterexp()) {
    auto one = FilterJsonOf(f);
    if (auto* e = std::get_if<VissError>(&one)) return *e;
    expressions.push_back(std::get<json>(std::move(one)));
  }
  if (expressions.empty()) return std::nullopt;
  auto parsed = viss::ParseFilter(expressions.size() == 1 ? expressions[0] : expressions);
  if (auto* e = std::get_if<VissError>(&parsed)) return *e;
  r.filter = std::get<viss::Filter>(std::move(parsed));
  return std::nullopt;
}

// The common part: path (dots; slashes read as dots), request id, token.
std::variant<VissRequest, VissError> Base(viss::VissAction action, const std::string& path,
                                          std::string request_id,
                                          std::optional<std::string> token) {
  if (path.empty()) return VissError::BadRequest("Path is required");
  if (path.find('*') != std::string::npos) {
    return VissError::BadRequest("the path must not contain wildcards: use a PATHS filter");
  }
  VissRequest r;
  r.action = action;
  r.path = path;
  std::replace(r.path.begin(), r.path.end(), '/', '.');
  r.request_id = std::move(request_id);
  if (token && !token->empty()) r.tokens.push_back(*std::move(token));
  return r;
}

}  // namespace

std::variant<VissRequest, VissError> GetRequestOf(const pb::GetRequestMessage& m,
                                                  std::optional<std::string> token) {
  if (m.has_authorization()) token = m.authorization();
  auto r = Base(viss::VissAction::kGet, m.path(), m.requestid(), std::move(token));
  if (auto* e = std::get_if<VissError>(&r)) return *e;
  if (m.has_datacompression()) return VissError::NotImplemented("DataCompression is not served");
  VissRequest& req = std::get<VissRequest>(r);
  if (m.has_filter()) {
    if (auto e = ReadFilter(m.filter(), req)) return *e;
    if (viss::SubscriptionOnly(req.filter)) {
      return VissError::BadRequest(
          "timebased, range, change and curvelog filters apply to subscriptions only");
    }
  }
  return r;
}

std::variant<VissRequest, VissError> SetRequestOf(const pb::SetRequestMessage& m,
                                                  std::optional<std::string> token) {
  if (m.has_authorization()) token = m.authorization();
  auto r = Base(viss::VissAction::kSet, m.path(), m.requestid(), std::move(token));
  if (auto* e = std::get_if<VissError>(&r)) return *e;
  // Value is text; an array signal's value is the JSON array of texts.
  json value = m.value();
  if (!m.value().empty() && m.value().front() == '[') {
    json array = json::parse(m.value(), nullptr, false);
    if (!array.is_discarded()) value = std::move(array);
  }
  std::get<VissRequest>(r).value = std::move(value);
  return r;
}

std::variant<VissRequest, VissError> SubscribeRequestOf(const pb::SubscribeRequestMessage& m,
                                                        std::optional<std::string> token) {
  if (m.has_authorization()) token = m.authorization();
  auto r = Base(viss::VissAction::kSubscribe, m.path(), m.requestid(), std::move(token));
  if (auto* e = std::get_if<VissError>(&r)) return *e;
  if (m.has_datacompression()) return VissError::NotImplemented("DataCompression is not served");
  VissRequest& req = std::get<VissRequest>(r);
  if (m.has_filter()) {
    if (auto e = ReadFilter(m.filter(), req)) return *e;
    if (viss::ReadOnly(req.filter)) {
      return VissError::BadRequest("history and metadata filters apply to get only");
    }
  }
  return r;
}

void SetError(const VissError& error, pb::ErrorResponseMessage* out) {
  SetError(error.ToJson(), out);
}

void SetError(const json& error, pb::ErrorResponseMessage* out) {
  json v3 = viss::V3Error(error);
  out->set_number(v3["number"].get<std::string>());
  out->set_reason(v3["reason"].get<std::string>());
  out->set_description(v3["description"].get<std::string>());
}

void SetData(const json& data, pb::DataPackages* out) {
  for (const json& entry : data.is_array() ? data : json::array({data})) {
    if (!entry.is_object()) continue;
    auto* package = out->add_data();
    package->set_path(entry.value("path", ""));
    const json& dp = entry.contains("dp") ? entry["dp"] : json();
    for (const json& point : dp.is_array() ? dp : json::array({dp})) {
      if (!point.is_object()) continue;
      auto* p = package->add_dp();
      const json& value = point.contains("value") ? point["value"] : json();
      p->set_value(value.is_string() ? value.get<std::string>() : value.dump());
      p->set_ts(point.value("ts", ""));
    }
  }
}

}  // namespace pharos::broker::viss_v3
