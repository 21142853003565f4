#include "cloud/payload.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace pharos::cloud {
namespace {

using Json = nlohmann::json;

TEST(CloudPayloadTest, SamplesAreOneItemPerPriorityClass) {
  std::vector<FieldSample> samples = {
      {"Vehicle.Speed", 42.5, Priority::kTelemetry},
      {"pharos.network.status.soc1", std::string("Running"), Priority::kStatus},
      {"Vehicle.IsMoving", true, Priority::kTelemetry},
      {"Vehicle.Never", std::monostate{}, Priority::kTelemetry},
  };
  auto items = SampleItems(samples, "2026-12-04T10:00:00.000Z", 1 << 16);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].priority, Priority::kStatus);  // highest first
  Json telemetry = Json::parse(items[1].body);
  EXPECT_EQ(telemetry["kind"], "sample");
  EXPECT_EQ(telemetry["at"], "2026-12-04T10:00:00.000Z");
  EXPECT_EQ(telemetry["values"]["Vehicle.Speed"], 42.5);
  EXPECT_EQ(telemetry["values"]["Vehicle.IsMoving"], true);
  EXPECT_TRUE(telemetry["values"]["Vehicle.Never"].is_null());
}

TEST(CloudPayloadTest, ABigSampleIsSplitBelowTheLimit) {
  std::vector<FieldSample> samples;
  for (int i = 0; i < 100; ++i) {
    samples.push_back(
        {"Vehicle.Signal" + std::to_string(i), std::string(50, 'v'), Priority::kTelemetry});
  }
  auto items = SampleItems(samples, "t", 1000);
  ASSERT_GT(items.size(), 5u);
  size_t values = 0;
  for (const NewItem& item : items) {
    EXPECT_LE(item.body.size(), 1100u);  // the limit plus the item's envelope
    values += Json::parse(item.body)["values"].size();
  }
  EXPECT_EQ(values, 100u);
}

TEST(CloudPayloadTest, ABatchCarriesItsItemsWithTheirIds) {
  Batch batch;
  batch.priority = Priority::kSecurity;
  NewItem event = EventItem({"pharos.security.events", Priority::kSecurity, "t1", "security_event",
                             "vm1", "HIGH", "", "", "port scan \"x\"", 17});
  batch.items = {{41, Priority::kSecurity, 1000, event.body},
                 {42, Priority::kSecurity, 1001, R"({"kind":"sample","at":"t","values":{}})"}};
  std::string text = RenderBatch({"premium_sedan", "default", "cellular", "abc", "t2"}, batch);
  Json j = Json::parse(text);
  EXPECT_EQ(j["schema"], kPayloadSchema);
  EXPECT_EQ(j["vehicle"], "premium_sedan");
  EXPECT_EQ(j["stream"], "security");
  EXPECT_EQ(j["uplink"], "cellular");
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["id"], "abc-41");
  EXPECT_EQ(j["items"][0]["seq"], 41);
  EXPECT_EQ(j["items"][0]["data"]["event"]["detail"], "port scan \"x\"");
  EXPECT_EQ(j["items"][0]["data"]["event"]["severity"], "HIGH");
  EXPECT_EQ(j["items"][1]["data"]["kind"], "sample");
}

TEST(CloudPayloadTest, ZstdRoundTripsAndIsRecognised) {
  std::string raw;
  for (int i = 0; i < 200; ++i)
    raw += R"({"Vehicle.Speed":42.5,"pharos.network.status.soc1":"Running"})";
  auto packed = Compress(raw, 3);
  ASSERT_TRUE(packed.ok());
  EXPECT_TRUE(IsZstdFrame(*packed));
  EXPECT_FALSE(IsZstdFrame(raw));
  EXPECT_LT(packed->size() * 10, raw.size());
  auto back = Decompress(*packed);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, raw);
  EXPECT_FALSE(Decompress("not zstd").ok());
}

}  // namespace
}  // namespace pharos::cloud
