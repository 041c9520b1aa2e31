// The requirements catalogue, the public directory and partner listing edits over real HTTP
// (issue 6 §1, §7). Certified listings are covered on both backends by directory_store_test
// (there is no product shortcut to certify an app over HTTP).
#include <gtest/gtest.h>

#include "oauth_client.hpp"

namespace cs::testing {
namespace {

class DirectoryApiTest : public ::testing::Test {
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
  Console console(const std::string& email, const std::string& password) {
    OAuthDriver d(*w().server);
    Console c{d.sign_in(email, password), {}};
    c.csrf = d.session_csrf(c.jar);
    return c;
  }
  Console developer() { return console(w().email("partner_developer"), w().password("partner_developer")); }

  HttpResponse call(const Console& c, const std::string& method, const std::string& path,
                    const std::string& body = {}) {
    std::vector<std::pair<std::string, std::string>> h{{"Cookie", c.jar.header()}, {"X-CSRF-Token", c.csrf}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return OAuthDriver(*w().server).send(method, path, body, h);
  }
  HttpResponse get(const std::string& path) { return http_get(w().server->base_url() + path); }

  static void expect_problem(const HttpResponse& r, long status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    ASSERT_FALSE(r.body.empty());
    EXPECT_EQ(r.json()["code"], code) << r.body;
  }

  std::string create_app(const Console& dev, const std::string& name) {
    nlohmann::json app = {{"name", name},
                          {"description", "Sends contracts"},
                          {"client_type", "confidential"},
                          {"redirect_uris", {"https://crm.example/oauth/callback"}},
                          {"scopes", {"account:read", "envelope:send"}},
                          {"functions", {"send", "track"}}};
    auto r = call(dev, "POST", "/v1/apps", app.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["id"];
  }

  static inline OAuthWorld* world_ = nullptr;
};

TEST_F(DirectoryApiTest, RequirementsCatalogueIsPublicAndFiltersByFunction) {
  auto all = get("/v1/certification/requirements");
  ASSERT_EQ(all.status, 200) << all.body;
  auto j = all.json();
  EXPECT_EQ(j["version"], "2026.1");
  EXPECT_TRUE(j["current"].get<bool>());
  auto has = [](const nlohmann::json& doc, const std::string& id) {
    for (const auto& r : doc["requirements"])
      if (r["id"] == id) return true;
    return false;
  };
  EXPECT_TRUE(has(j, "OAUTH-1"));
  EXPECT_TRUE(has(j, "API-3"));  // polling: applies to apps that track
  auto send_only = get("/v1/certification/requirements?functions=send").json();
  EXPECT_FALSE(has(send_only, "API-3"));
  EXPECT_TRUE(has(send_only, "OAUTH-1"));
  EXPECT_TRUE(has(get("/v1/certification/requirements?functions=send,track").json(), "API-3"));
  expect_problem(get("/v1/certification/requirements?version=1999.1"), 404, "not_found");
  expect_problem(get("/v1/certification/requirements?functions=teleport"), 400, "invalid_request");
  EXPECT_EQ(get("/v1/certification/requirements?version=2026.1").status, 200);

  auto page = get("/certification/requirements?functions=send");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("OAUTH-1"), std::string::npos);
  EXPECT_EQ(page.body.find("req-API-3"), std::string::npos);
  EXPECT_EQ(get("/certification/requirements?version=nope").status, 404);
}

TEST_F(DirectoryApiTest, UncertifiedAppsNeverAppearInTheDirectory) {
  auto dev = developer();
  auto id = create_app(dev, "Uncertified Connector");
  auto list = get("/v1/directory/apps");
  ASSERT_EQ(list.status, 200) << list.body;
  for (const auto& e : list.json()["data"]) EXPECT_NE(e["id"], id);
  expect_problem(get("/v1/directory/apps/" + id), 404, "not_found");
  EXPECT_EQ(get("/directory/apps/" + id).status, 404);
  auto page = get("/directory");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("Uncertified Connector"), std::string::npos);
  expect_problem(get("/v1/directory/apps?limit=0"), 400, "invalid_request");
  expect_problem(get("/v1/directory/apps?function=teleport"), 400, "invalid_request");
  expect_problem(get("/v1/directory/apps?cursor=app_nope"), 400, "invalid_request");
}

TEST_F(DirectoryApiTest, PartnerEditsTheListingOthersCannot) {
  auto dev = developer();
  auto id = create_app(dev, "Listed Later");
  nlohmann::json listing = {{"description", "Our listing"},
                            {"connect_url", "https://crm.example/connect"},
                            {"collateral", {{{"label", "Guide"}, {"url", "https://crm.example/guide"}}}},
                            {"categories", {"CRM"}}};
  auto put = call(dev, "PUT", "/v1/apps/" + id + "/listing", listing.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["listed"], false);
  EXPECT_EQ(put.json()["categories"], nlohmann::json({"crm"}));
  auto read = call(dev, "GET", "/v1/apps/" + id + "/listing");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.json()["connect_url"], "https://crm.example/connect");

  // Bad input: each a problem, nothing changed.
  expect_problem(call(dev, "PUT", "/v1/apps/" + id + "/listing", "{not json"), 400, "malformed_json");
  expect_problem(call(dev, "PUT", "/v1/apps/" + id + "/listing", R"({"connect_url": "http://crm.example/c"})"), 422,
                 "validation_failed");
  expect_problem(call(dev, "PUT", "/v1/apps/" + id + "/listing", R"({"colour": "red"})"), 422, "unknown_field");
  expect_problem(call(dev, "PUT", "/v1/apps/" + id + "/listing", R"({"collateral": [{"label": 1}]})"), 422,
                 "validation_failed");
  EXPECT_EQ(call(dev, "GET", "/v1/apps/" + id + "/listing").json()["description"], "Our listing");

  // No CSRF header: refused.
  auto no_csrf = OAuthDriver(*w().server)
                     .send("PUT", "/v1/apps/" + id + "/listing", listing.dump(),
                           {{"Cookie", dev.jar.header()}, {"Content-Type", "application/json"}});
  expect_problem(no_csrf, 403, "csrf_failed");
  // Another partner org: 404, exactly like an unknown app.
  auto rival = console("rival@initech.example", w().rival_password);
  expect_problem(call(rival, "GET", "/v1/apps/" + id + "/listing"), 404, "not_found");
  expect_problem(call(rival, "PUT", "/v1/apps/" + id + "/listing", listing.dump()), 404, "not_found");
  // Anonymous: 401.
  expect_problem(get("/v1/apps/" + id + "/listing"), 401, "unauthenticated");
}

}  // namespace
}  // namespace cs::testing
