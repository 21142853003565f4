// Where a feed goes, and what it carries: the two halves of
// ConfigureCloudFeeding, checked before anything changes.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/fields.h"

namespace pharos::cloud {

// mqtt://host[:port][/topic], mqtts://…, http://host[:port][/path], https://…
struct Endpoint {
  enum class Scheme { kMqtt, kMqtts, kHttp, kHttps };
  Scheme scheme = Scheme::kMqtts;
  std::string host;
  int port = 0;
  std::string path;  // MQTT: the base topic ("" → pharos/<vehicle>); HTTP: the path ("/" default)
  std::string url;   // as given

  bool tls() const { return scheme == Scheme::kMqtts || scheme == Scheme::kHttps; }
  bool mqtt() const { return scheme == Scheme::kMqtt || scheme == Scheme::kMqtts; }
};

// INVALID_ARGUMENT saying what is wrong (scheme, host, port, topic).
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view url);

// ConfigureCloudFeeding's request, as the core sees it.
struct FeedConfig {
  bool enabled = false;
  int interval_seconds = 60;
  std::vector<std::string> data_fields;
  std::string target_endpoint;
};

inline constexpr int kMinIntervalSeconds = 1;
inline constexpr int kMaxIntervalSeconds = 86400;
inline constexpr size_t kMaxDataFields = 256;

// What a plain (unencrypted) endpoint may be: loopback always, a twin
// cloud host's address when `plain_allowed` says so, anything with
// --cloud-allow-plaintext.
struct EndpointRules {
  bool allow_plaintext = false;
  std::function<bool(const std::string& host)> plain_allowed;  // may be empty
};

struct ValidFeed {
  FeedConfig config;
  Endpoint endpoint;
  std::vector<Field> fields;
};

// Every check of ConfigureCloudFeeding: INVALID_ARGUMENT naming the
// problem (interval out of range, no or unknown fields, a bad endpoint).
// A disabled feed may leave fields and endpoint empty.
absl::StatusOr<ValidFeed> ValidateFeed(const FeedConfig& config, const EndpointRules& rules);

}  // namespace pharos::cloud
