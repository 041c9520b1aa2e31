// The server end to end over loopback: routing, middleware, handlers, auth hook, metrics.
#include <atomic>
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "tests/http/test_client.hpp"

namespace http::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.router.add("GET", "/hello", [](Request&) { return Response::text(200, "hello"); });
    s_.router.add("GET", "/v1/envelopes/{id}", [](Request& r) {
      return Response::json(200, {{"id", r.param("id")}, {"route", r.route_template}});
    });
    s_.router.add("GET", "/v1/envelopes/new", [](Request&) { return Response::text(200, "new"); });
    s_.router.add("DELETE", "/v1/envelopes/{id}", [](Request&) { return Response::text(204, ""); });
    s_.router.add("GET", "/page", [](Request&) { return Response::html(200, "<p>hi</p>"); });
    s_.router.add("GET", "/page-own-csp", [](Request&) {
      auto r = Response::html(200, "<p>hi</p>");
      r.set_header("Content-Security-Policy", "default-src 'self'");
      return r;
    });
    s_.router.add("GET", "/leaky", [](Request& r) {
      return Response::problem(
          cs::Error(cs::Errc::validation_failed, "name is too long", "SELECT secret FROM t")
              .with_field("name"),
          r.request_id);
    });
    s_.router.add("GET", "/throws",
                  [](Request&) -> Response { throw std::runtime_error("db password is hunter2"); });
    s_.router.add("GET", "/query", [](Request& r) {
      return Response::json(200, {{"q", r.query_param("q").value_or("-")},
                                  {"c", std::string(r.cookie("sid").value_or("-"))},
                                  {"path", r.path}});
    });
    s_.router.add("GET", "/thread/blocking", [this](Request&) {
      blocking_on_io_ = on_io_thread();
      blocking_tid_ = std::this_thread::get_id();
      return Response::text(200, "ok");
    });
    s_.router.add("GET", "/thread/inline", RouteOptions{.blocking = false}, [this](Request&) {
      inline_on_io_ = on_io_thread();
      inline_tid_ = std::this_thread::get_id();
      return Response::text(200, "ok");
    });
    s_.router.add("GET", "/private", RouteOptions{.auth = Auth::bearer}, [](Request& r) {
      return Response::text(200, std::any_cast<std::string>(r.principal));
    });
    s_.router.add("POST", "/echo", [](Request& r) { return Response::text(200, r.body); });
    auto auth = [this](Request& r, Auth mode) -> cs::Status {
      ++auth_calls_;
      EXPECT_EQ(mode, Auth::bearer);
      if (r.header("Authorization") != "Bearer good") {
        return cs::fail(cs::Errc::unauthenticated, "a valid bearer token is required",
                        "token lookup missed");
      }
      r.principal = std::string("user-1");
      return {};
    };
    s_.metrics.add_gauge("jobs_queue_depth", "Jobs waiting.", [] { return 7.0; });
    ASSERT_TRUE(s_.start(test_options(), auth));
  }

  TestServer s_;
  std::atomic<int> auth_calls_{0};
  bool blocking_on_io_ = true, inline_on_io_ = false;
  std::thread::id blocking_tid_, inline_tid_;
};

nlohmann::json body_json(const RawResponse& r) { return nlohmann::json::parse(r.body); }

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestClient c(s_.port());
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("GET", "/hello");
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
    EXPECT_EQ(r->header("Connection").value_or("keep-alive"), "keep-alive");
  }
  auto last = c.request("POST", "/echo", {{"Connection", "close"}}, "bye");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->body, "bye");
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(ServerTest, RouterMatchesParamsAndPrefersLiterals) {
  TestClient c(s_.port());
  auto r = c.request("GET", "/v1/envelopes/env_1%2Fx");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(body_json(*r)["id"], "env_1/x");
  EXPECT_EQ(body_json(*r)["route"], "/v1/envelopes/{id}");
  r = c.request("GET", "/v1/envelopes/new");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "new");
}

TEST_F(ServerTest, UnknownPathIs404Problem) {
  TestClient c(s_.port());
  auto r = c.request("GET", "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
  EXPECT_EQ(body_json(*r)["code"], "not_found");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  TestClient c(s_.port());
  auto r = c.request("POST", "/v1/envelopes/env_1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("Allow"), "DELETE, GET, HEAD");
  EXPECT_EQ(body_json(*r)["code"], "method_not_allowed");
}

TEST_F(ServerTest, HeadIsServedByGetRouteWithoutBody) {
  TestClient c(s_.port());
  auto r = c.request("HEAD", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"), "5");
  EXPECT_EQ(r->body, "");
  auto next = c.request("GET", "/hello");  // nothing stray left on the connection
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(ServerTest, QueryCookieAndDecodedPath) {
  TestClient c(s_.port());
  auto r = c.request("GET", "/query?a=1&q=caf%C3%A9+au+lait", {{"Cookie", "x=1; sid=abc"}});
  ASSERT_TRUE(r);
  auto j = body_json(*r);
  EXPECT_EQ(j["q"], "café au lait");
  EXPECT_EQ(j["c"], "abc");
  EXPECT_EQ(j["path"], "/query");
}

TEST_F(ServerTest, InvalidPathEncodingIs400) {
  for (const char* target : {"/a%zz", "/a%00b", "/v1/../hello", "/a%C0%AF", "*"}) {
    TestClient c(s_.port());
    auto r = c.request("GET", target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400) << target;
    EXPECT_EQ(body_json(*r)["code"], "invalid_request") << target;
  }
}

TEST_F(ServerTest, RequestIdAcceptedGeneratedAndReplaced) {
  TestClient c(s_.port());
  auto r = c.request("GET", "/hello", {{"X-Request-Id", "abc-123_x.y"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Request-Id"), "abc-123_x.y");

  r = c.request("GET", "/hello");
  ASSERT_TRUE(r);
  auto generated = r->header("X-Request-Id").value_or("");
  EXPECT_TRUE(std::regex_match(generated, std::regex("[A-Za-z0-9._-]{1,128}"))) << generated;

  r = c.request("GET", "/nope", {{"X-Request-Id", "bad id<script>"}});
  ASSERT_TRUE(r);
  auto replaced = r->header("X-Request-Id").value_or("");
  EXPECT_NE(replaced, "bad id<script>");
  EXPECT_TRUE(std::regex_match(replaced, std::regex("[A-Za-z0-9._-]{1,128}"))) << replaced;
  EXPECT_EQ(body_json(*r)["request_id"], replaced);

  r = c.request("GET", "/hello", {{"X-Request-Id", std::string(129, 'a')}});
  ASSERT_TRUE(r);
  EXPECT_NE(r->header("X-Request-Id"), std::string(129, 'a'));
}

TEST_F(ServerTest, SecurityHeadersOnEveryResponseAndCspOnlyOnHtml) {
  TestClient c(s_.port());
  auto json = c.request("GET", "/v1/envelopes/x");
  ASSERT_TRUE(json);
  EXPECT_EQ(json->header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(json->header("Referrer-Policy"), "no-referrer");
  EXPECT_FALSE(json->header("Content-Security-Policy"));
  EXPECT_FALSE(json->header("Strict-Transport-Security"));  // plain HTTP
  EXPECT_EQ(json->header("Server"), "countersign");

  auto html = c.request("GET", "/page");
  ASSERT_TRUE(html);
  EXPECT_THAT(html->header("Content-Security-Policy").value_or(""),
              HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(html->header("Content-Security-Policy").value_or(""),
              HasSubstr("default-src 'none'"));
  EXPECT_EQ(html->header("X-Frame-Options"), "DENY");
  EXPECT_EQ(html->header("X-Content-Type-Options"), "nosniff");

  auto own = c.request("GET", "/page-own-csp");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->header("Content-Security-Policy"), "default-src 'self'");

  auto problem = c.request("GET", "/nope");
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->header("Cache-Control"), "no-store");
}

TEST_F(ServerTest, ProblemJsonShapeNeverLeaksDetail) {
  TestClient c(s_.port());
  auto r = c.request("GET", "/leaky", {{"X-Request-Id", "rid-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
  auto j = body_json(*r);
  EXPECT_EQ(j, nlohmann::json({{"type", "/problems/validation_failed"},
                               {"title", "Validation failed"},
                               {"status", 422},
                               {"detail", "name is too long"},
                               {"code", "validation_failed"},
                               {"request_id", "rid-1"},
                               {"field", "name"}}));
  EXPECT_THAT(r->body, Not(HasSubstr("SELECT")));
}

TEST_F(ServerTest, HandlerExceptionIs500WithoutInternals) {
  TestClient c(s_.port());
  auto r = c.request("GET", "/throws");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(body_json(*r)["code"], "internal");
  EXPECT_THAT(r->body, Not(HasSubstr("hunter2")));
  auto after = c.request("GET", "/hello");  // the connection survives
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, AuthenticatorRunsOnlyForRoutesThatNeedAuth) {
  TestClient c(s_.port());
  ASSERT_TRUE(c.request("GET", "/hello"));
  EXPECT_EQ(auth_calls_.load(), 0);

  auto denied = c.request("GET", "/private");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(body_json(*denied)["code"], "unauthenticated");
  EXPECT_THAT(denied->body, Not(HasSubstr("token lookup missed")));
  EXPECT_EQ(auth_calls_.load(), 1);

  auto ok = c.request("GET", "/private", {{"Authorization", "Bearer good"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "user-1");
  EXPECT_EQ(auth_calls_.load(), 2);
}

TEST_F(ServerTest, BlockingHandlersRunOffTheIoThread) {
  TestClient c(s_.port());
  ASSERT_TRUE(c.request("GET", "/thread/blocking"));
  ASSERT_TRUE(c.request("GET", "/thread/inline"));
  EXPECT_FALSE(blocking_on_io_);
  EXPECT_TRUE(inline_on_io_);
  EXPECT_NE(blocking_tid_, inline_tid_);
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  TestClient c(s_.port());
  ASSERT_TRUE(c.request("GET", "/v1/envelopes/a"));
  ASSERT_TRUE(c.request("GET", "/v1/envelopes/b"));
  ASSERT_TRUE(c.request("GET", "/nope"));
  // A request is recorded just after its response is written, so the client may read the
  // response first: wait until the last one is in.
  std::string text;
  for (int i = 0; i < 500; ++i) {
    text = s_.metrics.render();
    if (text.find("http_requests_in_flight 0\n") != std::string::npos &&
        text.find("status=\"404\"") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_THAT(text, HasSubstr("http_requests_total{route=\"/v1/envelopes/{id}\",method=\"GET\","
                              "status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("http_requests_total{route=\"unmatched\",method=\"GET\","
                              "status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("http_request_duration_seconds_count{route=\"/v1/envelopes/{id}\","
                              "method=\"GET\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("http_connections_open 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE http_requests_in_flight gauge\nhttp_requests_in_flight 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE jobs_queue_depth gauge\njobs_queue_depth 7\n"));
}

TEST(AccessLogTest, OneJsonLinePerRequestThroughTheAccessLogger) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>("access", sink);
  logger->set_pattern("%v");
  spdlog::drop("access");
  spdlog::register_logger(logger);

  {
    TestServer s;
    s.router.add("GET", "/items/{id}", [](Request&) { return Response::text(200, "item"); });
    auto o = test_options();
    o.access_log = true;
    ASSERT_TRUE(s.start(o));
    TestClient c(s.port());
    ASSERT_TRUE(c.request("GET", "/items/42", {{"X-Request-Id", "log-me"}, {"User-Agent", "t/1"}}));
    s.stop();  // the line is written once the response is out; stop() waits for it
  }
  spdlog::drop("access");

  auto text = out.str();
  ASSERT_FALSE(text.empty());
  auto line = nlohmann::json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(line["request_id"], "log-me");
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["path"], "/items/42");
  EXPECT_EQ(line["route"], "/items/{id}");
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["user_agent"], "t/1");
  EXPECT_EQ(line["remote_ip"], "127.0.0.1");
  EXPECT_EQ(line["bytes_out"].get<int>() > 0, true);
  EXPECT_TRUE(line.contains("latency_us"));
  EXPECT_TRUE(line.contains("ts"));
  EXPECT_TRUE(line.contains("bytes_in"));
}

TEST(ServerStartTest, AddressInUseIsAnError) {
  TestServer first;
  first.router.add("GET", "/", [](Request&) { return Response::text(200, "x"); });
  ASSERT_TRUE(first.start());
  TestServer second;
  auto options = test_options();
  options.port = first.port();
  auto status = second.start(options);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().errc(), cs::Errc::unavailable);
}

TEST(ServerStartTest, AuthRouteWithoutAuthenticatorFailsToStart) {
  TestServer s;
  s.router.add("GET", "/p", RouteOptions{.auth = Auth::session},
               [](Request&) { return Response::text(200, "x"); });
  EXPECT_FALSE(s.start());
}

TEST(ServerStartTest, AuthRouteRunningOnTheIoThreadFailsToStart) {
  // Its authenticator would query the database on an io thread.
  TestServer s;
  s.router.add("GET", "/p", RouteOptions{.auth = Auth::bearer, .blocking = false},
               [](Request&) { return Response::text(200, "x"); });
  auto status = s.start(test_options(), [](Request&, Auth) -> cs::Status { return {}; });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().errc(), cs::Errc::internal);
  EXPECT_THAT(status.error().detail(), HasSubstr("GET /p"));
}

}  // namespace
}  // namespace http::testing
