// The socket-free parts: JSON bodies, routing, middleware, metrics rendering, decoding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/json_body.hpp"
#include "http/metrics.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"

namespace http {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Request json_request(std::string content_type, std::string body) {
  Request r;
  r.headers.emplace_back("content-type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

TEST(JsonBodyTest, ParsesObjectWithCharsetParameter) {
  auto j = parse_json_object(json_request("Application/JSON; charset=utf-8", R"({"a":1})"));
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["a"], 1);
}

TEST(JsonBodyTest, WrongContentTypeIs415) {
  auto j = parse_json_object(json_request("text/plain", R"({"a":1})"));
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().errc(), cs::Errc::unsupported_media_type);
  Request no_header;
  no_header.body = "{}";
  EXPECT_EQ(parse_json_object(no_header).error().errc(), cs::Errc::unsupported_media_type);
}

TEST(JsonBodyTest, MalformedJsonGivesPositionNotParserInternals) {
  auto j = parse_json_object(json_request("application/json", R"({"a":})"));
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().errc(), cs::Errc::malformed_json);
  EXPECT_THAT(j.error().message(), HasSubstr("byte"));
  EXPECT_THAT(j.error().message(), ::testing::Not(HasSubstr("syntax error")));
}

TEST(JsonBodyTest, InvalidUtf8IsRejectedBeforeParsing) {
  auto j = parse_json_object(json_request("application/json", "{\"a\":\"\xC3\x28\"}"));
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().errc(), cs::Errc::invalid_utf8);
}

TEST(JsonBodyTest, NonObjectIsInvalidRequest) {
  auto j = parse_json_object(json_request("application/json", "[1,2]"));
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().errc(), cs::Errc::invalid_request);
}

TEST(JsonBodyTest, DeepNestingIsRefused) {
  std::string deep = "{\"a\":" + std::string(1000, '[') + std::string(1000, ']') + "}";
  auto j = parse_json_object(json_request("application/json", deep));
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().errc(), cs::Errc::malformed_json);
}

TEST(JsonBodyTest, UnknownFieldsNameTheField) {
  json j = {{"name", "x"}, {"evil", 1}};
  auto s = reject_unknown_fields(j, {"name", "email"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().errc(), cs::Errc::unknown_field);
  EXPECT_EQ(s.error().field(), "evil");
  EXPECT_TRUE(reject_unknown_fields(json{{"name", "x"}}, {"name", "email"}));
}

TEST(JsonBodyTest, TypedGettersReportWrongTypesWithField) {
  json j = {{"s", "v"}, {"n", 5}, {"b", true}, {"f", 1.5}, {"null", nullptr}, {"big", 1ULL << 63}};
  EXPECT_EQ(required_string(j, "s").value(), "v");
  EXPECT_EQ(required_int(j, "n").value(), 5);
  EXPECT_EQ(required_bool(j, "b").value(), true);
  EXPECT_EQ(optional_string(j, "missing").value(), std::nullopt);
  EXPECT_EQ(optional_string(j, "null").value(), std::nullopt);
  EXPECT_EQ(optional_bool(j, "b").value(), true);
  EXPECT_EQ(optional_int(j, "n").value(), 5);

  auto wrong = required_string(j, "n");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().errc(), cs::Errc::validation_failed);
  EXPECT_EQ(wrong.error().field(), "n");
  EXPECT_EQ(optional_bool(j, "s").error().field(), "s");
  EXPECT_EQ(optional_int(j, "f").error().errc(), cs::Errc::validation_failed);
  EXPECT_EQ(optional_int(j, "big").error().errc(), cs::Errc::validation_failed);
  auto missing = required_string(j, "absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().field(), "absent");
}

TEST(RouterTest, MatchesParamsAndReports404And405) {
  Router r;
  auto h = [](Request&) { return Response::text(200, ""); };
  r.add("GET", "/v1/apps/{id}", h);
  r.add("GET", "/v1/apps/new", h);
  r.add("PUT", "/v1/apps/{id}/keys/{key}", h);
  r.add("POST", "/v1/apps", h);

  auto m = r.match("GET", "/v1/apps/app_1");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(m.route->path_template, "/v1/apps/{id}");
  EXPECT_EQ(m.params, (HeaderList{{"id", "app_1"}}));

  EXPECT_EQ(r.match("GET", "/v1/apps/new").route->path_template, "/v1/apps/new");
  auto two = r.match("PUT", "/v1/apps/a%20b/keys/k");
  ASSERT_EQ(two.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(two.params, (HeaderList{{"id", "a b"}, {"key", "k"}}));

  EXPECT_EQ(r.match("GET", "/v1/apps/").outcome, RouteMatch::Outcome::not_found);
  EXPECT_EQ(r.match("GET", "/v1/other").outcome, RouteMatch::Outcome::not_found);
  EXPECT_EQ(r.match("GET", "/v1/apps/%zz").outcome, RouteMatch::Outcome::not_found);

  auto wrong = r.match("DELETE", "/v1/apps");
  EXPECT_EQ(wrong.outcome, RouteMatch::Outcome::method_not_allowed);
  EXPECT_EQ(wrong.allow, "POST");
  EXPECT_EQ(r.match("HEAD", "/v1/apps/x").outcome, RouteMatch::Outcome::found);
}

TEST(PathDecodingTest, RejectsTraversalNulAndBadEscapes) {
  EXPECT_EQ(decode_path_segments("/a/%2e%2e/b"), std::nullopt);
  EXPECT_EQ(decode_path_segments("/a/./b"), std::nullopt);
  EXPECT_EQ(decode_path_segments("/a%00"), std::nullopt);
  EXPECT_EQ(decode_path_segments("/a%4"), std::nullopt);
  EXPECT_EQ(decode_path_segments("/a%ff"), std::nullopt);
  EXPECT_EQ(decode_path_segments("relative"), std::nullopt);
  EXPECT_EQ(decode_path_segments("/a%2Fb/c"), (std::vector<std::string>{"a/b", "c"}));
}

TEST(MiddlewareTest, ClientIpBelievesOnlyTrustedProxies) {
  const std::vector<std::string> trusted{"10.0.0.5", "10.0.0.6"};
  // Not from a trusted proxy: the header is the client's own claim and is ignored.
  EXPECT_EQ(client_ip("198.51.100.9", "203.0.113.7", trusted), "198.51.100.9");
  // From our proxy: the rightmost untrusted hop is the client.
  EXPECT_EQ(client_ip("10.0.0.5", "203.0.113.7", trusted), "203.0.113.7");
  EXPECT_EQ(client_ip("10.0.0.5", "1.2.3.4, 203.0.113.7", trusted), "203.0.113.7") << "a spoofed left entry";
  EXPECT_EQ(client_ip("10.0.0.5", "203.0.113.7, 10.0.0.6", trusted), "203.0.113.7") << "two proxy hops";
  EXPECT_EQ(client_ip("10.0.0.5", "2001:db8::1", trusted), "2001:db8::1");
  // Garbage stops the walk at the last address vouched for.
  EXPECT_EQ(client_ip("10.0.0.5", "203.0.113.7, not-an-ip", trusted), "10.0.0.5");
  EXPECT_EQ(client_ip("10.0.0.5", "", trusted), "10.0.0.5");
  EXPECT_EQ(client_ip("10.0.0.5", "10.0.0.6", trusted), "10.0.0.6") << "only proxies: the farthest";
}

TEST(MiddlewareTest, RequestIdValidation) {
  EXPECT_TRUE(is_acceptable_request_id("a.B_c-9"));
  EXPECT_FALSE(is_acceptable_request_id(""));
  EXPECT_FALSE(is_acceptable_request_id("with space"));
  EXPECT_FALSE(is_acceptable_request_id("line\nbreak"));
  EXPECT_FALSE(is_acceptable_request_id(std::string(129, 'a')));
  EXPECT_EQ(request_id_for(std::string_view("keep-me")), "keep-me");
  EXPECT_NE(request_id_for(std::string_view("bad id")), "bad id");
  EXPECT_NE(request_id_for(std::nullopt), request_id_for(std::nullopt));
}

TEST(MiddlewareTest, AccessLogLineIsJsonWithAllFields) {
  AccessLogEntry e{.request_id = "r1",
                   .method = "GET",
                   .path = "/x\"y",
                   .route = "/x",
                   .remote_ip = "127.0.0.1",
                   .user_agent = "ua\xff",
                   .status = 200,
                   .latency = std::chrono::microseconds(42),
                   .bytes_in = 3,
                   .bytes_out = 9};
  auto j = json::parse(access_log_line(e));
  for (const char* key : {"ts", "request_id", "method", "path", "route", "status", "latency_us",
                          "bytes_in", "bytes_out", "remote_ip", "user_agent"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["path"], "/x\"y");
  EXPECT_EQ(j["latency_us"], 42);
}

TEST(MiddlewareTest, AccessLogLineEscapesControlsAndReplacesOnlyInvalidUtf8) {
  // "é" is kept; a newline and SOH are escaped (one line per request); an encoded UTF-16
  // surrogate is not UTF-8 and each of its bytes becomes U+FFFD.
  AccessLogEntry e;
  e.path = "/caf\xc3\xa9\n\x01";
  e.user_agent = "\xed\xa0\x80x";
  auto text = access_log_line(e);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  auto j = json::parse(text);
  EXPECT_EQ(j["path"], "/caf\xc3\xa9\n\x01");
  EXPECT_EQ(j["user_agent"], "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
  EXPECT_EQ(j["status"], 0);
}

TEST(MetricsTest, RendersPrometheusText) {
  Metrics m;
  auto* s = m.series("/v1/x/{id}", "GET");
  EXPECT_EQ(m.series("/v1/x/{id}", "GET"), s);
  s->observe(200, std::chrono::microseconds(300));
  s->observe(200, std::chrono::milliseconds(20));
  s->observe(500, std::chrono::seconds(20));
  auto text = m.render();
  EXPECT_THAT(
      text,
      HasSubstr("http_requests_total{route=\"/v1/x/{id}\",method=\"GET\",status=\"200\"} 2\n"));
  EXPECT_THAT(
      text,
      HasSubstr("http_requests_total{route=\"/v1/x/{id}\",method=\"GET\",status=\"500\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("http_request_duration_seconds_bucket{route=\"/v1/x/"
                              "{id}\",method=\"GET\",le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("http_request_duration_seconds_bucket{route=\"/v1/x/"
                              "{id}\",method=\"GET\",le=\"0.025\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("http_request_duration_seconds_bucket{route=\"/v1/x/"
                              "{id}\",method=\"GET\",le=\"10\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("le=\"+Inf\"} 3\n"));
  EXPECT_THAT(
      text,
      HasSubstr("http_request_duration_seconds_count{route=\"/v1/x/{id}\",method=\"GET\"} 3\n"));
}

TEST(ResponseTest, ProblemCarriesExtraHeadersAndNoDetail) {
  auto r = Response::problem(cs::Error(cs::Errc::too_many_requests, "slow down", "bucket=app_1"),
                             "rid", {{"Retry-After", "30"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "30");
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("bucket")));
  auto j = json::parse(r.body);
  EXPECT_EQ(j["type"], "/problems/too_many_requests");
  EXPECT_FALSE(j.contains("field"));
}

}  // namespace
}  // namespace http
