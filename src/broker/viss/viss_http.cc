#include "broker/viss/viss_http.h"

#include <algorithm>

#include "broker/viss/viss_values.h"
#include "common/text.h"
#include "fmt/format.h"

namespace pharos::broker::viss {
std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;  // "%" or "%7" at the end
      int hi = HexDigitValue(text[i + 1]), lo = HexDigitValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::variant<VissRequest, VissError> ParseHttpRequest(
    std::string_view method, std::string_view target, std::string_view body,
    std::optional<std::string_view> authorization) {
  VissRequest r;
  r.request_id = "http";
  if (method == "GET") {
    r.action = VissAction::kGet;
  } else if (method == "POST") {
    r.action = VissAction::kSet;
  } else {
    return VissError{405, "bad_request",
                     fmt::format("{} is not a VISS method: GET reads, POST sets", Quoted(method))};
  }
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query =
      target.find('?') == std::string_view::npos ? "" : target.substr(target.find('?') + 1);
  std::optional<std::string> decoded = PercentDecode(path);
  if (!decoded) return VissError::BadRequest("the path has a broken %-escape");
  std::string p = *decoded;
  while (!p.empty() && p.front() == '/') p.erase(p.begin());
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p.empty()) return VissError::BadRequest("the URL names no path: GET /Vehicle/Speed");
  if (p.find('*') != std::string::npos) {
    return VissError::BadRequest("the path must not contain wildcards: use a paths filter");
  }
  std::replace(p.begin(), p.end(), '/', '.');
  r.path = p;
  if (authorization) {
    std::string_view a = *authorization;
    constexpr std::string_view kBearer = "Bearer ";
    r.tokens.emplace_back(a.rfind(kBearer, 0) == 0 ? a.substr(kBearer.size()) : a);
  }
  // The query: filter=<JSON>, other parameters ignored.
  while (!query.empty()) {
    std::string_view item = query.substr(0, query.find('&'));
    query = item.size() == query.size() ? "" : query.substr(item.size() + 1);
    if (item.rfind("filter=", 0) != 0) continue;
    if (r.action != VissAction::kGet) return VissError::BadRequest("a POST takes no filter");
    std::optional<std::string> text = PercentDecode(item.substr(7));
    if (!text) return VissError::BadRequest("the filter has a broken %-escape");
    nlohmann::json filter = nlohmann::json::parse(*text, nullptr, false);
    if (filter.is_discarded()) return VissError::BadRequest("the filter is not JSON");
    auto parsed = ParseFilter(filter);
    if (auto* e = std::get_if<VissError>(&parsed)) return *e;
    r.filter = std::get<Filter>(std::move(parsed));
    if (!std::holds_alternative<std::monostate>(r.filter.other) &&
        !std::holds_alternative<Filter::StaticMetadata>(r.filter.other) &&
        !std::holds_alternative<Filter::DynamicMetadata>(r.filter.other) &&
        !std::holds_alternative<Filter::History>(r.filter.other)) {
      return VissError::BadRequest(
          "timebased, range and change are for subscriptions, which HTTP does not carry: use "
          "WebSocket");
    }
  }
  if (r.action == VissAction::kSet) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("value")) {
      return VissError::BadRequest("a POST's body is {\"value\": ...}");
    }
    r.value = j["value"];
  }
  return r;
}

HttpAnswer ToHttp(nlohmann::json answer) {
  HttpAnswer out;
  answer.erase("action");
  answer.erase("requestId");
  if (answer.contains("error")) out.status = answer["error"].value("number", 500);
  out.body = std::move(answer);
  return out;
}

}  // namespace pharos::broker::viss
