#include <gtest/gtest.h>

#include "broker/store/sqlite_signal_store.h"
#include "e2e/daemon_process.h"

namespace pharos::broker {
namespace {

TEST(SignalStoreTest, ValuesOfEveryTypeRoundTrip) {
  std::vector<Value> values = {Value(),
                               Value(std::string("x\"y")),
                               Value(true),
                               Value(int32_t{-5}),
                               Value(int64_t{1} << 60),
                               Value(uint32_t{7}),
                               Value(uint64_t{18446744073709551615ull}),
                               Value(1.25f),
                               Value(2.5),
                               Value(std::vector<std::string>{"a", "b"}),
                               Value(std::vector<bool>{true, false}),
                               Value(std::vector<int32_t>{1, -2}),
                               Value(std::vector<float>{0.5f})};
  for (const Value& v : values) {
    auto back = DecodeValue(EncodeValue(v));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, v) << EncodeValue(v);
  }
  EXPECT_EQ(DecodeValue("garbage").status().code(), absl::StatusCode::kDataLoss);
}

TEST(SignalStoreTest, IdsAndValuesSurviveReopening) {
  e2e::TempDir dir;
  std::string path = dir.path() + "/broker.db";
  {
    auto store = SqliteSignalStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->SaveIds({{"Vehicle.Speed", 11}}).ok());
    ASSERT_TRUE((*store)->SaveIds({{"Vehicle.Speed", 99}, {"Vehicle.Gear", 12}}).ok());
    StoredValue v{11, ValueKind::kTarget,
                  Datapoint{Value(3.5f), Timestamp(std::chrono::seconds(5))}};
    ASSERT_TRUE((*store)->SaveValue(v).ok());
    v.datapoint.value = Value(4.5f);
    ASSERT_TRUE((*store)->SaveValue(v).ok());
  }
  auto store = SqliteSignalStore::Open(path);
  ASSERT_TRUE(store.ok());
  auto ids = (*store)->LoadIds();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ((*ids)["Vehicle.Speed"], 11);  // an id once given is kept
  EXPECT_EQ((*ids)["Vehicle.Gear"], 12);
  auto values = (*store)->LoadValues();
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 1u);
  EXPECT_EQ(std::get<float>((*values)[0].datapoint.value), 4.5f);
  EXPECT_EQ((*values)[0].kind, ValueKind::kTarget);
  EXPECT_EQ((*values)[0].datapoint.timestamp, Timestamp(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace pharos::broker
