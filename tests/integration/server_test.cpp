// The real server over loopback: ops endpoints, error shape, headers, limits, shutdown.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "server_process.hpp"

namespace cs::testing {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess({dir_->path() / "data", {}, {}, {}});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static std::string url(const std::string& path) { return server_->base_url() + path; }
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

TEST_F(ServerTest, HealthzAnswersOk) {
  auto r = http_get(url("/healthz"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["status"], "ok");
  EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0u);
}

TEST_F(ServerTest, ReadyzReportsDatabaseAndCurrentMigrations) {
  auto r = http_get(url("/readyz"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["status"], "ready");
  EXPECT_GE(j["migrations"]["current"].get<int>(), 3);
  EXPECT_EQ(j["migrations"]["current"], j["migrations"]["latest"]);
}

TEST_F(ServerTest, ServesTheOpenApiDocument) {
  auto r = http_get(url("/v1/openapi.json"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  auto j = r.json();
  EXPECT_EQ(j["openapi"], "3.1.0");
  EXPECT_TRUE(j["paths"].contains("/readyz"));
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  http_get(url("/healthz"));
  http_get(url("/no/such/thing"));
  auto r = http_get(url("/metrics"));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.header("content-type").find("text/plain"), std::string::npos);
  EXPECT_TRUE(std::regex_search(r.body, std::regex(R"(http_requests_total\{[^}]*route="/healthz"[^}]*status="200"[^}]*\} [1-9])")))
      << r.body;
  EXPECT_NE(r.body.find("http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(r.body.find("http_requests_in_flight"), std::string::npos);
  EXPECT_NE(r.body.find("countersign_job_queue_depth"), std::string::npos);
}

TEST_F(ServerTest, EveryResponseCarriesARequestIdAndSecurityHeaders) {
  auto generated = http_get(url("/healthz"));
  EXPECT_FALSE(generated.header("x-request-id").empty());
  EXPECT_EQ(generated.header("x-content-type-options"), "nosniff");
  EXPECT_FALSE(generated.header("referrer-policy").empty());

  auto echoed = http({"GET", url("/healthz"), {}, {{"X-Request-Id", "trace-abc.123"}}, 5000});
  EXPECT_EQ(echoed.header("x-request-id"), "trace-abc.123");

  auto replaced = http({"GET", url("/healthz"), {}, {{"X-Request-Id", "bad id with spaces <script>"}}, 5000});
  EXPECT_NE(replaced.header("x-request-id"), "bad id with spaces <script>");
  EXPECT_FALSE(replaced.header("x-request-id").empty());
}

TEST_F(ServerTest, HtmlPagesCarryAStrictCsp) {
  auto r = http_get(url("/login"));
  ASSERT_EQ(r.status, 200);
  auto csp = r.header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("http:"), std::string::npos) << "no third-party origins: " << csp;
  EXPECT_TRUE(r.header("strict-transport-security").empty()) << "HSTS only under TLS";
  EXPECT_EQ(r.header("cache-control"), "no-store") << "pages carry CSRF tokens and personal data";
  EXPECT_EQ(http_get(url("/static/app.css")).header("cache-control"), "public, max-age=3600");
}

TEST_F(ServerTest, UnknownRouteIsAProblemWithAStableCode) {
  auto r = http_get(url("/v1/nothing-here"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  auto j = r.json();
  EXPECT_EQ(j["code"], "not_found");
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["request_id"], r.header("x-request-id"));
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  auto r = http({"DELETE", url("/healthz"), {}, {}, 5000});
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.header("allow").find("GET"), std::string::npos);
  EXPECT_EQ(r.json()["code"], "method_not_allowed");
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  auto r = http({"GET", url("/healthz"), {}, {{"X-Big", std::string(64 * 1024, 'a')}}, 5000});
  EXPECT_EQ(r.status, 431);
}

TEST_F(ServerTest, OversizedFormBodyIs413AndNothingHappens) {
  auto r = http({"POST", url("/login"), std::string(20 * 1024, 'a'),
                 {{"Content-Type", "application/x-www-form-urlencoded"}}, 5000});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["code"], "payload_too_large");
}

TEST_F(ServerTest, PathTraversalNeverReachesAFile) {
  for (const char* path : {"/static/..%2F..%2Fetc%2Fpasswd", "/static/../../etc/passwd", "/static/%2e%2e/x"}) {
    auto r = http_get(url(path));
    EXPECT_GE(r.status, 400) << path;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << path;
  }
  EXPECT_EQ(http_get(url("/static/app.css")).status, 200);
}

TEST_F(ServerTest, GarbageOnTheSocketGetsA400OrAClosedConnection) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string garbage = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 NOT HTTP AT ALL\r\n\r\n";
  ASSERT_GT(write(fd, garbage.data(), garbage.size()), 0);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<std::size_t>(n));
  close(fd);
  // Either a 400 problem, or the server simply closed: it never answers 2xx to garbage.
  if (!reply.empty()) {
    EXPECT_NE(reply.find(" 400 "), std::string::npos) << reply;
  }
  // And the server is still fine afterwards.
  EXPECT_EQ(http_get(url("/healthz")).status, 200);
}

TEST(ServerLifecycle, SigtermStopsGracefullyWithExitZero) {
  TempDir dir;
  ServerProcess server({dir.path() / "data", {}, {}, {}});
  ASSERT_EQ(http_get(server.base_url() + "/healthz").status, 200);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
  bool stopped = false, said_signal = false;
  for (const auto& line : server.output_lines()) {
    // Every log line is one JSON object (DESIGN.md "Observability"), application messages too.
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    stopped |= j.value("event", "") == "stopped";
    said_signal |= j.value("msg", "").find("signal") != std::string::npos && j.value("level", "") == "info";
  }
  EXPECT_TRUE(stopped);
  EXPECT_TRUE(said_signal);
}

TEST(ServerLifecycle, ConfiguredJsonBodyLimitAppliesToRoutesWithoutTheirOwn) {
  TempDir dir;
  ServerProcess small({dir.path() / "data", {}, {}, {{"COUNTERSIGN_JSON_BODY_LIMIT_BYTES", "2048"}}});
  std::string body = "{\"name\":\"" + std::string(4096, 'a') + "\"}";
  // GET /v1/users/me declares no limit of its own, so the server-wide one applies.
  auto r = http({"GET", small.base_url() + "/v1/users/me", body, {{"Content-Type", "application/json"}}, 5000});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["code"], "payload_too_large");
  auto within = http({"GET", small.base_url() + "/v1/users/me", "{}", {{"Content-Type", "application/json"}}, 5000});
  EXPECT_EQ(within.status, 401) << "a small body reaches authentication";
}

TEST(ServerLifecycle, ClientAddressComesFromXForwardedForOnlyBehindATrustedProxy) {
  auto logged_ip = [](const ServerProcess& server, const std::string& request_id) {
    for (int i = 0; i < 200; ++i) {  // the access line is written just after the response
      for (const auto& line : server.output_lines()) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.value("request_id", "") == request_id) return j.value("remote_ip", "");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::string("(no access line)");
  };
  TempDir dir;
  ServerProcess trusting({dir.path() / "a", {}, {}, {{"COUNTERSIGN_TRUSTED_PROXIES", "127.0.0.1"}}});
  http({"GET", trusting.base_url() + "/healthz", {}, {{"X-Forwarded-For", "203.0.113.7"}, {"X-Request-Id", "xff-1"}}, 5000});
  EXPECT_EQ(logged_ip(trusting, "xff-1"), "203.0.113.7");

  ServerProcess plain({dir.path() / "b", {}, {}, {}});
  http({"GET", plain.base_url() + "/healthz", {}, {{"X-Forwarded-For", "203.0.113.7"}, {"X-Request-Id", "xff-2"}}, 5000});
  EXPECT_EQ(logged_ip(plain, "xff-2"), "127.0.0.1") << "an untrusted X-Forwarded-For is ignored";
}

TEST(ServerLifecycle, TakenPortFailsWithExitOne) {
  TempDir dir;
  ServerProcess first({dir.path() / "a", {}, {}, {}});
  auto r = run_cli({"serve", "--listen", "127.0.0.1:" + std::to_string(first.port()), "--data-dir",
                    (dir.path() / "b").string()});
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace cs::testing
