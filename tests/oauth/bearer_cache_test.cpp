// verify_bearer's cache on both backends (issue 3 §3): within one process every change that can
// take access away applies to the very next call; another server process sees it within the
// 1 s TTL; a token's expiry is honoured to the microsecond. No sleeping: the clock is manual.
#include "oauth/verification_cache.hpp"
#include "oauth_fixture.hpp"
#include "store/params.hpp"

namespace cs::oauth::testing {
namespace {

class BearerCacheTest : public OAuthTest {
 protected:
  void SetUp() override {
    OAuthTest::SetUp();
    app_ = create_app();
  }

  // Verifies twice, so the second answer may already come from the cache.
  void warm(const std::string& access_token, std::string_view scope = "account:read") {
    ASSERT_TRUE(server_->verify_bearer(access_token, scope));
    ASSERT_TRUE(server_->verify_bearer(access_token, scope));
  }
  Errc refusal(const std::string& access_token, std::string_view scope = "account:read") {
    auto r = server_->verify_bearer(access_token, scope);
    EXPECT_FALSE(r) << "still accepted";
    return r ? Errc::internal : r.error().errc();
  }
  // A change the server cannot know about, as another process would make it.
  void revoke_behind_its_back(const std::string& access_token) {
    auto conn = lease();
    ASSERT_EQ(conn->exec("UPDATE oauth_tokens SET revoked_at = $1 WHERE token_hash = $2",
                         store::params(clock_.now(), hasher_.hash(access_token)))
                  .value(),
              1);
  }

  CreatedApp app_;
};

TEST_P(BearerCacheTest, ServesAVerificationForAtMostOneSecond) {
  auto t = connect(app_, sandbox_);
  warm(t.access_token);
  revoke_behind_its_back(t.access_token);
  // Proof that the answer is cached: the database already says revoked.
  clock_.advance(kVerificationTtl - 1);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, "account:read"));
  clock_.advance(1);
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, AnotherServerSeesAChangeWithinTheTtl) {
  // A second process: own pool, own services, the same storage.
  auto other_db = open_another();
  AppService other_apps(*other_db, clock_, audit_, hasher_);
  identity::Directory other_directory(*other_db, clock_, audit_, password_hasher_);
  AuthorizationServer other(*other_db, clock_, audit_, hasher_, other_apps, other_directory);
  auto t = connect(app_, sandbox_);
  warm(t.access_token);
  ASSERT_TRUE(other.verify_bearer(t.access_token, "account:read"));
  ASSERT_TRUE(other.revoke(credentials(app_), t.access_token, "access_token"));
  EXPECT_EQ(other.verify_bearer(t.access_token, "").error().errc(), Errc::invalid_token);
  // This process cannot know yet (the documented bound), but only until its entry's TTL ends.
  clock_.advance(kVerificationTtl - 1);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, "account:read"));
  clock_.advance(1);
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, ExpiryIsHonouredExactly) {
  auto t = connect(app_, sandbox_);
  // Cached half a second before expiry: the cache must not outlive the token.
  clock_.advance(kAccessTokenLifetime - kVerificationTtl / 2);
  warm(t.access_token);
  clock_.advance(kVerificationTtl / 2 - 1);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, "account:read"));
  clock_.advance(1);
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, ScopeIsCheckedOnEveryCallEvenWhenCached) {
  auto t = connect(app_, sandbox_);
  warm(t.access_token);
  EXPECT_EQ(refusal(t.access_token, "envelope:write"), Errc::insufficient_scope);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, "offline_access"));
}

TEST_P(BearerCacheTest, RevokingTheAccessTokenAppliesAtOnce) {
  auto t = connect(app_, sandbox_);
  warm(t.access_token);
  ASSERT_TRUE(server_->revoke(credentials(app_), t.access_token, "access_token"));
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, RevokingTheRefreshTokenEndsTheGrantAtOnce) {
  auto t = connect(app_, sandbox_);
  warm(t.access_token);
  ASSERT_TRUE(server_->revoke(credentials(app_), t.refresh_token, "refresh_token"));
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, RevokingTheConnectionAppliesAtOnce) {
  auto t = connect(app_, sandbox_);
  warm(t.access_token);
  auto grants = server_->list_user_grants(principal(admin_)).value();
  ASSERT_EQ(grants.size(), 1u);
  ASSERT_TRUE(server_->revoke_grant(principal(admin_), grants[0].id, {}));
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, RefreshTokenReuseAppliesAtOnce) {
  auto t = connect(app_, sandbox_);
  ASSERT_OK_AND_ASSIGN(t2, server_->token(refresh_request(app_, t.refresh_token), {}));
  warm(t.access_token);
  warm(t2.access_token);
  EXPECT_FALSE(server_->token(refresh_request(app_, t.refresh_token), {}));  // reuse
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
  EXPECT_EQ(refusal(t2.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, CodeReplayAppliesAtOnce) {
  auto code = obtain_code(app_.app, sandbox_);
  ASSERT_OK_AND_ASSIGN(t, server_->token(code_request(app_, code), {}));
  warm(t.access_token);
  EXPECT_FALSE(server_->token(code_request(app_, code), {}));  // replay
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, DisablingTheAppAppliesAtOnce) {
  auto t = connect(app_, sandbox_);
  warm(t.access_token);
  ASSERT_TRUE(apps_->disable(principal(developer_), app_.app.id, {}));
  EXPECT_EQ(refusal(t.access_token), Errc::invalid_token);
}

TEST_P(BearerCacheTest, RemovingAScopeAppliesAtOnce) {
  auto t = connect(app_, sandbox_, "account:read user:read offline_access");
  warm(t.access_token, "user:read");
  ASSERT_TRUE(apps_->update(principal(developer_), app_.app.id,
                            scopes_patch({"account:read", "offline_access"}), {}));
  EXPECT_EQ(refusal(t.access_token, "user:read"), Errc::insufficient_scope);
  EXPECT_TRUE(server_->verify_bearer(t.access_token, "account:read"));
}

TEST_P(BearerCacheTest, LosingCertificationAppliesAtOnce) {
  certify_current(app_.app.id);
  auto t = connect(app_, production_);
  warm(t.access_token);
  auto app = apps_->find_by_id(app_.app.id).value();
  ASSERT_TRUE(apps_->set_certification_status(app.current.id, CertificationStatus::uncertified,
                                              Actor::system("certification")));
  EXPECT_EQ(refusal(t.access_token), Errc::app_not_certified);
}

TEST_P(BearerCacheTest, UntickingTheAccountSettingAppliesAtOnce) {
  ASSERT_TRUE(directory_->set_allow_uncertified_apps(principal(admin_), production_, true, {}));
  auto t = connect(app_, production_);
  warm(t.access_token);
  // The directory alone, without the grant clean-up the web layer runs afterwards.
  ASSERT_TRUE(directory_->set_allow_uncertified_apps(principal(admin_), production_, false, {}));
  EXPECT_EQ(refusal(t.access_token), Errc::app_not_certified);
}

CS_INSTANTIATE_BOTH_BACKENDS(BearerCacheTest);

}  // namespace
}  // namespace cs::oauth::testing
