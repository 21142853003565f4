// Fuzzes VISS's request parsers: the whole input as a WebSocket/MQTT
// payload of each dialect (v2, the seed's draft, v3; rendering an answer
// that echoes the draft request too), and, split at NUL bytes, as an HTTP request (method, target,
// body, Authorization). The property: no crash, no hang, no sanitizer
// report; every input gives a request or an error, never both; an error
// has a number of the table and a one-line message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "broker/viss/dialect.h"
#include "broker/viss/viss_http.h"
#include "broker/viss/viss_request.h"

namespace {

void CheckError(const pharos::broker::viss::VissError& e) {
  switch (e.number) {
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 501:
    case 503:
      break;
    default:
      std::abort();
  }
  if (e.message.empty() || e.message.find('\n') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const pharos::SystemClock clock;
  static const pharos::broker::viss::RenderContext context{
      clock, [](std::string_view) { return std::optional<pharos::broker::DataType>(); }};
  for (const auto* dialect :
       {&pharos::broker::viss::V2Dialect(), &pharos::broker::viss::DraftDialect(),
        &pharos::broker::viss::V3Dialect()}) {
    pharos::broker::viss::Parsed parsed = dialect->Parse(input);
    if (parsed.request.has_value() == parsed.error.has_value()) std::abort();
    if (parsed.error) CheckError(*parsed.error);
    // An answer carrying the request's echo renders without throwing.
    nlohmann::json answer = {{"action", parsed.action}, {"requestId", parsed.request_id}};
    if (parsed.error) answer["error"] = parsed.error->ToJson();
    if (!parsed.echo.is_null()) answer["echo"] = parsed.echo;
    if (dialect->Render(answer, context).empty()) std::abort();
  }

  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= input.size() && parts.size() < 4; ++i) {
    if (i == input.size() || input[i] == '\0') {
      parts.push_back(input.substr(start, i - start));
      start = i + 1;
    }
  }
  while (parts.size() < 4) parts.push_back({});
  std::optional<std::string_view> auth;
  if (!parts[3].empty()) auth = parts[3];
  auto http = pharos::broker::viss::ParseHttpRequest(parts[0], parts[1], parts[2], auth);
  if (auto* e = std::get_if<pharos::broker::viss::VissError>(&http)) CheckError(*e);
  return 0;
}
