// Trace capture end to end (issue 5 §3) against the real server: a partner starts a capture, the
// app makes real calls with real OAuth tokens, the capture stops at its count, HAR and JSON
// exports stream the redacted exchanges, and no token or secret of the run is found in the
// exports or anywhere in the database. Also the tenancy and bad-input refusals of the routes, and
// two call-log gaps over real HTTP: the polling rule on GET /v1/envelopes/{id} (record and reject
// mode) and 403 insufficient_scope refusals recorded with their app.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "esign/sample_pdf.hpp"
#include "oauth_client.hpp"

namespace cs::testing {
namespace {

using nlohmann::json;

// The demo seed plus another partner org with its own admin, and a server with `env`.
class TraceWorld {
 public:
  explicit TraceWorld(std::map<std::string, std::string> env) {
    auto data = (dir_.path() / "data").string();
    auto cli = [&](std::vector<std::string> args) {
      args.insert(args.end(), {"--json", "--data-dir", data});
      auto r = run_cli(args);
      if (r.exit_code != 0) throw std::runtime_error("countersign " + args[0] + ": " + r.err);
      // The JSON document is the output's last line: log lines may precede it.
      auto out = r.out;
      while (!out.empty() && out.back() == '\n') out.pop_back();
      auto nl = out.rfind('\n');
      return json::parse(nl == std::string::npos ? out : out.substr(nl + 1));
    };
    demo = cli({"demo", "seed"});
    auto rival_org = cli({"admin", "create-partner", "--name", "Initech Apps"});
    auto rival =
        cli({"admin", "create-user", "--email", "rival@initech.example", "--name", "Rival Admin"});
    rival_password = rival["password"];
    cli({"admin", "grant-role", "--user", "rival@initech.example", "--role", "partner_admin",
         "--partner", rival_org["id"].get<std::string>()});
    server = std::make_unique<ServerProcess>(
        ServerProcess::Options{dir_.path() / "data", {}, {}, std::move(env)});
  }

  std::string email(const char* who) const { return demo["users"][who]["email"]; }
  std::string password(const char* who) const { return demo["users"][who]["password"]; }
  std::string account(const char* env) const { return demo["accounts"][env]["id"]; }
  ClientApp app() const {
    return {demo["app"]["client_id"], demo["app"]["client_secret"], demo["app"]["redirect_uri"]};
  }
  std::filesystem::path db_file() const { return dir_.path() / "data/countersign.db"; }
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }

 private:
  TempDir dir_;  // declared before the server: removed after it stopped

 public:
  json demo;
  std::string rival_password;
  std::unique_ptr<ServerProcess> server;
};

std::string unique_id(const std::string& prefix) {
  static std::atomic<int> n{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

std::string demo_app_id(OAuthDriver& d, CookieJar& partner, const std::string& client_id) {
  auto r = d.get("/v1/apps", {{"Cookie", partner.header()}});
  EXPECT_EQ(r.status, 200) << r.body;
  auto body = r.json();
  for (const auto& a : body["data"]) {
    if (a["client_id"] == client_id) return a["id"];
  }
  ADD_FAILURE() << "demo app not listed";
  return {};
}

void expect_problem(const HttpResponse& r, long status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
  if (!r.body.empty() && r.body.front() == '{') {
    EXPECT_EQ(r.json().value("code", ""), code) << r.body;
  }
}

// Every text column of every row of the tables that hold traces and calls, concatenated.
std::string dump_tables(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::string out;
  for (const char* table : {"trace_entries", "trace_captures", "api_calls", "audit_log"}) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(
        sqlite3_prepare_v2(db, (std::string("SELECT * FROM ") + table).c_str(), -1, &st, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        if (auto* text = sqlite3_column_text(st, i))
          out += reinterpret_cast<const char*>(text) + std::string("\n");
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

// The calls of the app in the call log, once every id in `expected` is there (bounded wait: the
// writer is asynchronous).
std::vector<json> calls_with(OAuthDriver& d, CookieJar& partner, const std::string& app_id,
                             const std::set<std::string>& expected) {
  std::vector<json> calls;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto r = d.get("/v1/apps/" + app_id + "/calls?limit=1000", {{"Cookie", partner.header()}});
    EXPECT_EQ(r.status, 200) << r.body;
    calls.clear();
    std::set<std::string> have;
    auto body = r.json();  // named: a temporary's subscript would dangle in the loop
    for (const auto& c : body["data"]) {
      calls.push_back(c);
      have.insert(c["request_id"].get<std::string>());
    }
    if (std::includes(have.begin(), have.end(), expected.begin(), expected.end())) return calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return calls;
}

// A draft envelope as the envelope API takes it (the shape of envelopes_api_test.cpp).
json make_envelope(const std::string& subject) {
  auto pdf = esign::sample_pdf(subject);
  return {{"email_subject", subject},
          {"status", "created"},
          {"documents",
           {{{"ref", "c"},
             {"name", "contract.pdf"},
             {"content_base64", crypto::base64_encode(crypto::as_bytes(pdf))}}}},
          {"recipients",
           {{{"ref", "1"},
             {"name", "Alice Able"},
             {"email", "alice@example.com"},
             {"routing_order", 1}}}},
          {"fields",
           {{{"document", "c"},
             {"recipient", "1"},
             {"type", "signature"},
             {"page", 1},
             {"x", 72},
             {"y", 600},
             {"width", 200},
             {"height", 40}}}}};
}

json call_of(const std::vector<json>& calls, const std::string& request_id) {
  for (const auto& c : calls) {
    if (c["request_id"] == request_id) return c;
  }
  ADD_FAILURE() << "no call " << request_id;
  return json::object();
}

class TraceCaptureApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    world_ = new TraceWorld({});
  }
  static void TearDownTestSuite() { delete world_; }
  static TraceWorld& w() { return *world_; }
  static OAuthDriver driver() { return OAuthDriver(*w().server); }

  static HttpResponse console(OAuthDriver& d, CookieJar& jar, const std::string& method,
                              const std::string& path, const std::string& body = {},
                              bool with_csrf = true) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Cookie", jar.header()}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    if (with_csrf && method != "GET") headers.emplace_back("X-CSRF-Token", d.session_csrf(jar));
    return d.send(method, path, body, headers);
  }

  static inline TraceWorld* world_ = nullptr;
};

TEST_F(TraceCaptureApiTest, CapturesRealCallsUpToItsCountAndExportsThemWithoutSecrets) {
  auto d = driver();
  auto partner = d.sign_in(w().email("partner_developer"), w().password("partner_developer"));
  auto app_id = demo_app_id(d, partner, w().app().client_id);
  const std::string base = "/v1/apps/" + app_id;

  // The app's token comes first: the code exchange is an app call too, and is not part of this run.
  auto admin = d.sign_in(w().email("sandbox_admin"), w().password("sandbox_admin"));
  auto app = w().app();
  auto tokens =
      d.obtain_tokens(admin, app, w().account("sandbox"),
                      "account:read user:read offline_access envelope:read envelope:write");
  ASSERT_TRUE(tokens);

  auto idle = console(d, partner, "GET", base + "/trace-capture");
  ASSERT_EQ(idle.status, 200) << idle.body;
  EXPECT_EQ(idle.json()["active"], false);

  auto started = console(d, partner, "POST", base + "/trace-capture",
                         R"({"duration_minutes": 30, "max_requests": 4})");
  ASSERT_EQ(started.status, 201) << started.body;
  auto capture = started.json();
  const std::string capture_id = capture["id"];
  EXPECT_EQ(capture_id.rfind("trc_", 0), 0u);
  EXPECT_EQ(capture["active"], true);
  EXPECT_EQ(capture["max_requests"], 4);
  EXPECT_EQ(capture["captured"], 0);
  expect_problem(console(d, partner, "POST", base + "/trace-capture", "{}"), 409, "conflict");

  // The app's real calls: a refresh with client_secret_post, an account read, an envelope
  // created, and its status read with the token also in the query string.
  std::vector<std::string> secrets = {tokens->access_token, tokens->refresh_token,
                                      app.client_secret};
  auto refreshed =
      d.refresh(app, tokens->refresh_token);  // captured: POST /oauth/token (auth call)
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  std::string access = refreshed.json()["access_token"],
              refresh = refreshed.json()["refresh_token"];
  secrets.push_back(access);
  secrets.push_back(refresh);
  auto bearer = [&](const std::string& method, const std::string& path,
                    const std::string& body = {}) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Authorization", "Bearer " + access}, {"Cookie", "partner_session=also-secret"}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return d.send(method, path, body, h);
  };
  ASSERT_EQ(bearer("GET", "/v1/accounts/" + w().account("sandbox")).status, 200);
  auto created = bearer("POST", "/v1/envelopes", make_envelope("Trace me").dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string envelope_id = created.json()["id"];
  ASSERT_EQ(bearer("GET", "/v1/envelopes/" + envelope_id + "?access_token=" + access).status, 200);
  // The exchanges reach the capture after their responses were written: wait (bounded) until the
  // four are stored.
  HttpResponse har_res;
  for (int attempt = 0; attempt < 100; ++attempt) {
    har_res =
        console(d, partner, "GET", base + "/trace-captures/" + capture_id + "/export?format=har");
    ASSERT_EQ(har_res.status, 200) << har_res.body;
    if (json::parse(har_res.body)["log"]["entries"].size() >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto status = console(d, partner, "GET", base + "/trace-capture");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.json()["active"], false) << status.body;  // full
  // Over the count: not captured.
  ASSERT_EQ(bearer("GET", "/v1/users/me").status, 200);

  EXPECT_EQ(har_res.header("content-disposition"),
            "attachment; filename=\"" + capture_id + ".har\"");
  auto har = json::parse(har_res.body);
  EXPECT_EQ(har["log"]["version"], "1.2");
  ASSERT_EQ(har["log"]["entries"].size(), 4u) << har_res.body.substr(0, 2000);
  // The capture orders entries as they were handed over; the calls' own order is their start.
  auto entries = har["log"]["entries"];
  std::sort(entries.begin(), entries.end(), [](const json& a, const json& b) {
    return a["startedDateTime"].get<std::string>() < b["startedDateTime"].get<std::string>();
  });
  EXPECT_EQ(entries[0]["request"]["method"], "POST");
  EXPECT_EQ(entries[0]["request"]["url"], w().server->base_url() + "/oauth/token");
  EXPECT_EQ(entries[1]["request"]["url"],
            w().server->base_url() + "/v1/accounts/" + w().account("sandbox"));
  EXPECT_EQ(entries[1]["response"]["status"], 200);
  EXPECT_EQ(json::parse(entries[1]["response"]["content"]["text"].get<std::string>())["id"],
            w().account("sandbox"));
  EXPECT_EQ(entries[2]["request"]["method"], "POST");
  EXPECT_EQ(entries[2]["response"]["status"], 201);
  auto request_body = json::parse(entries[2]["request"]["postData"]["text"].get<std::string>());
  EXPECT_EQ(request_body["email_subject"], "Trace me");  // bodies are kept, only secrets go
  EXPECT_EQ(entries[3]["request"]["url"], w().server->base_url() + "/v1/envelopes/" + envelope_id +
                                              "?access_token=%5BREDACTED%5D");
  bool saw_authorization = false;
  for (const auto& h : entries[3]["request"]["headers"]) {
    if (h["name"] == "Authorization") {
      saw_authorization = true;
      EXPECT_EQ(h["value"], "Bearer [REDACTED]");
    }
    if (h["name"] == "Cookie") {
      EXPECT_EQ(h["value"], "partner_session=[REDACTED]");
    }
  }
  EXPECT_TRUE(saw_authorization);

  auto json_res =
      console(d, partner, "GET", base + "/trace-captures/" + capture_id + "/export?format=json");
  ASSERT_EQ(json_res.status, 200) << json_res.body;
  har_res =
      console(d, partner, "GET", base + "/trace-captures/" + capture_id + "/export?format=har");
  EXPECT_EQ(json::parse(har_res.body)["log"]["entries"].size(),
            4u);  // the fifth call was not captured
  auto doc = json::parse(json_res.body);
  EXPECT_EQ(doc["capture"]["captured"], 4);
  ASSERT_EQ(doc["entries"].size(), 4u);
  EXPECT_EQ(doc["entries"][3]["response"]["status"], 200);

  auto list = console(d, partner, "GET", base + "/trace-captures");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json()["data"][0]["id"], capture_id);
  EXPECT_EQ(list.json()["data"][0]["captured"], 4);

  // No token or secret used in this run anywhere: exports, trace tables, call log, audit log.
  auto stored = dump_tables(w().db_file());
  for (const auto& secret : secrets) {
    EXPECT_EQ(har_res.body.find(secret), std::string::npos);
    EXPECT_EQ(json_res.body.find(secret), std::string::npos);
    EXPECT_EQ(stored.find(secret), std::string::npos);
  }
  EXPECT_EQ(stored.find("also-secret"), std::string::npos);
  EXPECT_NE(stored.find("[REDACTED]"), std::string::npos);  // the trace tables were read

  // A new capture can start once the full one is over; stopping it twice is 404 the second time.
  ASSERT_EQ(console(d, partner, "POST", base + "/trace-capture", R"({"max_requests": 1})").status,
            201);
  auto stopped = console(d, partner, "DELETE", base + "/trace-capture");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(stopped.json()["active"], false);
  EXPECT_FALSE(stopped.json()["stopped_at"].is_null());
  expect_problem(console(d, partner, "DELETE", base + "/trace-capture"), 404, "not_found");
}

TEST_F(TraceCaptureApiTest, OtherTenantsStaffAndBadInput) {
  auto d = driver();
  auto partner = d.sign_in(w().email("partner_developer"), w().password("partner_developer"));
  auto app_id = demo_app_id(d, partner, w().app().client_id);
  const std::string base = "/v1/apps/" + app_id;

  // Bad input: every refusal is a problem and nothing starts.
  auto bad = [&](const std::string& body, long status, const std::string& code,
                 const std::string& field = {}) {
    auto r = console(d, partner, "POST", base + "/trace-capture", body);
    expect_problem(r, status, code);
    if (!field.empty() && r.status == status) {
      EXPECT_EQ(r.json().value("field", ""), field) << r.body;
    }
  };
  bad(R"({"duration_minutes": 1441})", 422, "validation_failed", "duration_minutes");
  bad(R"({"duration_minutes": 0})", 422, "validation_failed", "duration_minutes");
  bad(R"({"max_requests": 0})", 422, "validation_failed", "max_requests");
  bad(R"({"max_requests": 1001})", 422, "validation_failed", "max_requests");
  bad(R"({"max_requests": "ten"})", 422, "validation_failed", "max_requests");
  bad(R"({"forever": true})", 422, "unknown_field");
  bad("{not json", 400, "malformed_json");
  expect_problem(console(d, partner, "POST", base + "/trace-capture", "{}", false), 403,
                 "csrf_failed");
  expect_problem(
      d.send("POST", base + "/trace-capture", "{}", {{"Content-Type", "application/json"}}), 401,
      "unauthenticated");
  auto none = console(d, partner, "GET", base + "/trace-capture");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.json()["active"], false) << none.body;

  auto started = console(d, partner, "POST", base + "/trace-capture", R"({"duration_minutes": 5})");
  ASSERT_EQ(started.status, 201) << started.body;
  std::string capture_id = started.json()["id"];
  EXPECT_EQ(started.json()["max_requests"], 50);  // the default
  expect_problem(
      console(d, partner, "GET", base + "/trace-captures/" + capture_id + "/export?format=xml"),
      400, "invalid_request");
  expect_problem(console(d, partner, "GET", base + "/trace-captures/trc_unknown/export"), 404,
                 "not_found");

  // Another org's admin: the app does not exist for them.
  auto rival = d.sign_in("rival@initech.example", w().rival_password);
  expect_problem(console(d, rival, "GET", base + "/trace-capture"), 404, "not_found");
  expect_problem(console(d, rival, "POST", base + "/trace-capture", "{}"), 404, "not_found");
  expect_problem(console(d, rival, "DELETE", base + "/trace-capture"), 404, "not_found");
  expect_problem(console(d, rival, "GET", base + "/trace-captures"), 404, "not_found");
  expect_problem(console(d, rival, "GET", base + "/trace-captures/" + capture_id + "/export"), 404,
                 "not_found");

  // Staff read any app's captures but do not start or stop them.
  auto staff =
      d.sign_in(w().email("certification_engineer"), w().password("certification_engineer"));
  auto staff_list = console(d, staff, "GET", base + "/trace-captures");
  ASSERT_EQ(staff_list.status, 200) << staff_list.body;
  EXPECT_EQ(staff_list.json()["data"][0]["id"], capture_id);
  EXPECT_EQ(console(d, staff, "GET", base + "/trace-captures/" + capture_id + "/export").status,
            200);
  expect_problem(console(d, staff, "DELETE", base + "/trace-capture"), 403, "forbidden");

  ASSERT_EQ(console(d, partner, "DELETE", base + "/trace-capture").status, 200);
}

// Gap 1 (record mode, the default): the second status read of an envelope within 15 minutes is
// served and flagged on the call.
TEST_F(TraceCaptureApiTest, PollingRuleFlagsTheSecondStatusReadOverHttp) {
  auto d = driver();
  auto admin = d.sign_in(w().email("sandbox_admin"), w().password("sandbox_admin"));
  auto tokens =
      d.obtain_tokens(admin, w().app(), w().account("sandbox"), "envelope:read envelope:write");
  ASSERT_TRUE(tokens);
  auto call = [&](const std::string& method, const std::string& path, const std::string& rid,
                  const std::string& body = {}) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Authorization", "Bearer " + tokens->access_token}, {"X-Request-Id", rid}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return d.send(method, path, body, h);
  };
  auto created =
      call("POST", "/v1/envelopes", unique_id("create"), make_envelope("Poll me").dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.json()["id"];
  std::string first = unique_id("poll1"), second = unique_id("poll2"), list = unique_id("list");
  ASSERT_EQ(call("GET", "/v1/envelopes/" + id, first).status, 200);
  ASSERT_EQ(call("GET", "/v1/envelopes/" + id, second).status, 200);
  ASSERT_EQ(call("GET", "/v1/envelopes", list).status, 200);  // a list is not a status read

  auto partner = d.sign_in(w().email("partner_developer"), w().password("partner_developer"));
  auto app_id = demo_app_id(d, partner, w().app().client_id);
  auto calls = calls_with(d, partner, app_id, {first, second, list});
  EXPECT_EQ(call_of(calls, first)["polling_violation"], false);
  EXPECT_EQ(call_of(calls, second)["polling_violation"], true);
  EXPECT_EQ(call_of(calls, second)["resource_id"], id);
  EXPECT_EQ(call_of(calls, list)["polling_violation"], false);
}

// Gap 2: a token that verified but lacks the route's scope is refused 403 insufficient_scope, and
// the refusal is in the app's call log with its attribution.
TEST_F(TraceCaptureApiTest, InsufficientScopeRefusalsAreRecordedWithTheirApp) {
  auto d = driver();
  auto admin = d.sign_in(w().email("sandbox_admin"), w().password("sandbox_admin"));
  auto tokens = d.obtain_tokens(admin, w().app(), w().account("sandbox"), "account:read");
  ASSERT_TRUE(tokens);
  std::string rid = unique_id("scope");
  auto r = d.get("/v1/envelopes",
                 {{"Authorization", "Bearer " + tokens->access_token}, {"X-Request-Id", rid}});
  expect_problem(r, 403, "insufficient_scope");
  auto partner = d.sign_in(w().email("partner_developer"), w().password("partner_developer"));
  auto app_id = demo_app_id(d, partner, w().app().client_id);
  auto c = call_of(calls_with(d, partner, app_id, {rid}), rid);
  EXPECT_EQ(c["app_id"], app_id);
  EXPECT_EQ(c["status"], 403);
  EXPECT_EQ(c["error_code"], "insufficient_scope");
  EXPECT_EQ(c["account_id"], w().account("sandbox"));
  EXPECT_EQ(c["partner_org_id"], w().demo["partner"]["id"]);
  EXPECT_EQ(c["route"], "/v1/envelopes");
}

// Sets the app's current version's certification through the test-only tool the OAuth browser
// test uses (tests/e2e/certify_app_tool.cpp); the product has no such shortcut.
void set_certification(const std::filesystem::path& data_dir, const std::string& app_id,
                       const std::string& status) {
  const char* bin = std::getenv("CS_BINARY_DIR");
  ASSERT_NE(bin, nullptr);
  std::string cmd = std::string(bin) + "/tests/e2e/cs_e2e_certify_app --data-dir '" +
                    data_dir.string() + "' --app-id " + app_id + " --status " + status +
                    " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// Gap 2: a token whose app loses its certification is refused 403 app_not_certified on a
// production account, and the refusal is in that app's call log.
TEST_F(TraceCaptureApiTest, AppNotCertifiedRefusalsAreRecordedWithTheirApp) {
  auto d = driver();
  auto partner = d.sign_in(w().email("partner_developer"), w().password("partner_developer"));
  json body = {{"name", "Certified Connector"},
               {"description", "Reads the account"},
               {"client_type", "confidential"},
               {"redirect_uris", {"https://certified.example/cb"}},
               {"scopes", {"account:read"}},
               {"functions", {"track"}},
               {"documentation_url", "https://certified.example/docs"}};
  auto created = console(d, partner, "POST", "/v1/apps", body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string app_id = created.json()["id"];
  ClientApp app{created.json()["client_id"], created.json()["client_secret"],
                "https://certified.example/cb"};
  set_certification(w().data_dir(), app_id, "certified");
  auto admin = d.sign_in(w().email("production_admin"), w().password("production_admin"));
  auto tokens = d.obtain_tokens(admin, app, w().account("production"), "account:read");
  ASSERT_TRUE(tokens);
  const std::string path = "/v1/accounts/" + w().account("production");
  ASSERT_EQ(d.bearer_get(path, tokens->access_token).status, 200);

  set_certification(w().data_dir(), app_id, "in_certification");
  // Written by another process: this server sees it within its verification cache TTL (1 s).
  std::string rid;
  HttpResponse refused;
  for (int attempt = 0; attempt < 50; ++attempt) {
    rid = unique_id("uncertified");
    refused =
        d.get(path, {{"Authorization", "Bearer " + tokens->access_token}, {"X-Request-Id", rid}});
    if (refused.status == 403) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  expect_problem(refused, 403, "app_not_certified");
  auto c = call_of(calls_with(d, partner, app_id, {rid}), rid);
  EXPECT_EQ(c["app_id"], app_id);
  EXPECT_EQ(c["status"], 403);
  EXPECT_EQ(c["error_code"], "app_not_certified");
  EXPECT_EQ(c["account_id"], w().account("production"));
  EXPECT_EQ(c["route"], "/v1/accounts/{id}");
}

// Gap 1 (reject mode): the second read is 400 polling_limit_exceeded with Retry-After.
TEST(TracePollingRejectTest, SecondStatusReadIsRefusedWithRetryAfter) {
  crypto::init();
  TraceWorld world(
      std::map<std::string, std::string>{{"COUNTERSIGN_POLLING_ENFORCEMENT", "reject"}});
  OAuthDriver d(*world.server);
  auto admin = d.sign_in(world.email("sandbox_admin"), world.password("sandbox_admin"));
  auto tokens =
      d.obtain_tokens(admin, world.app(), world.account("sandbox"), "envelope:read envelope:write");
  ASSERT_TRUE(tokens);
  std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + tokens->access_token}};
  auto envelope = make_envelope("Poll me");
  auto headers = auth;
  headers.emplace_back("Content-Type", "application/json");
  auto created = d.send("POST", "/v1/envelopes", envelope.dump(), headers);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.json()["id"];
  ASSERT_EQ(d.get("/v1/envelopes/" + id, auth).status, 200);
  auto refused = d.get("/v1/envelopes/" + id, auth);
  expect_problem(refused, 400, "polling_limit_exceeded");
  auto retry = std::stoi(refused.header("retry-after"));
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 15 * 60);
  // Another envelope's status is its own.
  auto other = d.send("POST", "/v1/envelopes", envelope.dump(), headers);
  ASSERT_EQ(other.status, 201);
  EXPECT_EQ(d.get("/v1/envelopes/" + other.json()["id"].get<std::string>(), auth).status, 200);
}

}  // namespace
}  // namespace cs::testing
