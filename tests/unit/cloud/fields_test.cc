#include "cloud/fields.h"

#include <gtest/gtest.h>

#include "cloud/endpoint.h"

namespace pharos::cloud {
namespace {

TEST(CloudFieldsTest, VssPathsAndGlobsAreFieldsWithTheirPriority) {
  auto fields = ParseFields({"Vehicle.Speed", "Vehicle.Cabin.**", "Vehicle.OBD.EngineLoad"});
  ASSERT_TRUE(fields.ok()) << fields.status();
  ASSERT_EQ(fields->size(), 3u);
  EXPECT_EQ((*fields)[0].kind, Field::Kind::kVss);
  EXPECT_EQ((*fields)[0].priority, Priority::kTelemetry);
  EXPECT_EQ((*fields)[2].priority, Priority::kDiagnostics);
}

TEST(CloudFieldsTest, ThePharosVocabularyHasPrioritiesAndEvents) {
  auto fields = ParseFields({"pharos.security.events", "pharos.network.status"});
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ((*fields)[0].kind, Field::Kind::kPharos);
  EXPECT_EQ((*fields)[0].priority, Priority::kSecurity);
  EXPECT_TRUE((*fields)[0].event);
  EXPECT_EQ((*fields)[1].priority, Priority::kStatus);
  EXPECT_FALSE((*fields)[1].event);
}

TEST(CloudFieldsTest, PharosStarIsEveryWordOnce) {
  auto fields = ParseFields({"pharos.network.status", "pharos.*"});
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(fields->size(), PharosVocabulary().size());
}

TEST(CloudFieldsTest, AnUnknownPharosWordIsRefusedWithTheNearestOne) {
  auto fields = ParseFields({"pharos.network.statuss"});
  ASSERT_EQ(fields.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(fields.status().message().find("did you mean pharos.network.status"), std::string::npos)
      << fields.status();
}

TEST(CloudFieldsTest, WhatIsNeitherVssNorPharosIsRefused) {
  for (const char* bad : {"", "Vehicle..Speed", "vehicle.speed", "Vehicle.Sp eed", "Vehicle.*x",
                          "Vehicle.Speed;drop"}) {
    auto fields = ParseFields({bad});
    EXPECT_EQ(fields.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(CloudEndpointTest, SchemesPortsAndTopics) {
  auto e = ParseEndpoint("mqtts://cloud.example.com:8884/fleet/car-7");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(e->tls());
  EXPECT_TRUE(e->mqtt());
  EXPECT_EQ(e->host, "cloud.example.com");
  EXPECT_EQ(e->port, 8884);
  EXPECT_EQ(e->path, "fleet/car-7");
  auto plain = ParseEndpoint("mqtt://127.0.0.1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 1883);
  EXPECT_EQ(plain->path, "");
  auto https = ParseEndpoint("https://ingest.example.com/v1/telemetry");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->path, "/v1/telemetry");
}

TEST(CloudEndpointTest, BadEndpointsSayWhy) {
  struct Case {
    const char* url;
    const char* why;
  };
  for (const Case& c : {Case{"ftp://x/y", "expected mqtts://"}, Case{"mqtts://:8883/t", "no host"},
                        Case{"mqtts://h:0/t", "port"}, Case{"mqtts://h:99999/t", "port"},
                        Case{"mqtts://h:8x/t", "port"}, Case{"mqtts://h/a/+/b", "wildcard"},
                        Case{"mqtts://h/$SYS/x", "system"}, Case{"mqtts://u:p@h/t", "credentials"},
                        Case{"https://h/a b", "spaces"}}) {
    auto e = ParseEndpoint(c.url);
    ASSERT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(e.status().message().find(c.why), std::string::npos) << e.status();
  }
}

FeedConfig Feed(std::string endpoint, int interval = 10) {
  return {true, interval, {"pharos.network.status"}, std::move(endpoint)};
}

TEST(CloudEndpointTest, ValidateFeedChecksEveryPart) {
  EndpointRules rules;
  EXPECT_TRUE(ValidateFeed(Feed("mqtt://127.0.0.1:1883/t"), rules).ok());
  EXPECT_TRUE(ValidateFeed(Feed("mqtts://cloud.example.com/t"), rules).ok());
  for (int interval : {0, -5, 86401}) {
    auto v = ValidateFeed(Feed("mqtts://h/t", interval), rules);
    ASSERT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(v.status().message().find("interval_seconds"), std::string::npos);
  }
  FeedConfig none = Feed("mqtts://h/t");
  none.data_fields.clear();
  EXPECT_NE(ValidateFeed(none, rules).status().message().find("data_fields is empty"),
            std::string::npos);
  FeedConfig no_endpoint = Feed("");
  EXPECT_NE(ValidateFeed(no_endpoint, rules).status().message().find("target_endpoint is empty"),
            std::string::npos);
  // Off with nothing else: "stop", nothing to check.
  EXPECT_TRUE(ValidateFeed(FeedConfig{false, 0, {}, ""}, rules).ok());
}

TEST(CloudEndpointTest, PlainTransportsOnlyToLoopbackTwinOrWhenAllowed) {
  EndpointRules rules;
  auto refused = ValidateFeed(Feed("mqtt://172.16.1.2/t"), rules);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("--cloud-allow-plaintext"), std::string::npos);
  rules.plain_allowed = [](const std::string& host) { return host == "172.16.1.2"; };
  EXPECT_TRUE(ValidateFeed(Feed("mqtt://172.16.1.2/t"), rules).ok());
  EXPECT_FALSE(ValidateFeed(Feed("http://203.0.113.9/t"), rules).ok());
  rules.allow_plaintext = true;
  EXPECT_TRUE(ValidateFeed(Feed("http://203.0.113.9/t"), rules).ok());
}

}  // namespace
}  // namespace pharos::cloud
