// /v1/webhooks over real HTTP against the real binary (issue 4 §4): CRUD with the secret shown
// once, tenant isolation by account AND app, bad input as problem+json with nothing written, the
// SSRF guard of a server that does not allow private targets, and the secret never stored in
// plaintext.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include "oauth_client.hpp"

namespace cs::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

class WebhooksApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    dir_ = new TempDir();
    data_ = (dir_->path() / "data").string();
    demo_ = cli({"demo", "seed"});
    auto second = cli({"admin", "create-account", "--name", "Globex Lab", "--environment", "sandbox"});
    second_account_ = second["id"];
    cli({"admin", "grant-role", "--user", demo_["users"]["sandbox_admin"]["email"].get<std::string>(), "--role", "admin",
         "--account", second_account_});
    server_ = new ServerProcess({dir_->path() / "data", {}, {}, {{"COUNTERSIGN_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true"}}});

    OAuthDriver d(*server_);
    auto admin = d.sign_in(demo_["users"]["sandbox_admin"]["email"], demo_["users"]["sandbox_admin"]["password"]);
    ClientApp demo_app{demo_["app"]["client_id"], demo_["app"]["client_secret"], demo_["app"]["redirect_uri"]};
    std::string sandbox = demo_["accounts"]["sandbox"]["id"];
    token_ = d.obtain_tokens(admin, demo_app, sandbox, "account:read webhook:manage").value().access_token;
    other_account_token_ = d.obtain_tokens(admin, demo_app, second_account_, "webhook:manage").value().access_token;
    no_scope_token_ = d.obtain_tokens(admin, demo_app, sandbox, "account:read").value().access_token;

    // A second app of the same partner, connected to the same account.
    auto dev = d.sign_in(demo_["users"]["partner_developer"]["email"], demo_["users"]["partner_developer"]["password"]);
    auto csrf = d.session_csrf(dev);
    nlohmann::json app = {{"name", "Second Connector"}, {"client_type", "confidential"},
                          {"redirect_uris", {"https://second.example/cb"}}, {"scopes", {"webhook:manage"}}};
    auto created = d.send("POST", "/v1/apps", app.dump(),
                          {{"Cookie", dev.header()}, {"X-CSRF-Token", csrf}, {"Content-Type", "application/json"}});
    if (created.status != 201) throw std::runtime_error("second app: " + created.body);
    ClientApp second_app{created.json()["client_id"], created.json()["client_secret"], "https://second.example/cb"};
    other_app_token_ = d.obtain_tokens(admin, second_app, sandbox, "webhook:manage").value().access_token;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static nlohmann::json cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--json", "--data-dir", data_});
    auto r = run_cli(args);
    if (r.exit_code != 0) throw std::runtime_error("countersign " + args[0] + ": " + r.err);
    return r.json();
  }

  static HttpResponse call(const std::string& token, const std::string& method, const std::string& path,
                           const std::string& body = {}, const ServerProcess* server = nullptr) {
    Headers h{{"Authorization", "Bearer " + token}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return OAuthDriver(server ? *server : *server_).send(method, path, body, h);
  }

  static void expect_problem(const HttpResponse& r, long status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    ASSERT_FALSE(r.body.empty());
    EXPECT_EQ(r.json()["code"], code) << r.body;
  }

  static std::string subscribe(const std::string& url = "http://127.0.0.1:9/hook") {
    auto r = call(token_, "POST", "/v1/webhooks", nlohmann::json{{"url", url}, {"events", {"*"}}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("id", "");
  }

  static std::size_t count(const std::string& token) { return call(token, "GET", "/v1/webhooks").json()["data"].size(); }

  static inline TempDir* dir_ = nullptr;
  static inline std::string data_, second_account_, token_, other_account_token_, other_app_token_, no_scope_token_;
  static inline nlohmann::json demo_;
  static inline ServerProcess* server_ = nullptr;
};

TEST_F(WebhooksApiTest, CreateShowsTheSecretOnceThenReadUpdateRotateDelete) {
  auto r = call(token_, "POST", "/v1/webhooks",
                nlohmann::json{{"url", "http://127.0.0.1:9/hook"}, {"events", {"envelope.completed"}}, {"description", "CRM"}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  auto created = r.json();
  std::string id = created["id"];
  EXPECT_EQ(r.header("location"), "/v1/webhooks/" + id);
  std::string secret = created["secret"];
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_EQ(crypto::base64_decode(secret.substr(6))->size(), 32u);
  EXPECT_EQ(created["account_id"], demo_["accounts"]["sandbox"]["id"]);
  EXPECT_TRUE(created["enabled"].get<bool>());

  auto got = call(token_, "GET", "/v1/webhooks/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_FALSE(got.json().contains("secret"));
  EXPECT_EQ(got.body.find(secret), std::string::npos);
  EXPECT_EQ(got.json()["events"], nlohmann::json({"envelope.completed"}));

  auto patched = call(token_, "PATCH", "/v1/webhooks/" + id, R"({"events": ["*"], "enabled": false})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_FALSE(patched.json()["enabled"].get<bool>());
  EXPECT_EQ(patched.json()["disabled_reason"], "by_request");

  auto rotated = call(token_, "POST", "/v1/webhooks/" + id + "/rotate-secret");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(rotated.json()["secret"], secret);
  EXPECT_TRUE(rotated.json()["previous_secret_expires_at"].is_string());

  auto log = call(token_, "GET", "/v1/webhooks/" + id + "/deliveries?limit=10");
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_TRUE(log.json()["data"].empty());
  EXPECT_TRUE(log.json()["next_cursor"].is_null());
  expect_problem(call(token_, "POST", "/v1/webhooks/" + id + "/deliveries/msg_nope/retry"), 404, "not_found");

  EXPECT_EQ(call(token_, "DELETE", "/v1/webhooks/" + id).status, 204);
  expect_problem(call(token_, "GET", "/v1/webhooks/" + id), 404, "not_found");
}

TEST_F(WebhooksApiTest, AnotherAppOrAccountGets404) {
  std::string id = subscribe();
  for (const auto& stranger : {other_account_token_, other_app_token_}) {
    expect_problem(call(stranger, "GET", "/v1/webhooks/" + id), 404, "not_found");
    expect_problem(call(stranger, "PATCH", "/v1/webhooks/" + id, R"({"enabled": false})"), 404, "not_found");
    expect_problem(call(stranger, "POST", "/v1/webhooks/" + id + "/rotate-secret"), 404, "not_found");
    expect_problem(call(stranger, "GET", "/v1/webhooks/" + id + "/deliveries"), 404, "not_found");
    expect_problem(call(stranger, "POST", "/v1/webhooks/" + id + "/deliveries/msg_x/retry"), 404, "not_found");
    expect_problem(call(stranger, "DELETE", "/v1/webhooks/" + id), 404, "not_found");
    auto list = call(stranger, "GET", "/v1/webhooks");
    ASSERT_EQ(list.status, 200);
    for (const auto& s : list.json()["data"]) EXPECT_NE(s["id"], id);
  }
  EXPECT_TRUE(call(token_, "GET", "/v1/webhooks/" + id).json()["enabled"].get<bool>());
}

TEST_F(WebhooksApiTest, BadInputIsAProblemAndWritesNothing) {
  std::size_t before = count(token_);
  expect_problem(call(token_, "POST", "/v1/webhooks", "{not json"), 400, "malformed_json");
  expect_problem(call(token_, "POST", "/v1/webhooks", R"({"url": "http://127.0.0.1:9/", "events": ["*"], "secret": "x"})"), 422,
                 "unknown_field");
  expect_problem(call(token_, "POST", "/v1/webhooks", R"({"url": "http://127.0.0.1:9/"})"), 422, "validation_failed");
  expect_problem(call(token_, "POST", "/v1/webhooks", R"({"url": "http://127.0.0.1:9/", "events": ["envelope.created"]})"), 422,
                 "validation_failed");
  expect_problem(call(token_, "POST", "/v1/webhooks", R"({"url": 42, "events": ["*"]})"), 422, "validation_failed");
  expect_problem(call(token_, "POST", "/v1/webhooks", R"({"url": "ftp://127.0.0.1/x", "events": ["*"]})"), 422, "url_not_allowed");
  expect_problem(call(token_, "POST", "/v1/webhooks", "[]"), 400, "invalid_request");
  expect_problem(call(no_scope_token_, "POST", "/v1/webhooks", R"({"url": "http://127.0.0.1:9/", "events": ["*"]})"), 403,
                 "insufficient_scope");
  expect_problem(call("cs_at_not-a-token", "GET", "/v1/webhooks"), 401, "invalid_token");
  expect_problem(call(token_, "GET", "/v1/webhooks?limit=0"), 400, "invalid_request");
  std::string id = subscribe();
  expect_problem(call(token_, "GET", "/v1/webhooks/" + id + "/deliveries?status=lost"), 400, "invalid_request");
  expect_problem(call(token_, "GET", "/v1/webhooks/" + id + "/deliveries?cursor=msg_nope"), 400, "invalid_request");
  expect_problem(call(token_, "PATCH", "/v1/webhooks/" + id, R"({"enabled": "yes"})"), 422, "validation_failed");
  expect_problem(call(token_, "GET", "/v1/webhooks/whk_unknown"), 404, "not_found");
  EXPECT_EQ(count(token_), before + 1);
}

TEST_F(WebhooksApiTest, AServerThatDoesNotAllowPrivateTargetsRefusesThem) {
  // A second server on the same data, with the default (strict) setting.
  ServerProcess strict({dir_->path() / "data", {}, {}, {}});
  for (auto url : {"https://127.0.0.1/hook", "https://localhost/hook", "https://10.0.0.8/hook", "https://169.254.169.254/",
                   "https://[::1]/hook", "https://[::ffff:192.168.1.1]/hook", "http://93.184.216.34/hook"}) {
    auto r = call(token_, "POST", "/v1/webhooks", nlohmann::json{{"url", url}, {"events", {"*"}}}.dump(), &strict);
    expect_problem(r, 422, "url_not_allowed");
  }
}

TEST_F(WebhooksApiTest, TheSecretIsNeverStoredInPlaintext) {
  auto r = call(token_, "POST", "/v1/webhooks", nlohmann::json{{"url", "http://127.0.0.1:9/p"}, {"events", {"*"}}}.dump());
  ASSERT_EQ(r.status, 201);
  std::string key_part = r.json()["secret"].get<std::string>().substr(6);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_->path() / "data" / "countersign.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::string found;
  auto scan = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sql;
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        auto text = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        if (text && std::string(text).find(key_part) != std::string::npos) found += sql;
      }
    }
    sqlite3_finalize(st);
  };
  scan("SELECT * FROM webhook_subscriptions");
  scan("SELECT * FROM audit_log");
  scan("SELECT * FROM jobs");
  sqlite3_close(db);
  EXPECT_TRUE(found.empty()) << found;
}

}  // namespace
}  // namespace cs::testing
