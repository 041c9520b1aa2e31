// The OAuth 2.0 endpoints and the bearer-protected API over real HTTP (issue 3 §2-§4): the code
// flow with PKCE through the real consent page, refresh rotation and reuse detection, code
// replay, revocation, introspection, every RFC error, and the access rule on every call.
#include <gtest/gtest.h>

#include "oauth_client.hpp"

namespace cs::testing {
namespace {

class OAuthApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    world_ = new OAuthWorld();
  }
  static void TearDownTestSuite() { delete world_; }

  static OAuthWorld& w() { return *world_; }
  static OAuthDriver driver() { return OAuthDriver(*w().server); }
  static CookieJar sign_in(const char* who) { return driver().sign_in(w().email(who), w().password(who)); }

  // A second confidential app of the demo partner, registered through the API.
  static ClientApp register_app(const std::string& name, const std::string& type, const std::string& redirect) {
    auto d = driver();
    auto jar = sign_in("partner_developer");
    nlohmann::json body = {{"name", name},
                           {"client_type", type},
                           {"redirect_uris", {redirect}},
                           {"scopes", {"account:read", "user:read", "offline_access"}}};
    auto r = d.send("POST", "/v1/apps", body.dump(),
                    {{"Content-Type", "application/json"}, {"Cookie", jar.header()}, {"X-CSRF-Token", d.session_csrf(jar)}});
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    return {j["client_id"], j["client_secret"].is_string() ? j["client_secret"].get<std::string>() : "", redirect};
  }

  static void expect_oauth_error(const HttpResponse& r, long status, const std::string& error) {
    EXPECT_EQ(r.status, status) << r.body;
    ASSERT_FALSE(r.body.empty());
    EXPECT_EQ(r.json()["error"], error) << r.body;
    EXPECT_TRUE(r.json()["error_description"].is_string());
    EXPECT_EQ(r.header("cache-control"), "no-store");
    EXPECT_EQ(r.header("pragma"), "no-cache");
  }

  static inline OAuthWorld* world_ = nullptr;
};

TEST_F(OAuthApiTest, ServerMetadataFollowsRfc8414) {
  auto r = driver().get("/.well-known/oauth-authorization-server");
  ASSERT_EQ(r.status, 200);
  auto m = r.json();
  std::string issuer = m["issuer"];
  // No public_url configured: the issuer is where the server actually listens (port 0 resolved).
  EXPECT_EQ(issuer, w().server->base_url());
  EXPECT_EQ(m["authorization_endpoint"], issuer + "/oauth/authorize");
  EXPECT_EQ(m["token_endpoint"], issuer + "/oauth/token");
  EXPECT_EQ(m["revocation_endpoint"], issuer + "/oauth/revoke");
  EXPECT_EQ(m["introspection_endpoint"], issuer + "/oauth/introspect");
  EXPECT_EQ(m["userinfo_endpoint"], issuer + "/oauth/userinfo");
  EXPECT_EQ(m["response_types_supported"], nlohmann::json({"code"}));
  EXPECT_EQ(m["grant_types_supported"], nlohmann::json({"authorization_code", "refresh_token"}));
  EXPECT_EQ(m["code_challenge_methods_supported"], nlohmann::json({"S256"}));
  EXPECT_EQ(m["token_endpoint_auth_methods_supported"],
            nlohmann::json({"client_secret_basic", "client_secret_post", "none"}));
  EXPECT_EQ(m["scopes_supported"].size(), 8u);
  EXPECT_EQ(m["scopes_supported"][0], "account:read");
}

TEST_F(OAuthApiTest, CodeFlowWithPkceRefreshRotationReuseDetectionRevokeAndIntrospect) {
  auto d = driver();
  auto app = w().demo_app();
  auto jar = sign_in("sandbox_admin");
  auto account = w().account("sandbox");
  auto pkce = make_pkce();
  auto code = d.obtain_code(jar, app, account, "account:read user:read offline_access", pkce);
  ASSERT_FALSE(code.empty());

  auto issued = d.exchange_code(app, code, pkce);
  ASSERT_EQ(issued.status, 200) << issued.body;
  EXPECT_EQ(issued.header("cache-control"), "no-store");
  auto t = issued.json();
  std::string access = t["access_token"], refresh = t["refresh_token"];
  EXPECT_EQ(access.rfind("cs_at_", 0), 0u);
  EXPECT_EQ(refresh.rfind("cs_rt_", 0), 0u);
  EXPECT_EQ(t["token_type"], "Bearer");
  EXPECT_EQ(t["expires_in"], 3600);
  EXPECT_EQ(t["account_id"], account);
  EXPECT_EQ(t["scope"], "account:read offline_access user:read");

  // The token reads its own account, not another one (404 so ids cannot be probed).
  auto own = d.bearer_get("/v1/accounts/" + account, access);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.json()["id"], account);
  EXPECT_EQ(own.json()["environment"], "sandbox");
  EXPECT_EQ(d.bearer_get("/v1/accounts/" + w().account("production"), access).status, 404);
  auto me = d.bearer_get("/v1/users/me", access);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json()["email"], w().email("sandbox_admin"));
  auto info = d.bearer_get("/oauth/userinfo", access);
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(info.json()["email"], w().email("sandbox_admin"));
  EXPECT_EQ(info.json()["account"]["id"], account);

  // Introspection by the owning client.
  auto intro = d.client_post("/oauth/introspect", app, {{"token", access}});
  ASSERT_EQ(intro.status, 200) << intro.body;
  EXPECT_TRUE(intro.json()["active"].get<bool>());
  EXPECT_EQ(intro.json()["client_id"], app.client_id);
  EXPECT_EQ(intro.json()["account_id"], account);

  // Rotation: a new refresh token each time; the old one is spent.
  auto rotated = d.refresh(app, refresh);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  std::string refresh2 = rotated.json()["refresh_token"], access2 = rotated.json()["access_token"];
  EXPECT_NE(refresh2, refresh);
  EXPECT_EQ(d.bearer_get("/v1/accounts/" + account, access2).status, 200);

  // Narrowing at refresh is fine, escalation is not.
  auto escalate = d.refresh(app, refresh2, "account:read envelope:send");
  expect_oauth_error(escalate, 400, "invalid_scope");

  // Reuse of the spent refresh token revokes the whole grant.
  expect_oauth_error(d.refresh(app, refresh), 400, "invalid_grant");
  expect_oauth_error(d.refresh(app, refresh2), 400, "invalid_grant");
  auto dead = d.bearer_get("/v1/accounts/" + account, access2);
  EXPECT_EQ(dead.status, 401);
  EXPECT_NE(dead.header("www-authenticate").find("error=\"invalid_token\""), std::string::npos);
  EXPECT_EQ(dead.json()["code"], "invalid_token");
  auto after = d.client_post("/oauth/introspect", app, {{"token", access2}});
  EXPECT_FALSE(after.json()["active"].get<bool>());
}

TEST_F(OAuthApiTest, RevocationEndsATokenAndUnknownTokensStillAnswer200) {
  auto d = driver();
  auto app = w().demo_app();
  auto jar = sign_in("sandbox_sender");
  auto tokens = d.obtain_tokens(jar, app, w().account("sandbox"), "account:read offline_access");
  ASSERT_TRUE(tokens);
  ASSERT_EQ(d.bearer_get("/v1/accounts/" + tokens->account_id, tokens->access_token).status, 200);

  auto revoked = d.client_post("/oauth/revoke", app, {{"token", tokens->access_token}, {"token_type_hint", "access_token"}});
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(d.bearer_get("/v1/accounts/" + tokens->account_id, tokens->access_token).status, 401);
  EXPECT_FALSE(d.client_post("/oauth/introspect", app, {{"token", tokens->access_token}}).json()["active"].get<bool>());

  EXPECT_EQ(d.client_post("/oauth/revoke", app, {{"token", "cs_at_never-issued"}}).status, 200);
  expect_oauth_error(d.client_post("/oauth/revoke", app, {}), 400, "invalid_request");
  auto bad_client = d.client_post("/oauth/revoke", {app.client_id, "cs_sk_wrong", app.redirect_uri}, {{"token", "x"}});
  expect_oauth_error(bad_client, 401, "invalid_client");

  // Revoking the refresh token ends it too.
  auto rt = d.client_post("/oauth/revoke", app, {{"token", tokens->refresh_token}});
  EXPECT_EQ(rt.status, 200);
  expect_oauth_error(d.refresh(app, tokens->refresh_token), 400, "invalid_grant");
}

TEST_F(OAuthApiTest, AReplayedCodeFailsAndRevokesWhatItIssued) {
  auto d = driver();
  auto app = w().demo_app();
  auto jar = sign_in("sandbox_admin");
  auto pkce = make_pkce();
  auto code = d.obtain_code(jar, app, w().account("sandbox"), "account:read", pkce);
  ASSERT_FALSE(code.empty());
  auto first = d.exchange_code(app, code, pkce);
  ASSERT_EQ(first.status, 200);
  std::string access = first.json()["access_token"];
  ASSERT_EQ(d.bearer_get("/v1/accounts/" + w().account("sandbox"), access).status, 200);

  expect_oauth_error(d.exchange_code(app, code, pkce), 400, "invalid_grant");
  EXPECT_EQ(d.bearer_get("/v1/accounts/" + w().account("sandbox"), access).status, 401)
      << "tokens issued from a replayed code are revoked";
}

TEST_F(OAuthApiTest, TokenEndpointRefusesBadRequestsWithRfc6749Errors) {
  auto d = driver();
  auto app = w().demo_app();
  auto jar = sign_in("sandbox_admin");
  auto pkce = make_pkce();
  auto code = d.obtain_code(jar, app, w().account("sandbox"), "account:read", pkce);
  ASSERT_FALSE(code.empty());
  auto basic = basic_auth(app.client_id, app.client_secret);
  std::map<std::string, std::string> good{{"grant_type", "authorization_code"}, {"code", code},
                                          {"redirect_uri", app.redirect_uri}, {"code_verifier", pkce.verifier}};

  auto json_body = d.send("POST", "/oauth/token", "{}", {{"Content-Type", "application/json"}, {"Authorization", basic}});
  expect_oauth_error(json_body, 415, "invalid_request");
  auto dup = d.send("POST", "/oauth/token", "grant_type=authorization_code&grant_type=refresh_token",
                    {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", basic}});
  expect_oauth_error(dup, 400, "invalid_request");
  expect_oauth_error(d.token({{"code", code}}, basic), 400, "invalid_request");
  expect_oauth_error(d.token({{"grant_type", "password"}}, basic), 400, "unsupported_grant_type");

  auto wrong_secret = d.token(good, basic_auth(app.client_id, "cs_sk_not-the-secret"));
  expect_oauth_error(wrong_secret, 401, "invalid_client");
  EXPECT_EQ(wrong_secret.header("www-authenticate"), "Basic realm=\"countersign\"");
  expect_oauth_error(d.token(good, basic_auth("ik_unknownclient00000000", "x")), 401, "invalid_client");
  expect_oauth_error(d.token(good), 401, "invalid_client");
  expect_oauth_error(d.token(good, "Basic !!!not-base64"), 401, "invalid_client");
  auto both = good;
  both["client_secret"] = app.client_secret;
  expect_oauth_error(d.token(both, basic), 400, "invalid_request");

  auto wrong_redirect = good;
  wrong_redirect["redirect_uri"] = "http://127.0.0.1:8765/other";
  expect_oauth_error(d.token(wrong_redirect, basic), 400, "invalid_grant");
  auto wrong_verifier = good;
  wrong_verifier["code_verifier"] = make_pkce().verifier;
  expect_oauth_error(d.token(wrong_verifier, basic), 400, "invalid_grant");

  // Another client cannot redeem this client's code.
  auto other = register_app("Code Thief", "confidential", "http://127.0.0.1:8799/cb");
  auto stolen = good;
  stolen["redirect_uri"] = other.redirect_uri;
  expect_oauth_error(d.token(stolen, basic_auth(other.client_id, other.client_secret)), 400, "invalid_grant");

  std::string huge = "grant_type=authorization_code&code=" + std::string(17 * 1024, 'a');
  auto big = d.send("POST", "/oauth/token", huge, {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", basic}});
  EXPECT_EQ(big.status, 413);

  // RFC 6749 §2.3.1: Basic credentials are form-urlencoded; an encoded client_id still matches.
  auto fresh = make_pkce();
  auto fresh_code = d.obtain_code(jar, app, w().account("sandbox"), "account:read", fresh);
  ASSERT_FALSE(fresh_code.empty());
  std::string encoded_id;
  for (char c : app.client_id) encoded_id += c == '_' ? std::string("%5F") : std::string(1, c);
  auto raw = encoded_id + ":" + app.client_secret;
  auto ok = d.token({{"grant_type", "authorization_code"}, {"code", fresh_code}, {"redirect_uri", app.redirect_uri},
                     {"code_verifier", fresh.verifier}},
                    "Basic " + crypto::base64_encode(crypto::as_bytes(raw)));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(OAuthApiTest, PublicClientsUsePkceAndNoSecret) {
  auto d = driver();
  auto app = register_app("Acme Mobile", "public", "http://127.0.0.1:8766/cb");
  ASSERT_TRUE(app.client_secret.empty());
  auto jar = sign_in("sandbox_admin");

  // A public client must send a PKCE challenge: the error goes back to its redirect URI.
  auto no_pkce = d.consent(jar, d.authorize_path(app, "account:read", "s1", std::nullopt), w().account("sandbox"));
  ASSERT_EQ(no_pkce.status, 303) << no_pkce.body;
  EXPECT_EQ(query_of(no_pkce.header("location"))["error"], "invalid_request");

  auto pkce = make_pkce();
  auto code = d.obtain_code(jar, app, w().account("sandbox"), "account:read offline_access", pkce);
  ASSERT_FALSE(code.empty());
  auto with_secret = d.token({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", app.redirect_uri},
                              {"code_verifier", pkce.verifier}, {"client_id", app.client_id}, {"client_secret", "cs_sk_x"}});
  expect_oauth_error(with_secret, 401, "invalid_client");
  auto pkce2 = make_pkce();
  auto code2 = d.obtain_code(jar, app, w().account("sandbox"), "account:read", pkce2);
  ASSERT_FALSE(code2.empty());
  auto no_verifier = d.token({{"grant_type", "authorization_code"}, {"code", code2}, {"redirect_uri", app.redirect_uri},
                              {"client_id", app.client_id}});
  EXPECT_EQ(no_verifier.status, 400) << no_verifier.body;
  EXPECT_TRUE(no_verifier.json()["error"] == "invalid_grant" || no_verifier.json()["error"] == "invalid_request")
      << no_verifier.body;

  auto ok = d.exchange_code(app, code, pkce);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_FALSE(ok.json()["refresh_token"].get<std::string>().empty());
  EXPECT_EQ(d.bearer_get("/v1/accounts/" + w().account("sandbox"), ok.json()["access_token"]).status, 200);
  EXPECT_EQ(d.refresh(app, ok.json()["refresh_token"]).status, 200);
}

TEST_F(OAuthApiTest, BearerErrorsFollowRfc6750) {
  auto d = driver();
  auto path = "/v1/accounts/" + w().account("sandbox");
  auto none = d.get(path);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"countersign\"");
  EXPECT_EQ(none.header("content-type"), "application/problem+json");

  auto forged = d.bearer_get(path, "cs_at_forged");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.json()["code"], "invalid_token");
  EXPECT_NE(forged.header("www-authenticate").find("error=\"invalid_token\""), std::string::npos);
  auto other_scheme = d.get(path, {{"Authorization", "Basic Zm9vOmJhcg=="}});
  EXPECT_EQ(other_scheme.status, 401);
  EXPECT_EQ(other_scheme.json()["code"], "invalid_token");

  auto jar = sign_in("sandbox_admin");
  auto tokens = d.obtain_tokens(jar, w().demo_app(), w().account("sandbox"), "user:read");
  ASSERT_TRUE(tokens);
  auto scope = d.bearer_get(path, tokens->access_token);
  EXPECT_EQ(scope.status, 403);
  EXPECT_EQ(scope.json()["code"], "insufficient_scope");
  EXPECT_NE(scope.header("www-authenticate").find("error=\"insufficient_scope\", scope=\"account:read\""), std::string::npos);
  EXPECT_EQ(d.bearer_get("/v1/users/me", tokens->access_token).status, 200);

  // A bad token is refused even next to a good session cookie.
  auto mixed = d.get(path, {{"Authorization", "Bearer cs_at_forged"}, {"Cookie", jar.header()}});
  EXPECT_EQ(mixed.status, 401);
  // The session alone reads the user's own account (the console).
  EXPECT_EQ(d.get(path, {{"Cookie", jar.header()}}).status, 200);
  EXPECT_EQ(d.get("/v1/accounts/" + w().account("production"), {{"Cookie", jar.header()}}).status, 404);
}

// DESIGN.md "Access rule" end to end: an uncertified app on a production account.
TEST_F(OAuthApiTest, UncertifiedAppsNeedTheAccountSettingAndLoseAccessTheMomentItIsTurnedOff) {
  auto d = driver();
  auto app = w().demo_app();
  auto production = w().account("production");
  auto admin = sign_in("production_admin");
  auto pkce = make_pkce();
  HttpResponse last;
  EXPECT_TRUE(d.obtain_code(admin, app, production, "account:read", pkce, &last).empty());
  ASSERT_EQ(last.status, 303) << last.body;
  auto denied = query_of(last.header("location"));
  EXPECT_EQ(denied["error"], "access_denied");
  EXPECT_NE(denied["error_description"].find("not certified"), std::string::npos);
  EXPECT_NE(denied["error_description"].find("Allow uncertified partner applications"), std::string::npos);

  auto settings = "/v1/accounts/" + production + "/settings/security";
  auto csrf = d.session_csrf(admin);
  std::vector<std::pair<std::string, std::string>> h{
      {"Content-Type", "application/json"}, {"Cookie", admin.header()}, {"X-CSRF-Token", csrf}};
  auto before = d.get(settings, {{"Cookie", admin.header()}});
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_FALSE(before.json()["allow_uncertified_apps"].get<bool>());

  auto on = d.send("PATCH", settings, R"({"allow_uncertified_apps":true})", h);
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_TRUE(on.json()["allow_uncertified_apps"].get<bool>());
  auto tokens = d.obtain_tokens(admin, app, production, "account:read");
  ASSERT_TRUE(tokens);
  ASSERT_EQ(d.bearer_get("/v1/accounts/" + production, tokens->access_token).status, 200);

  auto off = d.send("PATCH", settings, R"({"allow_uncertified_apps":false})", h);
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_GE(off.json()["revoked_grants"].get<int>(), 1);
  auto next = d.bearer_get("/v1/accounts/" + production, tokens->access_token);
  EXPECT_EQ(next.status, 401) << next.body;
  EXPECT_EQ(next.json()["code"], "invalid_token");

  // The partner's own production account needs no setting.
  auto owner = d.sign_in("owner@acme-integrations.example", w().owner_password);
  auto own = d.obtain_tokens(owner, app, w().own_account_id, "account:read");
  ASSERT_TRUE(own);
  EXPECT_EQ(d.bearer_get("/v1/accounts/" + w().own_account_id, own->access_token).status, 200);
}

TEST_F(OAuthApiTest, SecuritySettingsRefuseBadInputAndOtherUsers) {
  auto d = driver();
  auto production = w().account("production");
  auto settings = "/v1/accounts/" + production + "/settings/security";
  auto admin = sign_in("production_admin");
  auto csrf = d.session_csrf(admin);
  auto patch = [&](const CookieJar& jar, const std::string& body, const std::string& token,
                   const std::string& type = "application/json") {
    std::vector<std::pair<std::string, std::string>> h{{"Content-Type", type}, {"Cookie", jar.header()}};
    if (!token.empty()) h.emplace_back("X-CSRF-Token", token);
    return d.send("PATCH", settings, body, h);
  };
  auto expect_problem = [](const HttpResponse& r, long status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_EQ(r.json()["code"], code) << r.body;
  };
  expect_problem(patch(admin, R"({"allow_uncertified_apps":true})", ""), 403, "csrf_failed");
  expect_problem(patch(admin, R"({"allow_uncertified_apps":true})", "forged"), 403, "csrf_failed");
  expect_problem(patch(admin, R"({"allow_uncertified_apps":"yes"})", csrf), 422, "validation_failed");
  EXPECT_EQ(patch(admin, R"({"allow_uncertified_apps":"yes"})", csrf).json()["field"], "allow_uncertified_apps");
  expect_problem(patch(admin, R"({"allow_uncertified_apps":true,"extra":1})", csrf), 422, "unknown_field");
  expect_problem(patch(admin, R"({"allow_uncertified_apps":)", csrf), 400, "malformed_json");
  expect_problem(patch(admin, "allow_uncertified_apps=true", csrf, "application/x-www-form-urlencoded"), 415,
                 "unsupported_media_type");
  expect_problem(patch(admin, "{}", csrf), 422, "validation_failed");

  auto sender = sign_in("production_sender");
  expect_problem(patch(sender, R"({"allow_uncertified_apps":true})", d.session_csrf(sender)), 403, "forbidden");
  auto stranger = sign_in("sandbox_admin");
  expect_problem(patch(stranger, R"({"allow_uncertified_apps":true})", d.session_csrf(stranger)), 404, "not_found");
  expect_problem(d.get(settings, {{"Cookie", stranger.header()}}), 404, "not_found");
  expect_problem(d.get(settings), 401, "unauthenticated");
  // Nothing above changed the setting.
  EXPECT_FALSE(d.get(settings, {{"Cookie", admin.header()}}).json()["allow_uncertified_apps"].get<bool>());
}

// The account's date format for completed documents (issue 7): same guard as the security
// settings, and the account resource shows the choice.
TEST_F(OAuthApiTest, DocumentSettingsSetTheDateFormat) {
  auto d = driver();
  auto production = w().account("production");
  auto settings = "/v1/accounts/" + production + "/settings/documents";
  auto admin = sign_in("production_admin");
  auto csrf = d.session_csrf(admin);
  auto patch = [&](const CookieJar& jar, const std::string& body, const std::string& token) {
    std::vector<std::pair<std::string, std::string>> h{{"Content-Type", "application/json"}, {"Cookie", jar.header()}};
    if (!token.empty()) h.emplace_back("X-CSRF-Token", token);
    return d.send("PATCH", settings, body, h);
  };
  auto bad = patch(admin, R"({"date_format":"YY/M/D"})", csrf);
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.json()["field"], "date_format");
  EXPECT_EQ(patch(admin, R"({"date_format":"DD.MM.YYYY","x":1})", csrf).json()["code"], "unknown_field");
  EXPECT_EQ(patch(admin, R"({"date_format":"DD.MM.YYYY"})", "").json()["code"], "csrf_failed");
  auto sender = sign_in("production_sender");
  EXPECT_EQ(patch(sender, R"({"date_format":"DD.MM.YYYY"})", d.session_csrf(sender)).status, 403);
  auto stranger = sign_in("sandbox_admin");
  EXPECT_EQ(patch(stranger, R"({"date_format":"DD.MM.YYYY"})", d.session_csrf(stranger)).status, 404);

  auto ok = patch(admin, R"({"date_format":"DD.MM.YYYY"})", csrf);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["date_format"], "DD.MM.YYYY");
  auto account = d.get("/v1/accounts/" + production, {{"Cookie", admin.header()}});
  ASSERT_EQ(account.status, 200) << account.body;
  EXPECT_EQ(account.json()["date_format"], "DD.MM.YYYY");
}

TEST_F(OAuthApiTest, IntrospectionOfAnotherClientsTokenReadsInactive) {
  auto d = driver();
  auto jar = sign_in("sandbox_admin");
  auto tokens = d.obtain_tokens(jar, w().demo_app(), w().account("sandbox"), "account:read");
  ASSERT_TRUE(tokens);
  auto other = register_app("Snooper", "confidential", "http://127.0.0.1:8798/cb");
  auto r = d.client_post("/oauth/introspect", other, {{"token", tokens->access_token}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), nlohmann::json({{"active", false}}));
  // Nor can it revoke it.
  EXPECT_EQ(d.client_post("/oauth/revoke", other, {{"token", tokens->access_token}}).status, 200);
  EXPECT_EQ(d.bearer_get("/v1/accounts/" + w().account("sandbox"), tokens->access_token).status, 200);
  expect_oauth_error(d.client_post("/oauth/introspect", {other.client_id, "cs_sk_bad", ""}, {{"token", "x"}}), 401,
                     "invalid_client");
}

}  // namespace
}  // namespace cs::testing
