// The API call log end to end (issue 5) against the real server: every app call recorded once
// with its fields, auth calls tagged, unattributable calls left out, the partner read API with
// its filters and refusals, streamed exports, rate-limit headers and the 429 at the exact count,
// staff overrides, and nothing lost when the server is stopped with SIGTERM under load.
#include <atomic>
#include <chrono>
#include <csignal>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "oauth_client.hpp"

namespace cs::testing {
namespace {

// The demo seed plus another partner org with its own admin, and a server with `env`.
class CallLogWorld {
  TempDir dir_;

 public:
  explicit CallLogWorld(std::map<std::string, std::string> env) : env_(std::move(env)) {
    auto data = (dir_.path() / "data").string();
    auto cli = [&](std::vector<std::string> args) {
      args.insert(args.end(), {"--json", "--data-dir", data});
      auto r = run_cli(args);
      if (r.exit_code != 0) throw std::runtime_error("countersign " + args[0] + ": " + r.err);
      return r.json();
    };
    demo = cli({"demo", "seed"});
    auto rival_org = cli({"admin", "create-partner", "--name", "Initech Apps"});
    auto rival = cli({"admin", "create-user", "--email", "rival@initech.example", "--name", "Rival Admin"});
    rival_password = rival["password"];
    cli({"admin", "grant-role", "--user", "rival@initech.example", "--role", "partner_admin", "--partner",
         rival_org["id"].get<std::string>()});
    start();
  }

  void start() { server = std::make_unique<ServerProcess>(ServerProcess::Options{dir_.path() / "data", {}, {}, env_}); }
  // Another server over the same data directory, with another environment (the previous one
  // must have exited).
  void restart(std::map<std::string, std::string> env) {
    server.reset();
    env_ = std::move(env);
    start();
  }

  std::string email(const char* who) const { return demo["users"][who]["email"]; }
  std::string password(const char* who) const { return demo["users"][who]["password"]; }
  std::string account(const char* env) const { return demo["accounts"][env]["id"]; }
  ClientApp app() const { return {demo["app"]["client_id"], demo["app"]["client_secret"], demo["app"]["redirect_uri"]}; }

  nlohmann::json demo;
  std::string rival_password;
  std::unique_ptr<ServerProcess> server;

 private:
  std::map<std::string, std::string> env_;
};

HttpResponse bearer(OAuthDriver& d, const std::string& path, const std::string& token, const std::string& request_id) {
  return d.get(path, {{"Authorization", "Bearer " + token}, {"X-Request-Id", request_id}, {"User-Agent", "calllog-test/1"}});
}

std::string unique_id(const std::string& prefix) {
  static std::atomic<int> n{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

// The demo app's id, as the partner console lists it.
std::string demo_app_id(OAuthDriver& d, CookieJar& partner, const std::string& client_id) {
  auto r = d.get("/v1/apps", {{"Cookie", partner.header()}});
  EXPECT_EQ(r.status, 200) << r.body;
  auto body = r.json();  // a named value: a temporary's subscript would dangle in the loop
  for (const auto& a : body["data"]) {
    if (a["client_id"] == client_id) return a["id"];
  }
  ADD_FAILURE() << "demo app " << client_id << " not listed: " << r.body.substr(0, 600);
  return {};
}

// Every call of the app in the last day, read through the API (the writer is asynchronous, so
// wait until `expected` request ids are there; bounded).
std::vector<nlohmann::json> calls_with(OAuthDriver& d, CookieJar& partner, const std::string& app_id,
                                       const std::set<std::string>& expected) {
  std::vector<nlohmann::json> calls;
  for (int attempt = 0; attempt < 100; ++attempt) {
    calls.clear();
    std::string cursor;
    for (;;) {
      auto r = d.get("/v1/apps/" + app_id + "/calls?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor),
                     {{"Cookie", partner.header()}});
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) return calls;
      auto body = r.json();
      for (const auto& c : body["data"]) calls.push_back(c);
      if (body["next_cursor"].is_null()) break;
      cursor = body["next_cursor"];
    }
    std::set<std::string> have;
    for (const auto& c : calls) have.insert(c["request_id"].get<std::string>());
    if (std::includes(have.begin(), have.end(), expected.begin(), expected.end())) return calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return calls;
}

std::vector<nlohmann::json> by_request(const std::vector<nlohmann::json>& calls, const std::string& id) {
  std::vector<nlohmann::json> out;
  for (const auto& c : calls) {
    if (c["request_id"] == id) out.push_back(c);
  }
  return out;
}

class CallLogApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    world_ = new CallLogWorld({});
  }
  static void TearDownTestSuite() { delete world_; }
  static CallLogWorld& w() { return *world_; }
  static OAuthDriver driver() { return OAuthDriver(*w().server); }
  static inline CallLogWorld* world_ = nullptr;
};

TEST_F(CallLogApiTest, EveryAppCallIsRecordedOnceWithItsFieldsAndAuthCallsAreTagged) {
  auto d = driver();
  auto admin = d.sign_in(w().email("sandbox_admin"), w().password("sandbox_admin"));
  auto tokens = d.obtain_tokens(admin, w().app(), w().account("sandbox"), "account:read user:read offline_access");
  ASSERT_TRUE(tokens);
  auto partner = d.sign_in(w().email("partner_developer"), w().password("partner_developer"));
  auto app_id = demo_app_id(d, partner, w().app().client_id);

  std::string ok = unique_id("ok"), missing = unique_id("missing"), me = unique_id("me"), info = unique_id("info"),
              bad_token = unique_id("badtoken");
  auto r1 = bearer(d, "/v1/accounts/" + w().account("sandbox"), tokens->access_token, ok);
  ASSERT_EQ(r1.status, 200);
  EXPECT_EQ(r1.header("x-ratelimit-limit"), "3000");
  EXPECT_EQ(r1.header("x-burstlimit-limit"), "200");  // sandbox account
  EXPECT_FALSE(r1.header("x-ratelimit-remaining").empty());
  EXPECT_FALSE(r1.header("x-ratelimit-reset").empty());
  EXPECT_FALSE(r1.header("x-burstlimit-remaining").empty());
  EXPECT_EQ(bearer(d, "/v1/accounts/" + w().account("production"), tokens->access_token, missing).status, 404);
  EXPECT_EQ(bearer(d, "/v1/users/me", tokens->access_token, me).status, 200);
  EXPECT_EQ(bearer(d, "/oauth/userinfo", tokens->access_token, info).status, 200);
  EXPECT_EQ(bearer(d, "/v1/users/me", "cs_at_not-a-real-token-at-all-00000000000000000", bad_token).status, 401);

  // Client endpoints: a good introspection, a refused grant (client authenticated), and a wrong
  // client secret (not attributable: never recorded).
  std::string introspect = unique_id("introspect"), bad_grant = unique_id("badgrant"), bad_secret = unique_id("badsecret");
  auto form = [&](const std::map<std::string, std::string>& f, const std::string& rid) {
    return d.send("POST", "/oauth/" + std::string(f.count("token") ? "introspect" : "token"), form_body(f),
                  {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Request-Id", rid}});
  };
  auto app = w().app();
  EXPECT_EQ(form({{"token", tokens->access_token}, {"client_id", app.client_id}, {"client_secret", app.client_secret}},
                 introspect).status, 200);
  EXPECT_EQ(form({{"grant_type", "refresh_token"}, {"refresh_token", "cs_rt_unknown"}, {"client_id", app.client_id},
                  {"client_secret", app.client_secret}}, bad_grant).status, 400);
  EXPECT_EQ(form({{"grant_type", "refresh_token"}, {"refresh_token", tokens->refresh_token}, {"client_id", app.client_id},
                  {"client_secret", "cs_sk_wrong"}}, bad_secret).status, 401);

  auto calls = calls_with(d, partner, app_id, {ok, missing, me, info, introspect, bad_grant});
  for (const auto& id : {ok, missing, me, info, introspect, bad_grant}) EXPECT_EQ(by_request(calls, id).size(), 1u) << id;
  EXPECT_TRUE(by_request(calls, bad_token).empty());
  EXPECT_TRUE(by_request(calls, bad_secret).empty());

  auto c = by_request(calls, ok).at(0);
  EXPECT_EQ(c["app_id"], app_id);
  EXPECT_EQ(c["partner_org_id"], w().demo["partner"]["id"]);
  EXPECT_TRUE(c["app_version_id"].get<std::string>().rfind("apv_", 0) == 0) << c;
  EXPECT_EQ(c["account_id"], w().account("sandbox"));
  EXPECT_FALSE(c["user_id"].is_null());
  EXPECT_EQ(c["method"], "GET");
  EXPECT_EQ(c["route"], "/v1/accounts/{id}");
  EXPECT_EQ(c["status"], 200);
  EXPECT_TRUE(c["error_code"].is_null());
  EXPECT_EQ(c["auth"], false);
  EXPECT_EQ(c["client_ip"], "127.0.0.1");
  EXPECT_EQ(c["user_agent"], "calllog-test/1");
  EXPECT_GT(c["bytes_out"].get<std::int64_t>(), 0);
  EXPECT_GE(c["latency_us"].get<std::int64_t>(), 0);
  EXPECT_TRUE(c["id"].get<std::string>().rfind("call_", 0) == 0);
  auto m = by_request(calls, missing).at(0);
  EXPECT_EQ(m["status"], 404);
  EXPECT_EQ(m["error_code"], "not_found");
  EXPECT_EQ(by_request(calls, info).at(0)["auth"], true);
  EXPECT_EQ(by_request(calls, info).at(0)["route"], "/oauth/userinfo");
  EXPECT_EQ(by_request(calls, introspect).at(0)["auth"], true);
  auto g = by_request(calls, bad_grant).at(0);
  EXPECT_EQ(g["auth"], true);
  EXPECT_EQ(g["status"], 400);
  EXPECT_EQ(g["error_code"], "invalid_grant");
  EXPECT_EQ(by_request(calls, me).at(0)["auth"], false);

  // The review functions see the same calls: today's happy path holds the 2xx non-auth ones.
  std::string today = c["at"].get<std::string>().substr(0, 10);
  auto happy = d.get("/v1/apps/" + app_id + "/calls/happy-path?date=" + today + "&time_zone=UTC", {{"Cookie", partner.header()}});
  ASSERT_EQ(happy.status, 200) << happy.body;
  EXPECT_GE(happy.json()["found"].get<int>(), 2);
  auto happy_body = happy.json();
  for (const auto& h : happy_body["calls"]) {
    EXPECT_EQ(h["auth"], false);
    EXPECT_EQ(h["status"].get<int>() / 100, 2);
  }
  EXPECT_TRUE(happy.json()["shortfall"].is_object());  // fewer than 20 calls so far
  auto behaviour = d.get("/v1/apps/" + app_id + "/calls/behaviour?from=" + today + "T00:00:00Z&to=" +
                             format_rfc3339(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::system_clock::now().time_since_epoch()).count() + 60'000'000),
                         {{"Cookie", partner.header()}});
  ASSERT_EQ(behaviour.status, 200) << behaviour.body;
  EXPECT_GE(behaviour.json()["total"].get<int>(), 6);
  EXPECT_GE(behaviour.json()["auth_calls"].get<int>(), 3);
}

TEST_F(CallLogApiTest, OtherOrgsAppsAreNotFoundAndBadFiltersAreProblems) {
  auto d = driver();
  auto partner = d.sign_in(w().email("partner_developer"), w().password("partner_developer"));
  auto app_id = demo_app_id(d, partner, w().app().client_id);
  auto rival = d.sign_in("rival@initech.example", w().rival_password);
  for (const char* suffix : {"/calls", "/calls/summary", "/calls/export", "/calls/happy-path?date=2026-03-02",
                             "/calls/behaviour?from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z", "/rate-limits"}) {
    auto r = d.get("/v1/apps/" + app_id + suffix, {{"Cookie", rival.header()}});
    EXPECT_EQ(r.status, 404) << suffix << " " << r.body;
    EXPECT_EQ(r.json()["code"], "not_found");
  }
  EXPECT_EQ(d.get("/v1/apps/" + app_id + "/calls").status, 401);  // no session at all

  auto expect_bad = [&](const std::string& query, const std::string& field, long status = 400) {
    auto r = d.get("/v1/apps/" + app_id + query, {{"Cookie", partner.header()}});
    EXPECT_EQ(r.status, status) << query << " " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_EQ(r.json()["field"], field) << query;
  };
  expect_bad("/calls?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from");
  expect_bad("/calls?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to");
  expect_bad("/calls?from=yesterday", "from");
  expect_bad("/calls?route=/v1/nowhere", "route");
  expect_bad("/calls?route=/login", "route");
  expect_bad("/calls?status_class=7xx", "status_class");
  expect_bad("/calls?cursor=not-a-cursor", "cursor");
  expect_bad("/calls?limit=0", "limit");
  expect_bad("/calls/export?format=xml", "format");
  expect_bad("/calls/export?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to");
  expect_bad("/calls/happy-path?date=2026-02-30", "date", 422);
  expect_bad("/calls/happy-path?date=2026-03-02&time_zone=Nowhere/Special", "time_zone", 422);
  expect_bad("/calls/behaviour?from=2026-03-02T00:00:00Z", "to");
  auto ok = d.get("/v1/apps/" + app_id + "/calls?route=/v1/accounts/{id}&status_class=2xx", {{"Cookie", partner.header()}});
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(CallLogApiTest, ExportsStreamEveryCallAsJsonLinesAndCsv) {
  auto d = driver();
  auto admin = d.sign_in(w().email("sandbox_admin"), w().password("sandbox_admin"));
  auto tokens = d.obtain_tokens(admin, w().app(), w().account("sandbox"), "account:read user:read");
  ASSERT_TRUE(tokens);
  std::set<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    auto id = unique_id("export");
    ids.insert(id);
    ASSERT_EQ(bearer(d, "/v1/users/me", tokens->access_token, id).status, 200);
  }
  auto partner = d.sign_in(w().email("partner_developer"), w().password("partner_developer"));
  auto app_id = demo_app_id(d, partner, w().app().client_id);
  auto listed = calls_with(d, partner, app_id, ids);

  auto jsonl = d.get("/v1/apps/" + app_id + "/calls/export?format=jsonl", {{"Cookie", partner.header()}});
  ASSERT_EQ(jsonl.status, 200);
  EXPECT_EQ(jsonl.header("transfer-encoding"), "chunked");
  EXPECT_EQ(jsonl.header("content-type"), "application/x-ndjson");
  std::istringstream lines(jsonl.body);
  std::size_t n = 0;
  std::set<std::string> exported;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    exported.insert(nlohmann::json::parse(line)["request_id"].get<std::string>());
  }
  EXPECT_GE(n, listed.size());  // later calls (the listing's own are not app calls) may add more
  for (const auto& id : ids) EXPECT_TRUE(exported.count(id)) << id;

  auto csv = d.get("/v1/apps/" + app_id + "/calls/export?format=csv", {{"Cookie", partner.header()}});
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("id,at,request_id,app_id", 0), 0u);
  for (const auto& id : ids) EXPECT_NE(csv.body.find("," + id + ","), std::string::npos) << id;
}

TEST_F(CallLogApiTest, OnlyStaffChangeRateLimitsAndBadBodiesAreRefused) {
  auto d = driver();
  auto partner = d.sign_in(w().email("partner_admin"), w().password("partner_admin"));
  auto app_id = demo_app_id(d, partner, w().app().client_id);
  nlohmann::json body = {{"hourly", 9000}, {"burst_production", 900}, {"burst_sandbox", 300}};
  auto put = [&](CookieJar& jar, const std::string& text) {
    return d.send("PUT", "/v1/apps/" + app_id + "/rate-limits", text,
                  {{"Content-Type", "application/json"}, {"Cookie", jar.header()}, {"X-CSRF-Token", d.session_csrf(jar)}});
  };
  auto refused = put(partner, body.dump());
  EXPECT_EQ(refused.status, 403) << refused.body;
  auto staff = d.sign_in(w().email("operator"), w().password("operator"));
  auto bad = put(staff, R"({"hourly": 0, "burst_production": 1, "burst_sandbox": 1})");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.json()["field"], "hourly");
  EXPECT_EQ(put(staff, R"({"hourly": 5, "burst_production": 1, "burst_sandbox": 1, "extra": 1})").status, 422);
  EXPECT_EQ(put(staff, "{not json").status, 400);
  auto saved = put(staff, body.dump());
  ASSERT_EQ(saved.status, 200) << saved.body;
  auto read = d.get("/v1/apps/" + app_id + "/rate-limits", {{"Cookie", partner.header()}});
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.json()["hourly"], 9000);
  EXPECT_EQ(read.json()["burst_sandbox"], 300);
}

// Small limits: the 429 comes at exactly the configured count.
class CallLogLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    world_ = new CallLogWorld({{"COUNTERSIGN_RATELIMIT_HOURLY", "7"},
                               {"COUNTERSIGN_RATELIMIT_BURST_SANDBOX", "3"},
                               {"COUNTERSIGN_RATELIMIT_BURST_PRODUCTION", "100"}});
  }
  static void TearDownTestSuite() { delete world_; }
  static inline CallLogWorld* world_ = nullptr;
};

// Waits until at least `margin` seconds remain in the current window of `length` seconds, so a
// sequence of calls is not split by a window boundary (windows are aligned to the clock).
void avoid_window_edge(int length, int margin) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto into = std::chrono::duration_cast<std::chrono::milliseconds>(now).count() % (length * 1000);
  if (length * 1000 - into < margin * 1000) std::this_thread::sleep_for(std::chrono::milliseconds(length * 1000 - into + 50));
}

TEST_F(CallLogLimitsTest, BurstThenHourlyLimitAnswer429AtTheExactCount) {
  auto& w = *world_;
  OAuthDriver d(*w.server);
  auto admin = d.sign_in(w.email("sandbox_admin"), w.password("sandbox_admin"));
  auto tokens = d.obtain_tokens(admin, w.app(), w.account("sandbox"), "account:read user:read");
  ASSERT_TRUE(tokens);
  avoid_window_edge(3600, 180);
  avoid_window_edge(30, 10);
  for (int i = 1; i <= 3; ++i) {
    auto r = bearer(d, "/v1/users/me", tokens->access_token, unique_id("burst"));
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(r.header("x-burstlimit-limit"), "3");
    EXPECT_EQ(r.header("x-burstlimit-remaining"), std::to_string(3 - i));
    EXPECT_EQ(r.header("x-ratelimit-limit"), "7");
    EXPECT_EQ(r.header("x-ratelimit-remaining"), std::to_string(7 - i));
  }
  std::string limited = unique_id("limited");
  auto over = bearer(d, "/v1/users/me", tokens->access_token, limited);
  ASSERT_EQ(over.status, 429) << over.body;
  EXPECT_EQ(over.json()["code"], "rate_limited");
  int retry = std::stoi(over.header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 30);
  EXPECT_EQ(over.header("x-burstlimit-remaining"), "0");
  EXPECT_EQ(over.header("x-ratelimit-remaining"), "4");  // the refused call was not counted

  // The next burst window admits again until the hour's 7 are used.
  std::this_thread::sleep_for(std::chrono::seconds(retry));
  for (int i = 4; i <= 6; ++i) ASSERT_EQ(bearer(d, "/v1/users/me", tokens->access_token, unique_id("h")).status, 200) << i;
  std::this_thread::sleep_for(std::chrono::seconds(30));
  auto seventh = bearer(d, "/v1/users/me", tokens->access_token, unique_id("h"));
  ASSERT_EQ(seventh.status, 200);
  EXPECT_EQ(seventh.header("x-ratelimit-remaining"), "0");
  auto eighth = bearer(d, "/v1/users/me", tokens->access_token, unique_id("h"));
  ASSERT_EQ(eighth.status, 429);
  EXPECT_GT(std::stoi(eighth.header("retry-after")), 30);  // until the top of the hour

  // The 429s are in the log too.
  auto partner = d.sign_in(w.email("partner_developer"), w.password("partner_developer"));
  auto app_id = demo_app_id(d, partner, w.app().client_id);
  auto calls = calls_with(d, partner, app_id, {limited});
  auto c = by_request(calls, limited);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["status"], 429);
  EXPECT_EQ(c[0]["error_code"], "rate_limited");
}

// SIGTERM during a burst: every call whose response a client received is in the log after the
// server exits (the writer drains its queue before exit).
TEST(CallLogShutdownTest, NothingIsLostOnGracefulShutdownUnderLoad) {
  crypto::init();
  CallLogWorld w({{"COUNTERSIGN_RATELIMIT_HOURLY", "1000000"}, {"COUNTERSIGN_RATELIMIT_BURST_SANDBOX", "1000000"}});
  OAuthDriver d(*w.server);
  auto admin = d.sign_in(w.email("sandbox_admin"), w.password("sandbox_admin"));
  auto tokens = d.obtain_tokens(admin, w.app(), w.account("sandbox"), "account:read user:read");
  ASSERT_TRUE(tokens);
  std::mutex mu;
  std::set<std::string> answered;
  std::atomic<int> total{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto id = unique_id("load");
        HttpResponse r;
        try {
          r = bearer(d, "/v1/users/me", tokens->access_token, id);
        } catch (const std::exception&) {
          return;  // the server closed the connection or is gone: no answer, nothing to find
        }
        if (r.status == 200) {  // not a 503 refused at the door during shutdown (never attributed)
          std::lock_guard lock(mu);
          answered.insert(id);
        }
        ++total;
      }
    });
  }
  while (total.load() < 300) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  w.server->signal(SIGTERM);
  for (auto& c : clients) c.join();
  EXPECT_EQ(w.server->wait(), 0);
  ASSERT_GE(answered.size(), 300u);

  w.start();
  OAuthDriver again(*w.server);
  auto partner = again.sign_in(w.email("partner_developer"), w.password("partner_developer"));
  auto app_id = demo_app_id(again, partner, w.app().client_id);
  auto export_all = again.get("/v1/apps/" + app_id + "/calls/export?format=jsonl", {{"Cookie", partner.header()}});
  ASSERT_EQ(export_all.status, 200);
  std::map<std::string, int> seen;
  std::istringstream lines(export_all.body);
  for (std::string line; std::getline(lines, line);) ++seen[nlohmann::json::parse(line)["request_id"].get<std::string>()];
  std::size_t missing = 0;
  for (const auto& id : answered) {
    if (seen[id] != 1) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << answered.size() << " answered calls";
}

// calllog.record = false (benchmarks only): calls are still served, attributed and counted
// against the rate limits, but none is written, and the server warns once at start. The same
// calls with the default are recorded.
TEST(CallLogRecordSettingTest, FalseRecordsNoCallsTheDefaultRecordsThem) {
  crypto::init();
  CallLogWorld w(std::map<std::string, std::string>{{"COUNTERSIGN_CALLLOG_RECORD", "false"}});
  auto warnings = [&] {
    int n = 0;
    for (const auto& line : w.server->output_lines()) n += line.find("calllog.record is false") != std::string::npos;
    return n;
  };
  EXPECT_EQ(warnings(), 1);
  OAuthDriver d(*w.server);
  auto admin = d.sign_in(w.email("sandbox_admin"), w.password("sandbox_admin"));
  auto tokens = d.obtain_tokens(admin, w.app(), w.account("sandbox"), "account:read user:read");
  ASSERT_TRUE(tokens);
  std::string api = unique_id("unrecorded-api"), info = unique_id("unrecorded-info"),
              introspect = unique_id("unrecorded-introspect");
  auto r = bearer(d, "/v1/accounts/" + w.account("sandbox"), tokens->access_token, api);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-ratelimit-limit"), "3000");  // the limits are still checked
  EXPECT_EQ(bearer(d, "/oauth/userinfo", tokens->access_token, info).status, 200);
  auto app = w.app();
  EXPECT_EQ(d.send("POST", "/oauth/introspect",
                   form_body({{"token", tokens->access_token}, {"client_id", app.client_id},
                              {"client_secret", app.client_secret}}),
                   {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Request-Id", introspect}})
                .status,
            200);
  // A graceful stop writes every call submitted before it (CallLogShutdownTest): whatever the
  // first server recorded is in the database once it has exited.
  w.server->signal(SIGTERM);
  ASSERT_EQ(w.server->wait(), 0);

  w.restart({});
  EXPECT_EQ(warnings(), 0);
  OAuthDriver again(*w.server);
  std::string recorded = unique_id("recorded-api");
  ASSERT_EQ(bearer(again, "/v1/accounts/" + w.account("sandbox"), tokens->access_token, recorded).status, 200);
  auto partner = again.sign_in(w.email("partner_developer"), w.password("partner_developer"));
  auto app_id = demo_app_id(again, partner, app.client_id);
  auto calls = calls_with(again, partner, app_id, {recorded});
  EXPECT_EQ(by_request(calls, recorded).size(), 1u);
  for (const auto& id : {api, info, introspect}) EXPECT_TRUE(by_request(calls, id).empty()) << id;
  // Nothing at all from the first server: not even the token endpoint calls of the sign-in.
  EXPECT_EQ(calls.size(), 1u);
}

}  // namespace
}  // namespace cs::testing
