// The catalog, the VSS loader and the path patterns.
#include <gtest/gtest.h>

#include "broker/core/glob.h"
#include "broker/core/limits.h"
#include "broker/vss/vss_loader.h"
#include "catalog_fixture.h"

namespace pharos::broker {
namespace {

using testing::SmallCatalog;

TEST(VssLoaderTest, LoadsTheBuiltInVss40) {
  auto specs = vss::LoadCatalog({vss::DefaultCatalog()});
  ASSERT_TRUE(specs.ok()) << specs.status();
  auto catalog = Catalog::Build(*std::move(specs));
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  // 379 sensors + 425 actuators + 106 attributes in VSS 4.0.
  EXPECT_EQ(catalog->leaf_count(), 910u);
  const Signal* speed = catalog->Find("Vehicle.Speed");
  ASSERT_NE(speed, nullptr);
  EXPECT_EQ(speed->spec.entry_type, EntryType::kSensor);
  EXPECT_EQ(*speed->spec.data_type, DataType::kFloat);
  EXPECT_EQ(speed->spec.unit, "km/h");
  const Signal* doors = catalog->Find("Vehicle.Cabin.DoorCount");
  ASSERT_NE(doors, nullptr);
  EXPECT_EQ(std::get<uint32_t>(doors->spec.default_value), 4u);
}

TEST(VssLoaderTest, RefusesAMalformedCatalogWithTheJsonPath) {
  auto bad_type = vss::LoadCatalog({{"custom.json", R"({"Vehicle": {"type": "branch", "children": {
      "Speed": {"type": "sensor", "datatype": "flaot"}}}})"}});
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.status().message(),
            "custom.json: $.Vehicle.children.Speed.datatype: 'flaot' is not a VSS data type");

  auto bad_max = vss::LoadCatalog({{"custom.json", R"({"Vehicle": {"type": "branch", "children": {
      "Gear": {"type": "sensor", "datatype": "int8", "max": 300}}}})"}});
  ASSERT_FALSE(bad_max.ok());
  EXPECT_NE(bad_max.status().message().find("$.Vehicle.children.Gear.max"), std::string::npos)
      << bad_max.status();

  auto not_json = vss::LoadCatalog({{"broken.json", "{\"Vehicle\": "}});
  ASSERT_FALSE(not_json.ok());
  EXPECT_NE(not_json.status().message().find("broken.json: not valid JSON"), std::string::npos);

  auto no_type = vss::LoadCatalog({{"x.json", R"({"Vehicle": {"children": {}}})"}});
  ASSERT_FALSE(no_type.ok());
  EXPECT_NE(no_type.status().message().find("x.json: $.Vehicle.type: missing"), std::string::npos);
}

TEST(VssLoaderTest, AnOverlayOverridesAndExtends) {
  auto specs = vss::LoadCatalog(
      {{"base.json", testing::kSmallCatalog}, {"overlay.json", R"({"Vehicle": {"children": {
          "Speed": {"max": 300},
          "Private": {"type": "branch", "description": "oem", "children": {
            "Boost": {"type": "actuator", "datatype": "boolean", "description": "boost"}}}}}})"}});
  ASSERT_TRUE(specs.ok()) << specs.status();
  auto catalog = Catalog::Build(*std::move(specs));
  ASSERT_TRUE(catalog.ok());
  EXPECT_EQ(std::get<float>(catalog->Find("Vehicle.Speed")->spec.max), 300.0f);
  EXPECT_EQ(catalog->Find("Vehicle.Speed")->spec.unit, "km/h");  // kept from the base
  ASSERT_NE(catalog->Find("Vehicle.Private.Boost"), nullptr);

  // An overlay that breaks a signal is blamed by name.
  auto broken = vss::LoadCatalog(
      {{"base.json", testing::kSmallCatalog}, {"overlay.json", R"({"Vehicle": {"children": {
                                      "Speed": {"datatype": "nope"}}}})"}});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("overlay.json: $.Vehicle.children.Speed.datatype"),
            std::string::npos)
      << broken.status();
}

TEST(CatalogTest, IdsAreDerivedFromPathsAndKeptWhenKnown) {
  Catalog a = SmallCatalog();
  Catalog b = SmallCatalog();
  EXPECT_EQ(a.Find("Vehicle.Speed")->id, b.Find("Vehicle.Speed")->id);
  EXPECT_EQ(a.Find("Vehicle.Speed")->id, PathHashId("Vehicle.Speed"));
  // A persisted id wins over the derived one.
  Catalog c = SmallCatalog({{"Vehicle.Speed", 7}});
  EXPECT_EQ(c.Find("Vehicle.Speed")->id, 7);
  EXPECT_EQ(c.Find(7)->spec.path, "Vehicle.Speed");
  // A derived id that collides with a persisted one moves on.
  SignalId gear = PathHashId("Vehicle.Gear");
  Catalog d = SmallCatalog({{"Vehicle.Other", gear}});
  EXPECT_NE(d.Find("Vehicle.Gear")->id, gear);
}

TEST(CatalogTest, AddCreatesParentsAndRefusesTakenPaths) {
  Catalog catalog = SmallCatalog();
  SignalSpec spec;
  spec.path = "Vehicle.New.Branch.Signal";
  spec.entry_type = EntryType::kSensor;
  spec.data_type = DataType::kInt32;
  auto added = catalog.Add(spec);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_TRUE(catalog.Find("Vehicle.New.Branch")->is_branch());
  EXPECT_EQ(catalog.Add(spec).status().code(), absl::StatusCode::kAlreadyExists);
  spec.path = "Vehicle.Speed.Child";
  EXPECT_EQ(catalog.Add(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GlobTest, SegmentsWildcardsAndBranches) {
  auto branch = *PathGlob::Parse("Vehicle.Cabin");
  EXPECT_TRUE(branch.Matches("Vehicle.Cabin.Seat.Position"));
  EXPECT_TRUE(branch.Matches("Vehicle.Cabin"));
  EXPECT_FALSE(branch.Matches("Vehicle.CabinX"));
  EXPECT_FALSE(branch.Matches("Vehicle"));
  auto one = *PathGlob::Parse("Vehicle.*.DoorCount");
  EXPECT_TRUE(one.Matches("Vehicle.Cabin.DoorCount"));
  EXPECT_FALSE(one.Matches("Vehicle.Cabin.Seat.DoorCount"));
  auto any = *PathGlob::Parse("Vehicle.**.Position");
  EXPECT_TRUE(any.Matches("Vehicle.Position"));
  EXPECT_TRUE(any.Matches("Vehicle.Cabin.Seat.Position"));
  auto star = *PathGlob::Parse("Vehicle.Cabin.*");
  EXPECT_TRUE(star.Matches("Vehicle.Cabin.DoorCount"));
  EXPECT_FALSE(star.Matches("Vehicle.Cabin.Seat.Position"));
  EXPECT_FALSE(PathGlob::Parse("").ok());
  EXPECT_FALSE(PathGlob::Parse("Vehicle..Speed").ok());
  EXPECT_FALSE(PathGlob::Parse("Vehicle.Sp*").ok());
  EXPECT_FALSE(PathGlob::Parse(std::string(1001, 'a')).ok());
}

TEST(CatalogTest, LeavesUnderABranchInCatalogOrder) {
  Catalog catalog = SmallCatalog();
  auto cabin = catalog.Leaves(*PathGlob::Parse("Vehicle.Cabin"));
  ASSERT_EQ(cabin.size(), 3u);
  EXPECT_EQ(cabin[0]->spec.path, "Vehicle.Cabin.DoorCount");
  EXPECT_EQ(cabin[2]->spec.path, "Vehicle.Cabin.Seat.Position");
  EXPECT_EQ(catalog.Leaves(*PathGlob::Parse("Vehicle.Speed")).size(), 1u);
  EXPECT_TRUE(catalog.Leaves(*PathGlob::Parse("Vehicle.Nothing")).empty());
}

TEST(LimitsTest, TypeRangeMinMaxAndAllowedValues) {
  Catalog catalog = SmallCatalog();
  const Signal& speed = *catalog.Find("Vehicle.Speed");
  EXPECT_TRUE(CheckValue(speed, Value(120.5f)).ok());
  EXPECT_TRUE(CheckValue(speed, Value()).ok());  // none: no value now
  absl::Status wrong = CheckValue(speed, Value(int32_t{3}));
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong.message(), "Vehicle.Speed is of type float; the value given is int32");
  absl::Status high = CheckValue(speed, Value(251.0f));
  EXPECT_EQ(high.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(high.message(), "Vehicle.Speed: 251 is above the maximum 250");

  const Signal& gear = *catalog.Find("Vehicle.Gear");
  EXPECT_EQ(CheckValue(gear, Value(int32_t{200})).code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(CheckValue(gear, Value(int32_t{-1})).ok());

  const Signal& mode = *catalog.Find("Vehicle.Cabin.Light.Mode");
  EXPECT_TRUE(CheckValue(mode, Value(std::string("AUTO"))).ok());
  absl::Status not_allowed = CheckValue(mode, Value(std::string("DISCO")));
  EXPECT_EQ(not_allowed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(not_allowed.message().find("not one of the allowed values"), std::string::npos);

  const Signal& seat = *catalog.Find("Vehicle.Cabin.Seat.Position");
  EXPECT_EQ(CheckValue(seat, Value(uint32_t{1001})).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CheckValue(seat, Value(uint32_t{70000})).code(), absl::StatusCode::kOutOfRange);

  const Signal& tags = *catalog.Find("Vehicle.Tags");
  EXPECT_TRUE(CheckValue(tags, Value(std::vector<std::string>{"a", "b"})).ok());
  EXPECT_EQ(CheckValue(tags, Value(std::string("a"))).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckValue(*catalog.Find("Vehicle.Cabin"), Value(1.0f)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pharos::broker
