// The token endpoint, revocation, introspection and bearer verification on both backends.
#include "oauth_fixture.hpp"

namespace cs::oauth::testing {
namespace {

class TokenTest : public OAuthTest {
 protected:
  void SetUp() override {
    OAuthTest::SetUp();
    app_ = create_app();
    other_app_ = create_app();
  }

  Errc token_error(const TokenRequest& r) {
    auto t = server_->token(r, {});
    EXPECT_FALSE(t);
    return t ? Errc::internal : t.error().errc();
  }

  CreatedApp app_, other_app_;
};

TEST_P(TokenTest, CodeExchangeIssuesHashedTokens) {
  auto code = obtain_code(app_.app, sandbox_);
  ASSERT_OK_AND_ASSIGN(t, server_->token(code_request(app_, code), {}));
  EXPECT_TRUE(t.access_token.starts_with("cs_at_"));
  EXPECT_TRUE(t.refresh_token.starts_with("cs_rt_"));
  EXPECT_EQ(t.token_type, "Bearer");
  EXPECT_EQ(t.expires_in, 3600);
  EXPECT_EQ(t.scope, "account:read offline_access");
  EXPECT_EQ(t.account_id, sandbox_);
  // Nothing is stored in plaintext.
  for (const auto& secret : {t.access_token, t.refresh_token, code, *app_.client_secret}) {
    for (const auto& [table, column] :
         std::vector<std::pair<std::string, std::string>>{{"oauth_tokens", "token_hash"},
                                                          {"oauth_codes", "code_hash"},
                                                          {"app_secrets", "secret_hash"}}) {
      EXPECT_EQ(count("SELECT COUNT(*) FROM " + table + " WHERE " + column + " = '" + secret + "'"),
                0);
    }
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_tokens WHERE token_hash = '" +
                  hasher_.hash(t.access_token) + "'"),
            1);
}

TEST_P(TokenTest, PurgeExpiredRemovesOnlyLongExpiredCodesAndTokens) {
  auto code = obtain_code(app_.app, sandbox_);
  ASSERT_OK_AND_ASSIGN(t, server_->token(code_request(app_, code), {}));
  const Micros day = 24LL * 3600 * kMicrosPerSecond;
  ASSERT_OK_AND_ASSIGN(none, server_->purge_expired(day));
  EXPECT_EQ(none, 0) << "nothing has expired yet";
  clock_.advance(2 * day);  // the code (60 s) and the access token (1 h) are long expired
  ASSERT_OK_AND_ASSIGN(removed, server_->purge_expired(day));
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_codes"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_tokens WHERE kind = 'refresh'"), 1) << "60-day refresh token kept";
}

// Issue 3 "Done when": no issued token, code or client secret appears in plaintext anywhere
// in the oauth tables or the audit log.
TEST_P(TokenTest, NoSecretAppearsInPlaintextAnywhere) {
  std::vector<std::string> secrets = {*app_.client_secret, *other_app_.client_secret};
  auto code = obtain_code(app_.app, sandbox_);
  secrets.push_back(code);
  ASSERT_OK_AND_ASSIGN(t, server_->token(code_request(app_, code), {}));
  ASSERT_OK_AND_ASSIGN(t2, server_->token(refresh_request(app_, t.refresh_token), {}));
  EXPECT_FALSE(server_->token(code_request(app_, code), {}));                // replay: audited
  EXPECT_FALSE(server_->token(refresh_request(app_, t.refresh_token), {}));  // reuse: audited
  ASSERT_OK_AND_ASSIGN(rotated, apps_->rotate_secret(principal(developer_), app_.app.id, {}));
  for (const auto& s :
       {t.access_token, t.refresh_token, t2.access_token, t2.refresh_token, rotated.secret})
    secrets.push_back(s);
  std::string everything;
  auto conn = lease();
  for (const char* table : {"apps", "app_versions", "app_secrets", "oauth_grants", "oauth_codes",
                            "oauth_tokens", "audit_log"}) {
    auto rows = conn->query(std::string("SELECT * FROM ") + table);
    ASSERT_TRUE(rows) << table;
    for (const auto& row : *rows)
      for (std::size_t i = 0; i < row.size(); ++i)
        if (std::holds_alternative<std::string>(row.value(i))) everything += row.text(i) + "\n";
  }
  EXPECT_GT(everything.size(), 1000u);
  for (const auto& s : secrets) {
    ASSERT_GT(s.size(), 40u);
    EXPECT_EQ(everything.find(s), std::string::npos) << s.substr(0, 6);
    // Not even the random part without its prefix.
    EXPECT_EQ(everything.find(s.substr(6)), std::string::npos) << s.substr(0, 6);
  }
}

TEST_P(TokenTest, NoRefreshTokenWithoutOfflineAccess) {
  auto code = obtain_code(app_.app, sandbox_, "account:read");
  ASSERT_OK_AND_ASSIGN(t, server_->token(code_request(app_, code), {}));
  EXPECT_TRUE(t.refresh_token.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_tokens WHERE kind = 'refresh'"), 0);
}

TEST_P(TokenTest, PublicClientUsesPkceWithoutSecret) {
  auto pub = create_app(ClientType::public_client);
  auto code = obtain_code(pub.app, sandbox_);
  auto bad = code_request(pub, code);
  bad.code_verifier = std::string(64, 'w');
  EXPECT_EQ(token_error(bad), Errc::oauth_invalid_grant);
  bad.code_verifier.clear();
  EXPECT_EQ(token_error(bad), Errc::oauth_invalid_grant);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_tokens"), 0);
  EXPECT_TRUE(server_->token(code_request(pub, code), {}));
}

TEST_P(TokenTest, BadRequestsIssueNothing) {
  auto code = obtain_code(app_.app, sandbox_);
  auto r = code_request(app_, code);
  auto with = [&](auto change) {
    auto x = r;
    change(x);
    return token_error(x);
  };
  EXPECT_EQ(with([](TokenRequest& x) { x.grant_type = ""; }), Errc::invalid_request);
  EXPECT_EQ(with([](TokenRequest& x) { x.grant_type = "password"; }),
            Errc::oauth_unsupported_grant_type);
  EXPECT_EQ(with([](TokenRequest& x) { x.code = ""; }), Errc::invalid_request);
  EXPECT_EQ(with([](TokenRequest& x) { x.redirect_uri = ""; }), Errc::invalid_request);
  EXPECT_EQ(with([](TokenRequest& x) { x.redirect_uri = "http://127.0.0.1:8765/callback"; }),
            Errc::oauth_invalid_grant);
  EXPECT_EQ(with([](TokenRequest& x) { x.code = "cs_ac_forged"; }), Errc::oauth_invalid_grant);
  EXPECT_EQ(with([](TokenRequest& x) { x.code_verifier = std::string(64, 'x'); }),
            Errc::oauth_invalid_grant);
  EXPECT_EQ(with([](TokenRequest& x) { x.client.client_secret = "cs_sk_wrong"; }),
            Errc::oauth_invalid_client);
  EXPECT_EQ(with([](TokenRequest& x) { x.client.client_secret.reset(); }),
            Errc::oauth_invalid_client);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_tokens"), 0);
  EXPECT_EQ(audit_entries("oauth.client.auth_failed").size(), 2u);
  // The code survived all of that and still works once.
  EXPECT_TRUE(server_->token(r, {}));
}

TEST_P(TokenTest, ConfidentialClientWithoutPkceMustNotSendAVerifier) {
  ASSERT_OK_AND_ASSIGN(req,
                       server_->check_authorize(authorize_params(app_.app, "account:read", false)));
  ASSERT_OK_AND_ASSIGN(url, server_->approve(principal(admin_), req, sandbox_, {}));
  auto code = url.substr(url.find("code=") + 5, url.find('&') - url.find("code=") - 5);
  auto r = code_request(app_, code);
  EXPECT_EQ(token_error(r), Errc::oauth_invalid_grant);  // a verifier without a challenge
  r.code_verifier.clear();
  ASSERT_OK_AND_ASSIGN(t, server_->token(r, {}));
  EXPECT_EQ(t.scope, "account:read");
}

TEST_P(TokenTest, WrongClientOnCodeIsRefusedAndAudited) {
  auto code = obtain_code(app_.app, sandbox_);
  auto r = code_request(app_, code);
  r.client = credentials(other_app_);
  EXPECT_EQ(token_error(r), Errc::oauth_invalid_grant);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_tokens"), 0);
  EXPECT_EQ(audit_entries("oauth.code.wrong_client").size(), 1u);
}

TEST_P(TokenTest, ExpiredCodeIsRefused) {
  auto code = obtain_code(app_.app, sandbox_);
  clock_.advance(kCodeLifetime);
  EXPECT_EQ(token_error(code_request(app_, code)), Errc::oauth_invalid_grant);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_tokens"), 0);
}

TEST_P(TokenTest, CodeJustBeforeExpiryWorks) {
  auto code = obtain_code(app_.app, sandbox_);
  clock_.advance(kCodeLifetime - 1);
  EXPECT_TRUE(server_->token(code_request(app_, code), {}));
}

TEST_P(TokenTest, ReplayedCodeFailsAndRevokesWhatItIssued) {
  auto code = obtain_code(app_.app, sandbox_);
  ASSERT_OK_AND_ASSIGN(t, server_->token(code_request(app_, code), {}));
  ASSERT_OK_AND_ASSIGN(t2, server_->token(refresh_request(app_, t.refresh_token), {}));
  EXPECT_EQ(token_error(code_request(app_, code)), Errc::oauth_invalid_grant);
  EXPECT_EQ(live_tokens(), 0);
  EXPECT_EQ(server_->verify_bearer(t.access_token, "").error().errc(), Errc::invalid_token);
  EXPECT_EQ(server_->verify_bearer(t2.access_token, "").error().errc(), Errc::invalid_token);
  EXPECT_EQ(token_error(refresh_request(app_, t2.refresh_token)), Errc::oauth_invalid_grant);
  EXPECT_EQ(audit_entries("oauth.code.replayed").size(), 1u);
}

TEST_P(TokenTest, RefreshRotatesAndReuseRevokesTheGrant) {
  auto t = connect(app_, sandbox_);
  ASSERT_OK_AND_ASSIGN(t2, server_->token(refresh_request(app_, t.refresh_token), {}));
  EXPECT_NE(t2.refresh_token, t.refresh_token);
  EXPECT_NE(t2.access_token, t.access_token);
  ASSERT_OK_AND_ASSIGN(t3, server_->token(refresh_request(app_, t2.refresh_token), {}));
  // Presenting the rotated t.refresh_token again: the whole grant ends.
  EXPECT_EQ(token_error(refresh_request(app_, t.refresh_token)), Errc::oauth_invalid_grant);
  EXPECT_EQ(live_tokens(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_grants WHERE revoked_at IS NULL"), 0);
  EXPECT_EQ(token_error(refresh_request(app_, t3.refresh_token)), Errc::oauth_invalid_grant);
  EXPECT_EQ(server_->verify_bearer(t3.access_token, "").error().errc(), Errc::invalid_token);
  EXPECT_EQ(audit_entries("oauth.refresh.reused").size(), 1u);
}

TEST_P(TokenTest, RefreshScopeMayOnlyNarrow) {
  auto t = connect(app_, sandbox_, "account:read user:read offline_access");
  auto before = count("SELECT COUNT(*) FROM oauth_tokens");
  EXPECT_EQ(token_error(refresh_request(app_, t.refresh_token, "account:read envelope:read")),
            Errc::oauth_invalid_scope);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_tokens"), before);
  ASSERT_OK_AND_ASSIGN(narrow,
                       server_->token(refresh_request(app_, t.refresh_token, "user:read"), {}));
  EXPECT_EQ(narrow.scope, "user:read");
  EXPECT_EQ(server_->verify_bearer(narrow.access_token, "account:read").error().errc(),
            Errc::insufficient_scope);
  EXPECT_TRUE(server_->verify_bearer(narrow.access_token, "user:read"));
  // The rotated refresh token keeps the original grant.
  ASSERT_OK_AND_ASSIGN(full, server_->token(refresh_request(app_, narrow.refresh_token), {}));
  EXPECT_EQ(full.scope, "account:read offline_access user:read");
}

TEST_P(TokenTest, WrongClientOnRefreshIsRefusedAndTheTokenStillWorks) {
  auto t = connect(app_, sandbox_);
  auto r = refresh_request(app_, t.refresh_token);
  r.client = credentials(other_app_);
  EXPECT_EQ(token_error(r), Errc::oauth_invalid_grant);
  EXPECT_EQ(audit_entries("oauth.refresh.wrong_client").size(), 1u);
  EXPECT_TRUE(server_->token(refresh_request(app_, t.refresh_token), {}));
}

TEST_P(TokenTest, RefreshTokensExpireAfterSixtyIdleDaysAndOneYear) {
  auto t = connect(app_, sandbox_);
  clock_.advance(kRefreshIdleLifetime);
  EXPECT_EQ(token_error(refresh_request(app_, t.refresh_token)), Errc::oauth_invalid_grant);

  auto u = connect(app_, sandbox_);
  std::string rt = u.refresh_token;
  // Used every 50 days: the idle limit never hits, the one-year limit does.
  for (int i = 0; i < 7; ++i) {
    clock_.advance(50LL * 24 * 3600 * kMicrosPerSecond);
    ASSERT_OK_AND_ASSIGN(next, server_->token(refresh_request(app_, rt), {}));
    rt = next.refresh_token;
  }
  clock_.advance(50LL * 24 * 3600 * kMicrosPerSecond);  // day 400
  EXPECT_EQ(token_error(refresh_request(app_, rt)), Errc::oauth_invalid_grant);
}

TEST_P(TokenTest, AccessTokensLiveOneHour) {
  auto t = connect(app_, sandbox_);
  clock_.advance(kAccessTokenLifetime - 1);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, "account:read"));
  clock_.advance(1);
  EXPECT_EQ(server_->verify_bearer(t.access_token, "account:read").error().errc(),
            Errc::invalid_token);
}

TEST_P(TokenTest, VerifyBearerReadsTheCurrentSettingAndCertification) {
  ASSERT_TRUE(directory_->set_allow_uncertified_apps(principal(admin_), production_, true, {}));
  auto t = connect(app_, production_);
  ASSERT_OK_AND_ASSIGN(ctx, server_->verify_bearer(t.access_token, "account:read"));
  EXPECT_EQ(ctx.account_id, production_);
  EXPECT_EQ(ctx.user_id, admin_);
  EXPECT_EQ(ctx.client_id, app_.app.client_id);
  // The admin unticks the setting: the very next call fails...
  ASSERT_TRUE(directory_->set_allow_uncertified_apps(principal(admin_), production_, false, {}));
  auto refused = server_->verify_bearer(t.access_token, "account:read");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::app_not_certified);
  EXPECT_EQ(refused.error().message(), not_certified_message());
  EXPECT_EQ(token_error(refresh_request(app_, t.refresh_token)), Errc::oauth_invalid_grant);
  // ...and certification (read on every call) lets it through again.
  certify_current(app_.app.id);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, "account:read"));
}

TEST_P(TokenTest, VerifyBearerRefusesUnknownAndMalformedTokens) {
  for (const char* tok : {"", "garbage", "cs_rt_notanaccesstoken", "cs_at_unknown"}) {
    auto r = server_->verify_bearer(tok, "");
    ASSERT_FALSE(r) << tok;
    EXPECT_EQ(r.error().errc(), Errc::invalid_token);
  }
  auto t = connect(app_, sandbox_);
  // A refresh token is not a bearer token.
  EXPECT_EQ(server_->verify_bearer(t.refresh_token, "").error().errc(), Errc::invalid_token);
}

TEST_P(TokenTest, RemovedScopeStopsWorkingAtOnce) {
  auto t = connect(app_, sandbox_, "account:read user:read offline_access");
  ASSERT_TRUE(server_->verify_bearer(t.access_token, "user:read"));
  ASSERT_TRUE(apps_->update(principal(developer_), app_.app.id,
                            scopes_patch({"account:read", "offline_access"}), {}));
  EXPECT_EQ(server_->verify_bearer(t.access_token, "user:read").error().errc(),
            Errc::insufficient_scope);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, "account:read"));
}

TEST_P(TokenTest, RevokeFollowsRfc7009) {
  auto t = connect(app_, sandbox_);
  // Another client's token: success, nothing revoked.
  EXPECT_TRUE(server_->revoke(credentials(other_app_), t.access_token, ""));
  EXPECT_TRUE(server_->verify_bearer(t.access_token, ""));
  // Unknown token: success.
  EXPECT_TRUE(server_->revoke(credentials(app_), "cs_at_unknown", "access_token"));
  EXPECT_TRUE(server_->revoke(credentials(app_), "whatever", ""));
  // Bad client authentication.
  auto bad = credentials(app_);
  bad.client_secret = "cs_sk_wrong";
  EXPECT_EQ(server_->revoke(bad, t.access_token, "").error().errc(), Errc::oauth_invalid_client);
  // The access token alone.
  ASSERT_TRUE(server_->revoke(credentials(app_), t.access_token, "access_token"));
  EXPECT_EQ(server_->verify_bearer(t.access_token, "").error().errc(), Errc::invalid_token);
  ASSERT_OK_AND_ASSIGN(t2, server_->token(refresh_request(app_, t.refresh_token), {}));
  // A refresh token ends the grant.
  ASSERT_TRUE(server_->revoke(credentials(app_), t2.refresh_token, "refresh_token"));
  EXPECT_EQ(server_->verify_bearer(t2.access_token, "").error().errc(), Errc::invalid_token);
  EXPECT_EQ(live_tokens(), 0);
  EXPECT_EQ(audit_entries("oauth.token.revoked").size(), 2u);
}

TEST_P(TokenTest, IntrospectFollowsRfc7662) {
  auto t = connect(app_, sandbox_);
  ASSERT_OK_AND_ASSIGN(info, server_->introspect(credentials(app_), t.access_token));
  EXPECT_EQ(info["active"], true);
  EXPECT_EQ(info["scope"], "account:read offline_access");
  EXPECT_EQ(info["client_id"], app_.app.client_id);
  EXPECT_EQ(info["sub"], admin_);
  EXPECT_EQ(info["account_id"], sandbox_);
  EXPECT_EQ(info["exp"].get<std::int64_t>() - info["iat"].get<std::int64_t>(), 3600);
  ASSERT_OK_AND_ASSIGN(rinfo, server_->introspect(credentials(app_), t.refresh_token));
  EXPECT_EQ(rinfo["active"], true);
  EXPECT_EQ(rinfo["token_type"], "refresh_token");
  // Another client's token reads inactive, as does an unknown one.
  EXPECT_EQ(server_->introspect(credentials(other_app_), t.access_token).value(),
            nlohmann::json({{"active", false}}));
  EXPECT_EQ(server_->introspect(credentials(app_), "cs_at_unknown").value()["active"], false);
  auto bad = credentials(app_);
  bad.client_secret.reset();
  EXPECT_EQ(server_->introspect(bad, t.access_token).error().errc(), Errc::oauth_invalid_client);
  ASSERT_TRUE(server_->revoke(credentials(app_), t.access_token, ""));
  EXPECT_EQ(server_->introspect(credentials(app_), t.access_token).value()["active"], false);
}

TEST_P(TokenTest, ConnectionsListAndRevoke) {
  auto t = connect(app_, partner_production_);
  auto s = connect(app_, sandbox_);
  ASSERT_OK_AND_ASSIGN(mine, server_->list_user_grants(principal(admin_)));
  ASSERT_EQ(mine.size(), 2u);
  ASSERT_OK_AND_ASSIGN(on_account, server_->list_account_connections(principal(admin_), sandbox_));
  ASSERT_EQ(on_account.size(), 1u);
  EXPECT_EQ(on_account[0].app_name, "Acme Sign Connector");
  EXPECT_EQ(on_account[0].partner_org_name, "Acme Partner");
  EXPECT_EQ(on_account[0].user_email, "admin@customer.example");
  // A sender may not manage connections; a stranger does not see the account.
  EXPECT_EQ(server_->list_account_connections(principal(sender_), production_).error().errc(),
            Errc::forbidden);
  EXPECT_EQ(server_->list_account_connections(principal(stranger_), sandbox_).error().errc(),
            Errc::not_found);
  EXPECT_EQ(server_->revoke_grant(principal(stranger_), on_account[0].id, {}).error().errc(),
            Errc::not_found);
  EXPECT_TRUE(server_->verify_bearer(s.access_token, ""));
  ASSERT_TRUE(server_->revoke_grant(principal(admin_), on_account[0].id, {}));
  EXPECT_EQ(server_->verify_bearer(s.access_token, "").error().errc(), Errc::invalid_token);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, ""));
  EXPECT_EQ(server_->list_user_grants(principal(admin_))->size(), 1u);
  EXPECT_EQ(audit_entries("oauth.grant.revoked").size(), 1u);
}

TEST_P(TokenTest, TurningTheSettingOffEndsUncertifiedGrants) {
  ASSERT_TRUE(directory_->set_allow_uncertified_apps(principal(admin_), production_, true, {}));
  auto uncertified = connect(app_, production_);
  certify_current(other_app_.app.id);
  auto certified = connect(other_app_, production_);
  auto own = connect(app_, partner_production_);
  ASSERT_TRUE(directory_->set_allow_uncertified_apps(principal(admin_), production_, false, {}));
  ASSERT_OK_AND_ASSIGN(ended, server_->revoke_uncertified_grants(production_, Actor::user(admin_)));
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(server_->verify_bearer(uncertified.access_token, "").error().errc(),
            Errc::invalid_token);
  EXPECT_TRUE(server_->verify_bearer(certified.access_token, ""));
  EXPECT_TRUE(server_->verify_bearer(own.access_token, ""));
  EXPECT_EQ(audit_entries("oauth.grant.revoked").size(), 1u);
}

TEST_P(TokenTest, UserinfoNamesTheUserAndAccount) {
  auto t = connect(app_, sandbox_, "user:read offline_access");
  ASSERT_OK_AND_ASSIGN(ctx, server_->verify_bearer(t.access_token, "user:read"));
  ASSERT_OK_AND_ASSIGN(info, server_->userinfo(ctx));
  EXPECT_EQ(info["sub"], admin_);
  EXPECT_EQ(info["email"], "admin@customer.example");
  EXPECT_EQ(info["account"]["id"], sandbox_);
  EXPECT_EQ(info["account"]["environment"], "sandbox");
}

CS_INSTANTIATE_BOTH_BACKENDS(TokenTest);

}  // namespace
}  // namespace cs::oauth::testing
