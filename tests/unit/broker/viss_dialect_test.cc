// The VISS dialects' conversions: the seed's draft (VISS1.0) and VISS v3
// read into v2 requests (every malformed shape an error, never a crash)
// and v2-shaped answers rendered in each dialect's shape.
#include <gtest/gtest.h>

#include "broker/viss/dialect.h"

namespace pharos::broker::viss {
namespace {

using json = nlohmann::json;

const ManualClock kClock{Timestamp(std::chrono::milliseconds(1'700'000'000'123))};
const RenderContext kContext{kClock, [](std::string_view path) -> std::optional<DataType> {
                               if (path == "Vehicle.Speed") return DataType::kFloat;
                               if (path.ends_with("IsOpen")) return DataType::kBoolean;
                               return std::nullopt;
                             }};

VissRequest Draft(std::string_view payload) {
  Parsed p = DraftDialect().Parse(payload);
  EXPECT_TRUE(p.request) << payload << ": " << (p.error ? p.error->message : "");
  return p.request.value_or(VissRequest{});
}
VissError DraftError(std::string_view payload) {
  Parsed p = DraftDialect().Parse(payload);
  EXPECT_TRUE(p.error) << payload;
  return p.error.value_or(VissError{200, "", ""});
}

TEST(DraftDialectTest, ReadsTheSeedsRequests) {
  VissRequest get = Draft(R"({"action":"get","path":" body.doors.*.lock ","reqId":5})");
  EXPECT_EQ(get.path, "body.doors");  // the wildcard part becomes a paths filter
  EXPECT_EQ(get.filter.paths, std::vector<std::string>{"*.lock"});
  EXPECT_EQ(get.echo["reqId"], 5);

  VissRequest tick = Draft(R"({"action":"subscribe","path":"body.mirrors.left","interval":100})");
  EXPECT_EQ(std::get<Filter::Timebased>(tick.filter.other).period_ms, 100);

  VissRequest any = Draft(R"({"action":"subscribe","onchange":true,"path":"engine.rpm"})");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(any.filter.other));

  VissRequest band = Draft(
      R"({"action":"subscribe","onchange":{"above":150,"below":10,"minChange":5},"path":"engine.eot"})");
  const auto& t = std::get<Filter::Threshold>(band.filter.other);
  EXPECT_EQ(t.all.above, 150);
  EXPECT_EQ(t.all.below, 10);
  EXPECT_EQ(t.all.min_change, 5);

  VissRequest branch = Draft(R"({"action":"subscribe","path":"engine","onchange":{
      "power":{"above":10,"below":120,"minChange":2},"eot":{"above":150,"below":10,"minChange":5}}})");
  const auto& per = std::get<Filter::Threshold>(branch.filter.other).by_path;
  ASSERT_EQ(per.size(), 2u);
  EXPECT_EQ(per.at("engine.power").min_change, 2);
  EXPECT_EQ(per.at("engine.eot").above, 150);

  VissRequest all = Draft(R"({"action":"unsubscribe","id":0})");
  EXPECT_TRUE(all.all_subscriptions);
  VissRequest one = Draft(R"({"action":"unsubscribe","id":35472})");
  EXPECT_FALSE(one.all_subscriptions);
  EXPECT_EQ(one.subscription_id, "35472");

  VissRequest secured = Draft(R"({"action":"get","path":"body.mirrors.left",
      "security":{"Authorization":"Bearer abc","WWW-Vehicle-Device":"def"}})");
  EXPECT_EQ(secured.tokens, (std::vector<std::string>{"abc", "def"}));

  VissRequest set = Draft(R"({"action":"set","path":"engine.rpm","value":2000})");
  EXPECT_EQ(set.value, 2000);
}

TEST(DraftDialectTest, EveryMalformedRequestIsABadRequest) {
  for (const char* bad : {
           "not json",
           "[1]",
           R"({"action":"fly","path":"a.b"})",
           R"({"path":"a.b"})",
           R"({"action":"get"})",
           R"({"action":"get","path":5})",
           R"({"action":"get","path":"*.b"})",
           R"({"action":"get","path":"a.b","security":"token"})",
           R"({"action":"get","path":"a.b","security":{"Authorization":5}})",
           R"({"action":"set","path":"a.b"})",
           R"({"action":"set","path":"a.*","value":1})",
           R"({"action":"set","path":"a.b","value":{"locked":true}})",
           R"({"action":"subscribe","path":"a.b","interval":100,"onchange":true})",
           R"({"action":"subscribe","path":"a.b","interval":0})",
           R"({"action":"subscribe","path":"a.b","interval":"100"})",
           R"({"action":"subscribe","path":"a.b","onchange":false})",
           R"({"action":"subscribe","path":"a.b","onchange":{}})",
           R"({"action":"subscribe","path":"a.b","onchange":{"above":"high"}})",
           R"({"action":"subscribe","path":"a.b","onchange":{"minChange":-1}})",
           R"({"action":"subscribe","path":"a.b","onchange":{"sideways":1}})",
           R"({"action":"subscribe","path":"a","onchange":{"b":{"above":1},"c":2}})",
           R"({"action":"subscribe","path":"a.b","filters":{}})",
           R"({"action":"unsubscribe"})",
           R"({"action":"unsubscribe","id":-1})",
           R"({"action":"unsubscribe","id":"7"})",
       }) {
    VissError e = DraftError(bad);
    EXPECT_EQ(e.number, 400) << bad;
    EXPECT_EQ(e.reason, "bad_request") << bad;
    EXPECT_FALSE(e.message.empty()) << bad;
  }
}

TEST(DraftDialectTest, RendersAnswersEventsAndErrorsInTheSeedsShape) {
  json echo = {{"reqId", "r"}, {"path", "Vehicle.Speed"}};
  json get = json::parse(DraftDialect().Render(
      {{"action", "get"},
       {"requestId", "r"},
       {"data", {{"path", "Vehicle.Speed"}, {"dp", {{"value", "42.5"}, {"ts", "x"}}}}},
       {"echo", echo}},
      kContext));
  EXPECT_EQ(get, json::parse(R"({"action":"get","path":"Vehicle.Speed","value":42.5,
                                 "reqId":"r","timestamp":1700000000123})"));

  json branch = json::parse(DraftDialect().Render(
      {{"action", "subscription"},
       {"subscriptionId", "7"},
       {"data", json::array({{{"path", "Vehicle.Cabin.Door.Row1.Left.IsOpen"},
                              {"dp", {{"value", "true"}, {"ts", "x"}}}},
                             {{"path", "Vehicle.Cabin.Door.Row1.Right.IsOpen"},
                              {"dp", {{"value", "false"}, {"ts", "x"}}}}})},
       {"echo", {{"path", "Vehicle.Cabin.Door"}}}},
      kContext));
  EXPECT_EQ(branch["subId"], 7);
  EXPECT_FALSE(branch.contains("action"));
  EXPECT_EQ(branch["value"]["Row1"]["Left"]["IsOpen"], true);
  EXPECT_EQ(branch["value"]["Row1"]["Right"]["IsOpen"], false);

  json error = json::parse(DraftDialect().Render(
      {{"action", "unsubscribe"},
       {"error", {{"number", 404}, {"reason", "unavailable_data"}, {"message", "no such"}}},
       {"echo", {{"id", 3542}}}},
      kContext));
  EXPECT_EQ(error["error"],
            json::parse(R"({"number":404,"code":"invalid_ID","message":"no such"})"));
  EXPECT_EQ(error["id"], 3542);
  EXPECT_EQ(error["action"], "unsubscribe");

  for (auto [reason, code] : std::vector<std::pair<const char*, const char*>>{
           {"bad_request", "unrecognised_format"},
           {"invalid_data", "none_settable_path"},
           {"missing_token", "user_unauthorised"},
           {"expired_token", "user_unauthorised"},
           {"invalid_token", "user_unauthorised"},
           {"forbidden_request", "user_forbidden"},
           {"unavailable_data", "invalid_path"},
           {"service_unavailable", "service_unavailable"}}) {
    json e = json::parse(DraftDialect().Render(
        {{"action", "get"}, {"error", {{"number", 400}, {"reason", reason}, {"message", "m"}}}},
        kContext));
    EXPECT_EQ(e["error"]["code"], code) << reason;
  }
}

TEST(V3DialectTest, ReadsVariantFiltersAndRefusesV2Names) {
  Parsed range = V3Dialect().Parse(R"({"action":"subscribe","path":"Vehicle.Speed","requestId":"1",
      "filter":{"variant":"range","parameter":[{"logic-op":"gt","boundary":"1","combination-op":"OR"},
                                               {"logic-op":"lt","boundary":"0"}]}})");
  ASSERT_TRUE(range.request) << range.error->message;
  const auto& r = std::get<Filter::Range>(range.request->filter.other);
  EXPECT_TRUE(r.combine_or);
  EXPECT_EQ(r.boundaries[1].op, BoundaryOp::kLt);

  Parsed meta = V3Dialect().Parse(
      R"({"action":"get","path":"Vehicle","requestId":"2","filter":{"variant":"metadata","parameter":"server_capabilities"}})");
  ASSERT_TRUE(meta.request);
  EXPECT_EQ(std::get<Filter::DynamicMetadata>(meta.request->filter.other).key,
            "server_capabilities");
  Parsed keys = V3Dialect().Parse(
      R"({"action":"get","path":"Vehicle","requestId":"3","filter":{"variant":"metadata","parameter":["unit"]}})");
  ASSERT_TRUE(keys.request);
  EXPECT_EQ(std::get<Filter::StaticMetadata>(keys.request->filter.other).keys,
            std::vector<std::string>{"unit"});

  for (
      const char* bad : {
          R"({"action":"get","path":"V","requestId":"4","filter":{"type":"paths","parameter":"x"}})",
          R"({"action":"get","path":"V","requestId":"4","filter":{"parameter":"x"}})",
          R"({"action":"get","path":"V","requestId":"4","filter":[{"variant":"paths","parameter":"x"},5]})",
          R"({"action":"get","path":"V","requestId":"4","filter":{"variant":"static-metadata","parameter":""}})",
      }) {
    Parsed p = V3Dialect().Parse(bad);
    ASSERT_TRUE(p.error) << bad;
    EXPECT_EQ(p.error->reason, "bad_request") << bad;
    EXPECT_EQ(p.request_id, "4") << bad;  // the error still answers the request
  }
  Parsed compressed =
      V3Dialect().Parse(R"({"action":"get","path":"V","requestId":"5","dc":"2+1"})");
  ASSERT_TRUE(compressed.error);
  EXPECT_EQ(compressed.error->number, 501);
}

TEST(V3DialectTest, RendersErrorsWithATextNumberAndADescription) {
  json e = json::parse(V3Dialect().Render(
      {{"action", "get"},
       {"requestId", "1"},
       {"error", {{"number", 401}, {"reason", "expired_token"}, {"message", "token expired"}}},
       {"ts", "t"}},
      kContext));
  EXPECT_EQ(e["error"], json::parse(R"({"number":"401","reason":"invalid_token",
                                        "description":"token expired"})"));
  EXPECT_EQ(e["requestId"], "1");
}

TEST(DialectTest, EachSubprotocolNamesItsDialect) {
  EXPECT_EQ(DialectFor("VISSv2"), &V2Dialect());
  EXPECT_EQ(DialectFor("VISS1.0"), &DraftDialect());
  EXPECT_EQ(DialectFor("VISSv3"), &V3Dialect());
  EXPECT_EQ(DialectFor("vissv2"), nullptr);
  EXPECT_EQ(DialectFor(""), nullptr);
}

}  // namespace
}  // namespace pharos::broker::viss
