// sdv.databroker.v1's query language: what Velocitas writes parses, WHERE
// filters, errors say where.
#include "broker/query/query.h"

#include <gtest/gtest.h>

#include <map>

namespace pharos::broker::query {
namespace {

struct Values {
  std::map<std::string, Value, std::less<>> values;
  Query::Lookup lookup() const {
    return [this](std::string_view path) {
      auto it = values.find(path);
      return it == values.end() ? Value() : it->second;
    };
  }
};

TEST(QueryTest, SelectWithoutWhereReturnsEveryField) {
  auto q = Query::Parse("SELECT Vehicle.Speed, Vehicle.Cabin.Seat.Row1.Pos1.Position");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->paths(),
            (std::vector<std::string>{"Vehicle.Speed", "Vehicle.Cabin.Seat.Row1.Pos1.Position"}));
  Values v{{{"Vehicle.Speed", Value(50.0f)}}};
  auto fields = q->Evaluate(v.lookup());
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->size(), 2u);
  EXPECT_EQ(std::get<float>((*fields)[0].second), 50.0f);
  EXPECT_FALSE(HasValue((*fields)[1].second));
}

TEST(QueryTest, WhereFiltersWithNumbersOfAnyWidth) {
  auto q = Query::Parse("select Vehicle.Speed where Vehicle.Speed > 50 AND Vehicle.Gear != -1");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->paths().size(), 2u);
  Values v{{{"Vehicle.Speed", Value(50.0f)}, {"Vehicle.Gear", Value(int32_t{3})}}};
  EXPECT_FALSE(q->Evaluate(v.lookup()));
  v.values["Vehicle.Speed"] = Value(50.5f);
  EXPECT_TRUE(q->Evaluate(v.lookup()));
  v.values["Vehicle.Gear"] = Value(int32_t{-1});
  EXPECT_FALSE(q->Evaluate(v.lookup()));
  v.values.erase("Vehicle.Gear");  // no value: the comparison is false
  EXPECT_FALSE(q->Evaluate(v.lookup()));
}

TEST(QueryTest, OrNotParenthesesStringsAndBooleans) {
  auto q = Query::Parse(
      "SELECT Vehicle.Mode WHERE NOT (Vehicle.IsMoving = false) OR Vehicle.Mode == 'SPORT'");
  ASSERT_TRUE(q.ok()) << q.status();
  Values v{{{"Vehicle.IsMoving", Value(false)}, {"Vehicle.Mode", Value(std::string("ECO"))}}};
  EXPECT_FALSE(q->Evaluate(v.lookup()));
  v.values["Vehicle.Mode"] = Value(std::string("SPORT"));
  EXPECT_TRUE(q->Evaluate(v.lookup()));
  v.values["Vehicle.Mode"] = Value(std::string("ECO"));
  v.values["Vehicle.IsMoving"] = Value(true);
  EXPECT_TRUE(q->Evaluate(v.lookup()));
}

TEST(QueryTest, ExpressionFieldsNeedANameAndAliasesRename) {
  auto q = Query::Parse("SELECT Vehicle.Speed AS speed, Vehicle.Speed >= 120.5 AS fast");
  ASSERT_TRUE(q.ok()) << q.status();
  Values v{{{"Vehicle.Speed", Value(130.0f)}}};
  auto fields = q->Evaluate(v.lookup());
  ASSERT_TRUE(fields);
  EXPECT_EQ((*fields)[0].first, "speed");
  EXPECT_EQ((*fields)[1].first, "fast");
  EXPECT_TRUE(std::get<bool>((*fields)[1].second));
  auto unnamed = Query::Parse("SELECT Vehicle.Speed > 3");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.status().message().find("AS <name>"), std::string::npos);
}

TEST(QueryTest, ErrorsNameTheColumn) {
  auto cases = std::vector<std::pair<std::string, std::string>>{
      {"Vehicle.Speed", "column 1: a query starts with SELECT"},
      {"SELECT", "column 7: the query ends where a value is expected"},
      {"SELECT Vehicle.Speed WHERE", "column 27: the query ends"},
      {"SELECT Vehicle.Speed WHERE Vehicle.Speed > 'x", "never closed"},
      {"SELECT Vehicle.Speed Vehicle.Gear", "column 22: unexpected 'Vehicle.Gear'"},
      {"SELECT Vehicle.Speed WHERE (Vehicle.Speed > 1", "')' expected"},
      {"SELECT Vehicle.Speed WHERE Vehicle.Speed # 1", "unexpected character '#'"},
      {"SELECT 1 AS one", "reads no signal"},
  };
  for (const auto& [text, expected] : cases) {
    auto q = Query::Parse(text);
    ASSERT_FALSE(q.ok()) << text;
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(q.status().message().find(expected), std::string::npos)
        << text << " -> " << q.status().message();
  }
}

}  // namespace
}  // namespace pharos::broker::query
