// The authorization endpoint on both backends: error page vs redirect, consent accounts, the
// access rule at approve time, codes.
#include "oauth_fixture.hpp"

namespace cs::oauth::testing {
namespace {

class AuthorizeTest : public OAuthTest {
 protected:
  void SetUp() override {
    OAuthTest::SetUp();
    app_ = create_app();
    public_app_ = create_app(ClientType::public_client);
  }

  AuthorizeError refused(const AuthorizeParams& p) {
    auto r = server_->check_authorize(p);
    EXPECT_FALSE(r);
    return r ? AuthorizeError{false, Error(Errc::internal, "accepted"), {}, {}} : r.error();
  }

  CreatedApp app_, public_app_;
};

TEST_P(AuthorizeTest, ValidRequestIsAccepted) {
  ASSERT_OK_AND_ASSIGN(
      req, server_->check_authorize(authorize_params(app_.app, "offline_access account:read")));
  EXPECT_EQ(req.app.id, app_.app.id);
  EXPECT_EQ(req.redirect_uri, kRedirect);
  EXPECT_EQ(req.state, "xyz");
  EXPECT_EQ(req.scopes, (std::vector<std::string>{"account:read", "offline_access"}));
  EXPECT_EQ(req.code_challenge_method, "S256");
  // A confidential client may skip PKCE.
  EXPECT_TRUE(server_->check_authorize(authorize_params(app_.app, "account:read", false)));
}

TEST_P(AuthorizeTest, ClientAndRedirectProblemsShowAPageAndNeverRedirect) {
  std::vector<std::pair<std::string, std::function<void(AuthorizeParams&)>>> cases = {
      {"missing client_id", [](AuthorizeParams& p) { p.query.erase("client_id"); }},
      {"empty client_id", [](AuthorizeParams& p) { p.query["client_id"] = {""}; }},
      {"unknown client_id",
       [](AuthorizeParams& p) { p.query["client_id"] = {"ik_unknownunknownunknow"}; }},
      {"duplicated client_id",
       [&](AuthorizeParams& p) { p.query["client_id"].push_back(app_.app.client_id); }},
      {"missing redirect_uri", [](AuthorizeParams& p) { p.query.erase("redirect_uri"); }},
      {"duplicated redirect_uri",
       [](AuthorizeParams& p) { p.query["redirect_uri"].push_back(kRedirect); }},
      {"open redirect",
       [](AuthorizeParams& p) { p.query["redirect_uri"] = {"https://evil.example/cb"}; }},
      {"prefix match", [](AuthorizeParams& p) { p.query["redirect_uri"] = {kRedirect + "/more"}; }},
      {"extra query", [](AuthorizeParams& p) { p.query["redirect_uri"] = {kRedirect + "?x=1"}; }},
      {"case changed",
       [](AuthorizeParams& p) { p.query["redirect_uri"] = {"https://PARTNER.example/callback"}; }},
  };
  for (const auto& [name, change] : cases) {
    auto p = authorize_params(app_.app, "account:read");
    change(p);
    auto e = refused(p);
    EXPECT_FALSE(e.redirect) << name;
    EXPECT_TRUE(e.redirect_uri.empty()) << name;
  }
  ASSERT_TRUE(apps_->disable(principal(developer_), app_.app.id, {}));
  auto e = refused(authorize_params(app_.app, "account:read"));
  EXPECT_FALSE(e.redirect);
  EXPECT_EQ(e.error.errc(), Errc::oauth_invalid_client);
}

TEST_P(AuthorizeTest, OtherProblemsRedirectWithTheRfcError) {
  struct Case {
    std::string name;
    Errc errc;
    std::function<void(AuthorizeParams&)> change;
    const CreatedApp* app;
  };
  std::vector<Case> cases = {
      {"response_type token", Errc::oauth_unsupported_response_type,
       [](AuthorizeParams& p) { p.query["response_type"] = {"token"}; }, &app_},
      {"missing response_type", Errc::invalid_request,
       [](AuthorizeParams& p) { p.query.erase("response_type"); }, &app_},
      {"unknown scope", Errc::oauth_invalid_scope,
       [](AuthorizeParams& p) { p.query["scope"] = {"account:read admin"}; }, &app_},
      {"scope beyond app", Errc::oauth_invalid_scope,
       [](AuthorizeParams& p) { p.query["scope"] = {"webhook:manage"}; }, &app_},
      {"missing scope", Errc::oauth_invalid_scope,
       [](AuthorizeParams& p) { p.query.erase("scope"); }, &app_},
      {"public without PKCE", Errc::invalid_request,
       [](AuthorizeParams& p) {
         p.query.erase("code_challenge");
         p.query.erase("code_challenge_method");
       },
       &public_app_},
      {"plain PKCE", Errc::invalid_request,
       [](AuthorizeParams& p) { p.query["code_challenge_method"] = {"plain"}; }, &public_app_},
      {"challenge without method", Errc::invalid_request,
       [](AuthorizeParams& p) { p.query.erase("code_challenge_method"); }, &public_app_},
      {"malformed challenge", Errc::invalid_request,
       [](AuthorizeParams& p) { p.query["code_challenge"] = {"short"}; }, &public_app_},
      {"duplicated scope param", Errc::invalid_request,
       [](AuthorizeParams& p) { p.query["scope"].push_back("account:read"); }, &app_},
      {"duplicated response_type", Errc::invalid_request,
       [](AuthorizeParams& p) { p.query["response_type"].push_back("code"); }, &app_},
  };
  for (const auto& c : cases) {
    auto p = authorize_params(c.app->app, "account:read");
    c.change(p);
    auto e = refused(p);
    EXPECT_TRUE(e.redirect) << c.name;
    EXPECT_EQ(e.error.errc(), c.errc) << c.name << ": " << e.error.message();
    EXPECT_EQ(e.redirect_uri, kRedirect) << c.name;
    EXPECT_EQ(e.state, "xyz") << c.name;
    auto url = error_redirect_url(e);
    EXPECT_TRUE(url.starts_with(kRedirect + "?error=" + std::string(e.error.code()))) << url;
    EXPECT_NE(url.find("&state=xyz"), std::string::npos) << url;
  }
}

TEST_P(AuthorizeTest, OversizedOrDuplicatedStateRedirectsWithoutEchoingIt) {
  auto p = authorize_params(app_.app, "account:read");
  p.query["state"] = {std::string(513, 's')};
  auto e = refused(p);
  EXPECT_TRUE(e.redirect);
  EXPECT_EQ(e.error.errc(), Errc::invalid_request);
  EXPECT_TRUE(e.state.empty());
  EXPECT_EQ(error_redirect_url(e).find("state="), std::string::npos);
  p.query["state"] = {std::string(512, 's')};
  EXPECT_TRUE(server_->check_authorize(p));
  p.query["state"] = {"a", "b"};
  EXPECT_EQ(refused(p).error.errc(), Errc::invalid_request);
}

TEST_P(AuthorizeTest, ConsentAccountsFollowTheUsersRoles) {
  ASSERT_OK_AND_ASSIGN(req, server_->check_authorize(authorize_params(app_.app, "account:read")));
  auto admin_accounts = server_->consent_accounts(principal(admin_), req);
  EXPECT_EQ(admin_accounts.size(), 3u);
  auto sender_accounts = server_->consent_accounts(principal(sender_), req);
  ASSERT_EQ(sender_accounts.size(), 1u);
  EXPECT_EQ(sender_accounts[0].id, production_);
  // A sender may not hand out webhook:manage.
  ASSERT_TRUE(apps_->update(principal(developer_), app_.app.id,
                            scopes_patch({"account:read", "webhook:manage"}), {}));
  ASSERT_OK_AND_ASSIGN(hooks,
                       server_->check_authorize(authorize_params(app_.app, "webhook:manage")));
  EXPECT_TRUE(server_->consent_accounts(principal(sender_), hooks).empty());
  EXPECT_EQ(server_->consent_accounts(principal(admin_), hooks).size(), 3u);
}

TEST_P(AuthorizeTest, ApproveOnSandboxIssuesACodeAndAuditsTheGrant) {
  ASSERT_OK_AND_ASSIGN(req, server_->check_authorize(authorize_params(app_.app, "account:read")));
  ASSERT_OK_AND_ASSIGN(url, server_->approve(principal(admin_), req, sandbox_, {}));
  EXPECT_TRUE(url.starts_with(kRedirect + "?code=cs_ac_")) << url;
  EXPECT_TRUE(url.ends_with("&state=xyz")) << url;
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_codes"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_grants"), 1);
  EXPECT_EQ(audit_entries("oauth.grant.approved").size(), 1u);
  // A second consent extends the same grant.
  ASSERT_TRUE(server_->approve(principal(admin_), req, sandbox_, {}));
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_grants"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_codes"), 2);
}

TEST_P(AuthorizeTest, AnotherTenantsAccountIsNotFoundAndNothingIsIssued) {
  ASSERT_OK_AND_ASSIGN(req, server_->check_authorize(authorize_params(app_.app, "account:read")));
  for (const auto& account : {elsewhere_, std::string("acc_doesnotexistdoesnotex")}) {
    auto r = server_->approve(principal(admin_), req, account, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().errc(), Errc::not_found);
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_codes"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_grants"), 0);
}

TEST_P(AuthorizeTest, UncertifiedAppOnProductionIsDeniedWithTheExplanation) {
  ASSERT_OK_AND_ASSIGN(req, server_->check_authorize(authorize_params(app_.app, "account:read")));
  ASSERT_OK_AND_ASSIGN(url, server_->approve(principal(admin_), req, production_, {}));
  EXPECT_TRUE(url.starts_with(kRedirect + "?error=access_denied&error_description=")) << url;
  EXPECT_NE(url.find("not%20certified"), std::string::npos) << url;
  EXPECT_NE(url.find("Allow%20uncertified%20partner%20applications"), std::string::npos);
  EXPECT_TRUE(url.ends_with("&state=xyz"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_codes"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_grants"), 0);
  EXPECT_EQ(audit_entries("oauth.authorize.denied").size(), 1u);
}

TEST_P(AuthorizeTest, ProductionIsAllowedBySettingOwnOrgOrCertification) {
  ASSERT_OK_AND_ASSIGN(req, server_->check_authorize(authorize_params(app_.app, "account:read")));
  // The partner's own production account.
  EXPECT_NE(server_->approve(principal(admin_), req, partner_production_, {})->find("code="),
            std::string::npos);
  // The account admin allows uncertified apps.
  ASSERT_TRUE(directory_->set_allow_uncertified_apps(principal(admin_), production_, true, {}));
  EXPECT_NE(server_->approve(principal(admin_), req, production_, {})->find("code="),
            std::string::npos);
  ASSERT_TRUE(directory_->set_allow_uncertified_apps(principal(admin_), production_, false, {}));
  EXPECT_NE(server_->approve(principal(admin_), req, production_, {})->find("error=access_denied"),
            std::string::npos);
  // Certified.
  certify_current(app_.app.id);
  EXPECT_NE(server_->approve(principal(admin_), req, production_, {})->find("code="),
            std::string::npos);
}

TEST_P(AuthorizeTest, PendingScopeIsGrantedInSandboxButNotInProduction) {
  certify_current(app_.app.id);
  ASSERT_TRUE(apps_->update(principal(developer_), app_.app.id,
                            scopes_patch({"account:read", "envelope:send", "offline_access"}), {}));
  ASSERT_OK_AND_ASSIGN(req, server_->check_authorize(authorize_params(app_.app, "envelope:send")));
  EXPECT_NE(server_->approve(principal(admin_), req, sandbox_, {})->find("code="),
            std::string::npos);
  ASSERT_OK_AND_ASSIGN(url, server_->approve(principal(admin_), req, production_, {}));
  EXPECT_TRUE(url.starts_with(kRedirect + "?error=invalid_scope")) << url;
}

TEST_P(AuthorizeTest, DenyRedirectsAccessDeniedAndIsAudited) {
  ASSERT_OK_AND_ASSIGN(req, server_->check_authorize(authorize_params(app_.app, "account:read")));
  EXPECT_TRUE(server_->deny_redirect(req).starts_with(kRedirect + "?error=access_denied"));
  ASSERT_OK_AND_ASSIGN(url, server_->deny(principal(admin_), req, {}));
  EXPECT_NE(url.find("state=xyz"), std::string::npos);
  EXPECT_EQ(audit_entries("oauth.consent.denied").size(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_codes"), 0);
}

TEST_P(AuthorizeTest, ApproveAfterTheAppWasDisabledIssuesNothing) {
  ASSERT_OK_AND_ASSIGN(req, server_->check_authorize(authorize_params(app_.app, "account:read")));
  ASSERT_TRUE(apps_->disable(principal(developer_), app_.app.id, {}));
  auto r = server_->approve(principal(admin_), req, sandbox_, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::oauth_invalid_client);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_codes"), 0);
}

CS_INSTANTIATE_BOTH_BACKENDS(AuthorizeTest);

}  // namespace
}  // namespace cs::oauth::testing
