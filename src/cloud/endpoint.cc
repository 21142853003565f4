#include "cloud/endpoint.h"

#include <charconv>

#include "common/fmt_absl.h"
#include "common/loopback.h"
#include "common/text.h"
#include "fmt/format.h"

namespace pharos::cloud {
namespace {

struct SchemeInfo {
  std::string_view prefix;
  Endpoint::Scheme scheme;
  int default_port;
};
constexpr SchemeInfo kSchemes[] = {
    {"mqtt://", Endpoint::Scheme::kMqtt, 1883},
    {"mqtts://", Endpoint::Scheme::kMqtts, 8883},
    {"http://", Endpoint::Scheme::kHttp, 80},
    {"https://", Endpoint::Scheme::kHttps, 443},
};

absl::Status Bad(std::string_view url, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("target_endpoint {}: {}", Shown(url), why));
}

bool GoodHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view url) {
  Endpoint e;
  e.url = std::string(url);
  std::string_view rest;
  int port = 0;
  bool known = false;
  for (const SchemeInfo& s : kSchemes) {
    if (url.starts_with(s.prefix)) {
      e.scheme = s.scheme;
      port = s.default_port;
      rest = url.substr(s.prefix.size());
      known = true;
    }
  }
  if (!known) {
    return Bad(url,
               "expected mqtts://host[:port]/topic, https://host[:port]/path (or mqtt://, "
               "http:// to a twin or loopback address)");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return Bad(url, "credentials in the URL are not accepted; use the client certificate");
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view digits = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port < 1 ||
        port > 65535) {
      return Bad(url, "the port is not a number from 1 to 65535");
    }
    authority = authority.substr(0, colon);
  }
  if (!GoodHost(authority)) return Bad(url, "no host, or a host that is not a name or address");
  e.host = std::string(authority);
  e.port = port;
  if (e.mqtt()) {
    std::string_view topic = path.empty() ? path : path.substr(1);
    while (!topic.empty() && topic.back() == '/') topic.remove_suffix(1);
    if (topic.find_first_of("+#") != std::string_view::npos) {
      return Bad(url, "the topic has an MQTT wildcard (+ or #)");
    }
    if (!topic.empty() && topic[0] == '$') return Bad(url, "the topic is a system ($) topic");
    if (topic.size() > 1024) return Bad(url, "the topic is longer than 1024 bytes");
    if (NeedsEscape(topic) || topic.find(' ') != std::string_view::npos) {
      return Bad(url, "the topic has spaces or control characters");
    }
    e.path = std::string(topic);
  } else {
    e.path = path.empty() ? "/" : std::string(path);
    if (NeedsEscape(e.path) || e.path.find(' ') != std::string::npos) {
      return Bad(url, "the path has spaces or control characters");
    }
  }
  return e;
}

absl::StatusOr<ValidFeed> ValidateFeed(const FeedConfig& config, const EndpointRules& rules) {
  ValidFeed v;
  v.config = config;
  bool empty = config.data_fields.empty() && config.target_endpoint.empty();
  if (!config.enabled && empty) return v;  // "stop": nothing else to check
  if (config.interval_seconds < kMinIntervalSeconds ||
      config.interval_seconds > kMaxIntervalSeconds) {
    return absl::InvalidArgumentError(fmt::format("interval_seconds {}: must be from {} to {}",
                                                  config.interval_seconds, kMinIntervalSeconds,
                                                  kMaxIntervalSeconds));
  }
  if (config.data_fields.empty()) {
    return absl::InvalidArgumentError(
        "data_fields is empty: name at least one VSS path or pharos. field (docs/cloud.md)");
  }
  if (config.data_fields.size() > kMaxDataFields) {
    return absl::InvalidArgumentError(fmt::format("data_fields has {} entries; at most {}",
                                                  config.data_fields.size(), kMaxDataFields));
  }
  absl::StatusOr<std::vector<Field>> fields = ParseFields(config.data_fields);
  if (!fields.ok()) return fields.status();
  v.fields = std::move(*fields);
  if (config.target_endpoint.empty()) {
    return absl::InvalidArgumentError("target_endpoint is empty");
  }
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint(config.target_endpoint);
  if (!endpoint.ok()) return endpoint.status();
  if (!endpoint->tls() && !rules.allow_plaintext && !IsLoopbackHost(endpoint->host) &&
      !(rules.plain_allowed && rules.plain_allowed(endpoint->host))) {
    return Bad(config.target_endpoint,
               "plain MQTT/HTTP only to loopback or a twin cloud host; use mqtts:// or "
               "https:// (or start pharosd with --cloud-allow-plaintext)");
  }
  v.endpoint = std::move(*endpoint);
  return v;
}

}  // namespace pharos::cloud
