// /v1/apps over real HTTP (issue 3 §1): partner members manage their org's apps from the
// console session, staff read, other tenants see nothing; strict JSON; secrets shown once.
#include <gtest/gtest.h>

#include "oauth_client.hpp"

namespace cs::testing {
namespace {

class AppsApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    world_ = new OAuthWorld();
  }
  static void TearDownTestSuite() { delete world_; }

  static OAuthWorld& w() { return *world_; }

  struct Console {
    CookieJar jar;
    std::string csrf;
  };
  Console console(const char* who) {
    OAuthDriver d(*w().server);
    Console c{d.sign_in(w().email(who), w().password(who)), {}};
    c.csrf = d.session_csrf(c.jar);
    return c;
  }
  Console rival() {
    OAuthDriver d(*w().server);
    Console c{d.sign_in("rival@initech.example", w().rival_password), {}};
    c.csrf = d.session_csrf(c.jar);
    return c;
  }

  HttpResponse call(const Console& c, const std::string& method, const std::string& path, const std::string& body = {},
                    const std::string& type = "application/json") {
    std::vector<std::pair<std::string, std::string>> h{{"Cookie", c.jar.header()}, {"X-CSRF-Token", c.csrf}};
    if (!body.empty()) h.emplace_back("Content-Type", type);
    return OAuthDriver(*w().server).send(method, path, body, h);
  }

  static nlohmann::json new_app(const std::string& name) {
    return {{"name", name},
            {"description", "Sends contracts from the CRM"},
            {"client_type", "confidential"},
            {"redirect_uris", {"https://crm.example/oauth/callback"}},
            {"scopes", {"account:read", "envelope:send"}},
            {"functions", {"send", "track"}},
            {"documentation_url", "https://crm.example/docs"}};
  }

  static void expect_problem(const HttpResponse& r, long status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    ASSERT_FALSE(r.body.empty());
    EXPECT_EQ(r.json()["code"], code) << r.body;
  }

  std::size_t app_count(const Console& c) { return call(c, "GET", "/v1/apps?limit=100").json()["data"].size(); }

  static inline OAuthWorld* world_ = nullptr;
};

TEST_F(AppsApiTest, PartnerMembersCreateReadUpdateRotateAndDisable) {
  auto dev = console("partner_developer");
  auto created = call(dev, "POST", "/v1/apps", new_app("CRM Connector").dump());
  ASSERT_EQ(created.status, 201) << created.body;
  auto app = created.json();
  std::string id = app["id"];
  EXPECT_EQ(created.header("location"), "/v1/apps/" + id);
  EXPECT_EQ(app["client_id"].get<std::string>().rfind("ik_", 0), 0u);
  EXPECT_EQ(app["client_secret"].get<std::string>().rfind("cs_sk_", 0), 0u);
  EXPECT_EQ(app["partner_org_id"], w().demo["partner"]["id"]);
  EXPECT_EQ(app["current_version"]["certification"], "uncertified");
  EXPECT_EQ(app["current_version"]["scopes"], nlohmann::json({"account:read", "envelope:send"}));
  EXPECT_TRUE(app["certified_version"].is_null());
  EXPECT_TRUE(app["pending_version"].is_null());

  // The secret is shown once: reads never carry it.
  auto read = call(dev, "GET", "/v1/apps/" + id);
  ASSERT_EQ(read.status, 200);
  EXPECT_FALSE(read.json().contains("client_secret"));
  EXPECT_EQ(read.json()["name"], "CRM Connector");
  auto list = call(dev, "GET", "/v1/apps");
  ASSERT_EQ(list.status, 200);
  bool listed = false;
  auto listing = list.json();  // a named value: a range-for over a temporary's member dangles
  for (const auto& a : listing["data"]) listed |= a["id"] == id;
  EXPECT_TRUE(listed) << list.body;

  // An uncertified version is edited in place.
  auto patched = call(dev, "PATCH", "/v1/apps/" + id,
                      R"({"name":"CRM Connector 2","scopes":["account:read","envelope:send","envelope:read"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["name"], "CRM Connector 2");
  EXPECT_EQ(patched.json()["current_version"]["number"], 1);
  EXPECT_EQ(patched.json()["current_version"]["scopes"].size(), 3u);

  // Rotation: a new secret once; at most two active.
  auto s1 = call(dev, "POST", "/v1/apps/" + id + "/secrets");
  ASSERT_EQ(s1.status, 201) << s1.body;
  EXPECT_EQ(s1.json()["client_secret"].get<std::string>().rfind("cs_sk_", 0), 0u);
  auto s2 = call(dev, "POST", "/v1/apps/" + id + "/secrets");
  ASSERT_EQ(s2.status, 201);
  auto secrets = call(dev, "GET", "/v1/apps/" + id + "/secrets");
  ASSERT_EQ(secrets.status, 200);
  EXPECT_EQ(secrets.json()["data"].size(), 2u);
  auto secret_list = secrets.json();
  for (const auto& s : secret_list["data"]) EXPECT_FALSE(s.contains("client_secret"));
  std::string secret_id = s1.json()["id"];
  EXPECT_EQ(call(dev, "DELETE", "/v1/apps/" + id + "/secrets/" + secret_id).status, 204);
  EXPECT_EQ(call(dev, "GET", "/v1/apps/" + id + "/secrets").json()["data"].size(), 1u);
  expect_problem(call(dev, "DELETE", "/v1/apps/" + id + "/secrets/sec_unknown"), 404, "not_found");

  auto grants = call(dev, "GET", "/v1/apps/" + id + "/grants");
  ASSERT_EQ(grants.status, 200);
  EXPECT_TRUE(grants.json()["data"].is_array());

  auto disabled = call(dev, "POST", "/v1/apps/" + id + "/disable");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_EQ(disabled.json()["status"], "disabled");
}

TEST_F(AppsApiTest, DisablingAnAppKillsItsTokensAndItsClientAuthentication) {
  auto dev = console("partner_developer");
  auto body = new_app("Short Lived");
  body["redirect_uris"] = {"http://127.0.0.1:8777/cb"};
  body["scopes"] = {"account:read"};
  auto created = call(dev, "POST", "/v1/apps", body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  ClientApp app{created.json()["client_id"], created.json()["client_secret"], "http://127.0.0.1:8777/cb"};

  OAuthDriver d(*w().server);
  auto user = d.sign_in(w().email("sandbox_admin"), w().password("sandbox_admin"));
  auto tokens = d.obtain_tokens(user, app, w().account("sandbox"), "account:read");
  ASSERT_TRUE(tokens);
  ASSERT_EQ(d.bearer_get("/v1/accounts/" + w().account("sandbox"), tokens->access_token).status, 200);
  auto grants = call(dev, "GET", "/v1/apps/" + created.json()["id"].get<std::string>() + "/grants");
  ASSERT_EQ(grants.json()["data"].size(), 1u);
  EXPECT_EQ(grants.json()["data"][0]["account_id"], w().account("sandbox"));

  ASSERT_EQ(call(dev, "POST", "/v1/apps/" + created.json()["id"].get<std::string>() + "/disable").status, 200);
  EXPECT_EQ(d.bearer_get("/v1/accounts/" + w().account("sandbox"), tokens->access_token).status, 401);
  auto token = d.client_post("/oauth/introspect", app, {{"token", tokens->access_token}});
  EXPECT_EQ(token.status, 401);
  EXPECT_EQ(token.json()["error"], "invalid_client");
}

TEST_F(AppsApiTest, BadInputIsRefusedAndWritesNothing) {
  auto dev = console("partner_developer");
  auto before = app_count(dev);
  expect_problem(call(dev, "POST", "/v1/apps", R"({"name":"x",)"), 400, "malformed_json");
  expect_problem(call(dev, "POST", "/v1/apps", "[1,2]"), 400, "invalid_request");
  expect_problem(call(dev, "POST", "/v1/apps", new_app("Form").dump(), "text/plain"), 415, "unsupported_media_type");

  auto wrong_type = new_app("Typed");
  wrong_type["name"] = 42;
  auto r = call(dev, "POST", "/v1/apps", wrong_type.dump());
  expect_problem(r, 422, "validation_failed");
  EXPECT_EQ(r.json()["field"], "name");
  auto wrong_list = new_app("Typed");
  wrong_list["scopes"] = {"account:read", 7};
  r = call(dev, "POST", "/v1/apps", wrong_list.dump());
  expect_problem(r, 422, "validation_failed");
  EXPECT_EQ(r.json()["field"], "scopes/1");
  auto wrong_client = new_app("Typed");
  wrong_client["client_type"] = "hybrid";
  expect_problem(call(dev, "POST", "/v1/apps", wrong_client.dump()), 422, "validation_failed");
  auto unknown = new_app("Unknown");
  unknown["certified"] = true;  // nobody certifies an app through this API
  r = call(dev, "POST", "/v1/apps", unknown.dump());
  expect_problem(r, 422, "unknown_field");

  auto open_redirect = new_app("Open Redirect");
  open_redirect["redirect_uris"] = {"http://evil.example/cb"};
  expect_problem(call(dev, "POST", "/v1/apps", open_redirect.dump()), 422, "validation_failed");
  auto wildcard = new_app("Wildcard");
  wildcard["redirect_uris"] = {"https://*.crm.example/cb"};
  expect_problem(call(dev, "POST", "/v1/apps", wildcard.dump()), 422, "validation_failed");
  auto bad_scope = new_app("Bad Scope");
  bad_scope["scopes"] = {"admin:everything"};
  expect_problem(call(dev, "POST", "/v1/apps", bad_scope.dump()), 422, "validation_failed");

  auto huge = new_app("Huge");
  huge["description"] = std::string(70 * 1024, 'x');
  EXPECT_EQ(call(dev, "POST", "/v1/apps", huge.dump()).status, 413);

  // The console's cookie alone changes nothing: CSRF header required.
  auto no_csrf = dev;
  no_csrf.csrf.clear();
  expect_problem(call(no_csrf, "POST", "/v1/apps", new_app("No CSRF").dump()), 403, "csrf_failed");
  expect_problem(OAuthDriver(*w().server).send("POST", "/v1/apps", new_app("Anon").dump(),
                                               {{"Content-Type", "application/json"}}),
                 401, "unauthenticated");
  EXPECT_EQ(app_count(dev), before) << "no failed request created an app";

  expect_problem(call(dev, "GET", "/v1/apps/app_doesnotexist"), 404, "not_found");
  expect_problem(call(dev, "PATCH", "/v1/apps/app_doesnotexist", R"({"name":"x"})"), 404, "not_found");
  expect_problem(call(dev, "GET", "/v1/apps?limit=0"), 400, "invalid_request");
  expect_problem(call(dev, "GET", "/v1/apps?cursor=app_nope"), 400, "invalid_request");
}

TEST_F(AppsApiTest, OtherTenantsSeeNothingAndStaffOnlyRead) {
  auto dev = console("partner_developer");
  auto created = call(dev, "POST", "/v1/apps", new_app("Private App").dump());
  ASSERT_EQ(created.status, 201);
  std::string id = created.json()["id"];

  auto other = rival();
  expect_problem(call(other, "GET", "/v1/apps/" + id), 404, "not_found");
  expect_problem(call(other, "PATCH", "/v1/apps/" + id, R"({"name":"Mine now"})"), 404, "not_found");
  expect_problem(call(other, "POST", "/v1/apps/" + id + "/secrets"), 404, "not_found");
  expect_problem(call(other, "GET", "/v1/apps/" + id + "/grants"), 404, "not_found");
  expect_problem(call(other, "POST", "/v1/apps/" + id + "/disable"), 404, "not_found");
  auto theirs = call(other, "GET", "/v1/apps").json();
  EXPECT_TRUE(theirs["data"].is_array());
  for (const auto& a : theirs["data"]) EXPECT_NE(a["id"], id);
  // Naming another org explicitly does not help either.
  auto foreign = new_app("Squatter");
  foreign["partner_org_id"] = w().demo["partner"]["id"];
  auto squat = call(other, "POST", "/v1/apps", foreign.dump());
  EXPECT_TRUE(squat.status == 403 || squat.status == 404) << squat.body;

  auto customer = console("production_admin");
  expect_problem(call(customer, "GET", "/v1/apps/" + id), 404, "not_found");

  auto staff = console("certification_engineer");
  auto read = call(staff, "GET", "/v1/apps/" + id);
  EXPECT_EQ(read.status, 200) << read.body;
  auto write = call(staff, "PATCH", "/v1/apps/" + id, R"({"name":"Staff edit"})");
  EXPECT_EQ(write.status, 403) << write.body;
  EXPECT_EQ(call(dev, "GET", "/v1/apps/" + id).json()["name"], "Private App");
}

}  // namespace
}  // namespace cs::testing
