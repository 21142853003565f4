// VISS v2's message layer: request parsing (every malformed shape gets the
// standard's error, never a crash), the value representation and the
// status-to-error table.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "broker/viss/curve_log.h"
#include "broker/viss/viss_http.h"
#include "broker/viss/viss_request.h"
#include "broker/viss/viss_values.h"

namespace pharos::broker::viss {
namespace {

using json = nlohmann::json;

VissError ErrorFor(std::string_view payload) {
  Parsed p = ParseRequest(payload);
  EXPECT_TRUE(p.error.has_value()) << payload;
  return p.error.value_or(VissError{});
}

TEST(VissRequestTest, ParsesTheStandardsExamples) {
  Parsed get = ParseRequest(
      R"({"action": "get", "path": "Vehicle.Cabin", "filter": {"type":"paths",
          "parameter":["Door.*.*.IsOpen", "DriverPosition"]}, "requestId": "5688"})");
  ASSERT_TRUE(get.request) << get.error->message;
  EXPECT_EQ(get.request->action, VissAction::kGet);
  EXPECT_EQ(get.request->path, "Vehicle.Cabin");
  EXPECT_EQ(get.request->filter.paths,
            (std::vector<std::string>{"Door.*.*.IsOpen", "DriverPosition"}));

  Parsed timebased = ParseRequest(
      R"({"action": "subscribe", "path": "Vehicle.Drivetrain.FuelSystem.Level",
          "filter": {"type":"timebased", "parameter":{"period":"500"}}, "requestId": "6578"})");
  ASSERT_TRUE(timebased.request);
  EXPECT_EQ(std::get<Filter::Timebased>(timebased.request->filter.other).period_ms, 500);

  Parsed range = ParseRequest(
      R"({"action": "subscribe", "path": "Vehicle.Drivetrain.FuelSystem.Level",
          "filter": {"type":"range","parameter":[{"boundary-op":"lt","boundary":"50",
          "combination-op":"OR"},{"boundary-op":"gt","boundary":"55"}]}, "requestId": "6578"})");
  ASSERT_TRUE(range.request);
  const auto& r = std::get<Filter::Range>(range.request->filter.other);
  ASSERT_EQ(r.boundaries.size(), 2u);
  EXPECT_TRUE(r.combine_or);
  EXPECT_EQ(r.boundaries[1].op, BoundaryOp::kGt);
  EXPECT_EQ(r.boundaries[1].value, 55);

  Parsed change = ParseRequest(
      R"({"action": "subscribe", "path": "Vehicle.Drivetrain.FuelSystem.Level",
          "filter": {"type":"change","parameter":{"logic-op":"gt","diff":"10"}}, "requestId": "1"})");
  ASSERT_TRUE(change.request);
  EXPECT_EQ(std::get<Filter::Change>(change.request->filter.other).diff, 10);

  Parsed unsubscribe =
      ParseRequest(R"({"action": "unsubscribe", "subscriptionId": "12345", "requestId": "5786"})");
  ASSERT_TRUE(unsubscribe.request);
  EXPECT_EQ(unsubscribe.request->subscription_id, "12345");

  Parsed combined = ParseRequest(
      R"({"action":"get","path":"Vehicle","filter":[{"type":"paths","parameter":"Speed"},
          {"type":"static-metadata","parameter":""}],"requestId":"9"})");
  ASSERT_TRUE(combined.request);
  EXPECT_TRUE(std::holds_alternative<Filter::StaticMetadata>(combined.request->filter.other));
  EXPECT_EQ(combined.request->filter.paths, std::vector<std::string>{"Speed"});
}

TEST(VissRequestTest, MalformedRequestsAreBadRequestsThatEchoWhatTheyCould) {
  for (
      std::string_view bad : {
          "",
          "{",
          "[]",
          "42",
          R"({"action":"get"})",                                       // no requestId
          R"({"action":"get","requestId":7,"path":"Vehicle.Speed"})",  // requestId not a string
          R"({"action":"get","requestId":"1"})",                       // no path
          R"({"action":"get","requestId":"1","path":""})",
          R"({"action":"get","requestId":"1","path":"Vehicle.*"})",  // wildcard in path
          R"({"action":"jump","requestId":"1","path":"Vehicle"})",
          R"({"action":5,"requestId":"1","path":"Vehicle"})",
          R"({"action":"set","requestId":"1","path":"Vehicle.Speed"})",  // no value
          R"({"action":"unsubscribe","requestId":"1"})",                 // no subscriptionId
          R"({"action":"get","requestId":"1","path":"V","authorization":5})",
          R"({"action":"get","requestId":"1","path":"V","filter":{"type":"paths"}})",
          R"({"action":"get","requestId":"1","path":"V","filter":{"type":"nope","parameter":1}})",
          R"({"action":"get","requestId":"1","path":"V","filter":[]})",
          R"({"action":"get","requestId":"1","path":"V","filter":[1,2,3]})",
          R"({"action":"subscribe","requestId":"1","path":"V","filter":{"type":"timebased","parameter":{"period":"-5"}}})",
          R"({"action":"subscribe","requestId":"1","path":"V","filter":{"type":"timebased","parameter":{"period":"fast"}}})",
          R"({"action":"subscribe","requestId":"1","path":"V","filter":{"type":"range","parameter":{"boundary-op":"between","boundary":"1"}}})",
          R"({"action":"subscribe","requestId":"1","path":"V","filter":{"type":"range","parameter":[]}})",
          R"({"action":"subscribe","requestId":"1","path":"V","filter":{"type":"change","parameter":{"logic-op":"gt"}}})",
          R"({"action":"subscribe","requestId":"1","path":"V","filter":[{"type":"change","parameter":{"logic-op":"gt","diff":1}},{"type":"range","parameter":{"boundary-op":"gt","boundary":1}}]})",
          R"({"action":"get","requestId":"1","path":"V","filter":{"type":"timebased","parameter":{"period":"5"}}})",
          R"({"action":"subscribe","requestId":"1","path":"V","filter":{"type":"static-metadata","parameter":""}})",
      }) {
    VissError e = ErrorFor(bad);
    EXPECT_EQ(e.number, 400) << bad;
    EXPECT_EQ(e.reason, "bad_request") << bad;
    EXPECT_FALSE(e.message.empty()) << bad;
  }
  Parsed p = ParseRequest(R"({"action":"jump","requestId":"abc"})");
  EXPECT_EQ(p.request_id, "abc");
  EXPECT_EQ(p.action, "jump");
}

TEST(VissRequestTest, RandomBytesAndMutatedRequestsNeverCrashTheParser) {
  std::mt19937 rng(20261203);
  std::string seed =
      R"({"action":"subscribe","path":"Vehicle.Speed","filter":[{"type":"paths","parameter":["A","B"]},)"
      R"({"type":"range","parameter":[{"boundary-op":"gt","boundary":"1","combination-op":"AND"}]}],)"
      R"("requestId":"1","authorization":"x"})";
  for (int i = 0; i < 20000; ++i) {
    std::string s = seed;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          s.erase(at, 1 + rng() % 8);
          break;
        default:
          s.insert(at, 1, "{}[]\":,0a-"[rng() % 10]);
          break;
      }
      if (s.empty()) s = "{";
    }
    Parsed p = ParseRequest(s);  // must return, with a request or an error
    EXPECT_NE(p.request.has_value(), p.error.has_value());
  }
}

TEST(VissRequestTest, HistoryPeriodsAreTheStandardsIsoDurations) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ParseIsoDuration("P2DT12H"), milliseconds(216'000'000));
  EXPECT_EQ(ParseIsoDuration("PT10M"), milliseconds(600'000));
  EXPECT_EQ(ParseIsoDuration("PT1.5S"), milliseconds(1'500));
  EXPECT_EQ(ParseIsoDuration("P1D"), milliseconds(86'400'000));
  EXPECT_EQ(ParseIsoDuration("P998DT23H59M59S").has_value(), true);
  for (std::string_view bad : {"", "P", "PT", "P1DT", "P999D", "P1M", "PT1D", "P1H", "PT1M1H",
                               "PT1.5M", "PT.5S", "PT1..5S", "1D", "PTS", "P-1D", "PT1S2"}) {
    EXPECT_FALSE(ParseIsoDuration(bad).has_value()) << bad;
  }
  Parsed history = ParseRequest(
      R"({"action":"get","path":"Vehicle.Acceleration.Longitudinal","filter":{"type":"history",
          "parameter":"P2DT12H"},"requestId":"5688"})");
  ASSERT_TRUE(history.request);
  EXPECT_EQ(std::get<Filter::History>(history.request->filter.other).period,
            std::chrono::milliseconds(216'000'000));
  EXPECT_EQ(
      ErrorFor(
          R"({"action":"get","path":"V","filter":{"type":"history","parameter":"2 days"},"requestId":"1"})")
          .reason,
      "bad_request");
}

TEST(VissValuesTest, ValuesTravelAsStringsAndAreReadBackByTheSignalsType) {
  EXPECT_EQ(ToViss(Value(42.5f)), "42.5");
  EXPECT_EQ(ToViss(Value(true)), "true");
  EXPECT_EQ(ToViss(Value(uint32_t{7})), "7");
  EXPECT_EQ(ToViss(Value(std::string("sport"))), "sport");
  EXPECT_EQ(ToViss(Value(std::vector<int32_t>{1, -2})), json({"1", "-2"}));
  EXPECT_TRUE(ToViss(Value()).is_null());

  EXPECT_EQ(std::get<uint32_t>(*FromViss("40", DataType::kUint8)), 40u);
  EXPECT_EQ(std::get<uint32_t>(*FromViss(40, DataType::kUint8)), 40u);  // a JSON number too
  EXPECT_FALSE(FromViss("256", DataType::kUint8).ok());
  EXPECT_FALSE(FromViss("-1", DataType::kUint32).ok());
  EXPECT_EQ(std::get<int32_t>(*FromViss("-128", DataType::kInt8)), -128);
  EXPECT_FALSE(FromViss("-129", DataType::kInt8).ok());
  EXPECT_FALSE(FromViss("4x", DataType::kInt32).ok());
  EXPECT_FALSE(FromViss("99999999999999999999", DataType::kInt64).ok());
  EXPECT_FLOAT_EQ(std::get<float>(*FromViss("2.5", DataType::kFloat)), 2.5f);
  EXPECT_FALSE(FromViss("nan", DataType::kDouble).ok());
  EXPECT_FALSE(FromViss("1e999", DataType::kFloat).ok());
  EXPECT_TRUE(std::get<bool>(*FromViss("true", DataType::kBoolean)));
  EXPECT_FALSE(FromViss("yes", DataType::kBoolean).ok());
  EXPECT_EQ(std::get<std::vector<uint32_t>>(*FromViss(json({"1", "2"}), DataType::kUint8Array)),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_FALSE(FromViss("1", DataType::kUint8Array).ok());
  EXPECT_FALSE(FromViss(json::object(), DataType::kString).ok());

  EXPECT_EQ(NumberOf(json("49")), 49);
  EXPECT_EQ(NumberOf(Value(true)), 1);
  EXPECT_FALSE(NumberOf(Value(std::string("x"))).has_value());
  EXPECT_EQ(VissTimestamp(Timestamp(std::chrono::milliseconds(1586957820123))),
            "2020-04-15T13:37:00.123Z");
}

TEST(VissHttpTest, UrlsBodiesAndHeadersMapOntoTheSameRequests) {
  auto get = ParseHttpRequest(
      "GET",
      "/Vehicle/Cabin/"
      "Door?x=1&filter=%7B%22type%22%3A%22paths%22%2C%22parameter%22%3A%22*.*.IsOpen%22%7D",
      "", "Bearer abc");
  ASSERT_TRUE(std::holds_alternative<VissRequest>(get));
  const VissRequest& r = std::get<VissRequest>(get);
  EXPECT_EQ(r.action, VissAction::kGet);
  EXPECT_EQ(r.path, "Vehicle.Cabin.Door");
  EXPECT_EQ(r.filter.paths, std::vector<std::string>{"*.*.IsOpen"});
  EXPECT_EQ(r.tokens, std::vector<std::string>{"abc"});

  auto set = ParseHttpRequest("POST", "/Vehicle.Speed", R"({"value": "3"})", std::nullopt);
  ASSERT_TRUE(std::holds_alternative<VissRequest>(set));
  EXPECT_EQ(std::get<VissRequest>(set).value, "3");
  EXPECT_TRUE(std::get<VissRequest>(set).tokens.empty());

  auto number = [](const std::variant<VissRequest, VissError>& v) {
    return std::holds_alternative<VissError>(v) ? std::get<VissError>(v).number : 0;
  };
  EXPECT_EQ(number(ParseHttpRequest("PUT", "/Vehicle/Speed", "", std::nullopt)), 405);
  EXPECT_EQ(number(ParseHttpRequest("GET", "/", "", std::nullopt)), 400);
  EXPECT_EQ(number(ParseHttpRequest("GET", "/Vehicle/*", "", std::nullopt)), 400);
  EXPECT_EQ(number(ParseHttpRequest("GET", "/Vehicle?filter=%7", "", std::nullopt)), 400);
  EXPECT_EQ(number(ParseHttpRequest("GET", "/Vehicle?filter=nope", "", std::nullopt)), 400);
  EXPECT_EQ(number(ParseHttpRequest("POST", "/Vehicle/Speed", "3", std::nullopt)), 400);
  EXPECT_EQ(
      number(ParseHttpRequest(
          "GET",
          "/V?filter=%7B%22type%22%3A%22timebased%22%2C%22parameter%22%3A%7B%22period%22%3A1%7D%7D",
          "", std::nullopt)),
      400);

  EXPECT_EQ(PercentDecode("a%20b+c"), "a b c");
  EXPECT_FALSE(PercentDecode("%zz").has_value());
  EXPECT_FALSE(PercentDecode("%").has_value());

  HttpAnswer err = ToHttp({{"action", "get"},
                           {"requestId", "http"},
                           {"error", {{"number", 404}, {"reason", "unavailable_data"}}}});
  EXPECT_EQ(err.status, 404);
  EXPECT_FALSE(err.body.contains("action"));
  EXPECT_EQ(ToHttp({{"ts", "x"}}).status, 200);
}

TEST(VissCurveLogTest, KeepsTheEndsAndWhatTheErrorMarginNeeds) {
  std::vector<CurvePoint> line;
  for (int i = 0; i < 10; ++i) line.push_back({static_cast<double>(i), 2.0 * i});
  EXPECT_EQ(CurveLog(line, 0.5), (std::vector<size_t>{0, 9}));
  line[4].v += 2;  // a spike beyond the margin stays, with what it needs around it
  std::vector<size_t> kept = CurveLog(line, 0.5);
  EXPECT_NE(std::find(kept.begin(), kept.end(), 4u), kept.end());
  EXPECT_EQ(kept.front(), 0u);
  EXPECT_EQ(kept.back(), 9u);
  line[4].v -= 1.7;  // within the margin: gone
  EXPECT_EQ(CurveLog(line, 0.5), (std::vector<size_t>{0, 9}));
  EXPECT_EQ(CurveLog({}, 1).size(), 0u);
  EXPECT_EQ(CurveLog({{0, 1}}, 1), std::vector<size_t>{0});

  // Every sample left out lies within maxerr of the line through the kept
  // points around it; a random walk keeps far fewer than it had.
  std::mt19937 rng(7);
  std::normal_distribution<double> step(0, 1);
  std::vector<CurvePoint> walk;
  double v = 0;
  for (int i = 0; i < 2000; ++i) walk.push_back({i * 0.1, v += step(rng)});
  for (double maxerr : {0.0, 0.5, 3.0}) {
    kept = CurveLog(walk, maxerr);
    for (size_t k = 1; k < kept.size(); ++k) {
      const CurvePoint& a = walk[kept[k - 1]];
      const CurvePoint& b = walk[kept[k]];
      for (size_t i = kept[k - 1] + 1; i < kept[k]; ++i) {
        double line_v = a.v + (b.v - a.v) * (walk[i].t - a.t) / (b.t - a.t);
        ASSERT_LE(std::fabs(walk[i].v - line_v), maxerr + 1e-9) << "maxerr " << maxerr;
      }
    }
    if (maxerr == 3.0) EXPECT_LT(kept.size(), walk.size() / 4);
  }
}

TEST(VissErrorTest, TheBrokersStatusesMapToTheStandardsTable) {
  EXPECT_EQ(ErrorOf(absl::NotFoundError("x")).reason, "unavailable_data");
  EXPECT_EQ(ErrorOf(absl::NotFoundError("x")).number, 404);
  EXPECT_EQ(ErrorOf(absl::PermissionDeniedError("x")).reason, "forbidden_request");
  EXPECT_EQ(ErrorOf(absl::PermissionDeniedError("x")).number, 403);
  EXPECT_EQ(ErrorOf(absl::UnauthenticatedError("token expired")).reason, "expired_token");
  EXPECT_EQ(ErrorOf(absl::UnauthenticatedError("no credentials: send ...")).reason,
            "missing_token");
  EXPECT_EQ(ErrorOf(absl::UnauthenticatedError("bad signature")).reason, "invalid_token");
  EXPECT_EQ(ErrorOf(absl::UnauthenticatedError("bad signature")).number, 401);
  EXPECT_EQ(ErrorOf(absl::InvalidArgumentError("x")).reason, "invalid_data");
  EXPECT_EQ(ErrorOf(absl::OutOfRangeError("x")).number, 400);
  EXPECT_EQ(ErrorOf(absl::UnavailableError("x")).reason, "service_unavailable");
  EXPECT_EQ(ErrorOf(absl::UnavailableError("x")).number, 503);
  EXPECT_EQ(ErrorOf(absl::UnimplementedError("x")).number, 501);
}

}  // namespace
}  // namespace pharos::broker::viss
