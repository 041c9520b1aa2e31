// Server-side sessions on both backends (expiry with a manual clock, touch, revoke) and the
// storage-free CSRF tokens.
#include <gtest/gtest.h>

#include "crypto/tokens.hpp"
#include "identity_fixture.hpp"

namespace cs::identity::testing {
namespace {

constexpr Micros kMinute = 60 * kMicrosPerSecond;
constexpr Micros kHour = 60 * kMinute;

class SessionTest : public IdentityTest {
 protected:
  void SetUp() override {
    IdentityTest::SetUp();
    user_ = make_user("alice@example.com");
  }

  Micros stored_last_seen(const std::string& token) {
    crypto::TokenHasher h(keys_.token_hash_key());
    auto conn = lease();
    auto row = conn->query_one("SELECT last_seen_at FROM sessions WHERE token_hash = $1",
                               std::array<store::Value, 1>{store::Value(h.hash(token))});
    EXPECT_TRUE(row && *row);
    return (row && *row) ? (*row)->int64(0) : -1;
  }

  User user_;
};

TEST_P(SessionTest, CreatesAndResolvesAndStoresOnlyTheHash) {
  auto s = sessions().create(user_.id, "192.0.2.1", "Mozilla/5.0");
  ASSERT_TRUE(s) << s.error().detail();
  EXPECT_TRUE(s->token.starts_with("cs_ss_"));
  EXPECT_EQ(s->session.expires_at, clock_.now() + 7 * 24 * kHour);

  auto conn = lease();
  auto stored = conn->query_one("SELECT token_hash, ip, user_agent FROM sessions");
  ASSERT_TRUE(stored && *stored);
  EXPECT_NE((*stored)->text(0), s->token);
  EXPECT_EQ((*stored)->text(0).find(s->token.substr(6)), std::string::npos);
  EXPECT_EQ((*stored)->text(1), "192.0.2.1");

  auto r = sessions().resolve(s->token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user_id, user_.id);
  EXPECT_EQ(r->user_agent, "Mozilla/5.0");
}

TEST_P(SessionTest, UnknownAndMalformedTokensAreUnauthenticated) {
  ASSERT_TRUE(sessions().create(user_.id, "", ""));
  for (const std::string& t :
       {crypto::generate_token(crypto::kSessionPrefix), crypto::generate_token("cs_at_"),
        std::string(""), std::string("cs_ss_"), std::string("cs_ss_' OR 1=1 --")}) {
    auto r = sessions().resolve(t);
    ASSERT_FALSE(r) << t;
    EXPECT_EQ(r.error().errc(), Errc::unauthenticated);
  }
}

TEST_P(SessionTest, IdleTimeoutEndsTheSession) {
  auto s = sessions().create(user_.id, "", "");
  ASSERT_TRUE(s);
  clock_.advance(12 * kHour - 1);
  ASSERT_TRUE(sessions().resolve(s->token));
  clock_.advance(12 * kHour);  // idle again since the touch above
  auto r = sessions().resolve(s->token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::unauthenticated);
  EXPECT_EQ(count("sessions"), 0);  // expired rows are removed on sight
}

TEST_P(SessionTest, AbsoluteLifetimeEndsEvenAnActiveSession) {
  auto s = sessions().create(user_.id, "", "");
  ASSERT_TRUE(s);
  for (int i = 0; i < 15; ++i) {  // 15 × 11 h = 165 h < 168 h
    clock_.advance(11 * kHour);
    ASSERT_TRUE(sessions().resolve(s->token)) << i;
  }
  clock_.advance(3 * kHour);  // 168 h: the absolute end
  EXPECT_FALSE(sessions().resolve(s->token));
}

TEST_P(SessionTest, LastSeenIsWrittenAtMostOncePerMinute) {
  auto s = sessions().create(user_.id, "", "");
  ASSERT_TRUE(s);
  Micros created = clock_.now();
  clock_.advance(30 * kMicrosPerSecond);
  ASSERT_TRUE(sessions().resolve(s->token));
  EXPECT_EQ(stored_last_seen(s->token), created);
  clock_.advance(31 * kMicrosPerSecond);
  ASSERT_TRUE(sessions().resolve(s->token));
  EXPECT_EQ(stored_last_seen(s->token), clock_.now());
}

TEST_P(SessionTest, RevokeAndRevokeAll) {
  auto a = sessions().create(user_.id, "", "");
  auto b = sessions().create(user_.id, "", "");
  auto c = sessions().create(user_.id, "", "");
  User other = make_user("bob@example.com");
  auto d = sessions().create(other.id, "", "");
  ASSERT_TRUE(a && b && c && d);

  auto revoked = sessions().revoke(a->token);
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  EXPECT_FALSE(sessions().resolve(a->token));
  EXPECT_FALSE(*sessions().revoke(a->token));  // logging out twice is fine
  EXPECT_TRUE(sessions().resolve(b->token));

  auto n = sessions().revoke_all_for_user(user_.id);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  EXPECT_FALSE(sessions().resolve(b->token));
  EXPECT_FALSE(sessions().resolve(c->token));
  EXPECT_TRUE(sessions().resolve(d->token));
}

TEST_P(SessionTest, DisabledUsersSessionsDoNotResolve) {
  auto s = sessions().create(user_.id, "", "");
  ASSERT_TRUE(s);
  // Even if a row survived (set directly here, bypassing set_user_status's cleanup).
  auto conn = lease();
  ASSERT_TRUE(conn->exec("UPDATE users SET status = 'disabled'"));
  EXPECT_FALSE(sessions().resolve(s->token));
}

TEST_P(SessionTest, PurgeRemovesOnlyExpiredSessions) {
  auto old_session = sessions().create(user_.id, "", "");
  ASSERT_TRUE(old_session);
  clock_.advance(11 * kHour);
  auto fresh = sessions().create(user_.id, "", "");
  ASSERT_TRUE(fresh);
  clock_.advance(2 * kHour);  // the first is idle for 13 h, the second for 2 h
  auto purged = sessions().purge_expired();
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_TRUE(sessions().resolve(fresh->token));
}

CS_INSTANTIATE_BOTH_BACKENDS(SessionTest);

// CSRF needs no database: plain tests.
TEST(Csrf, BoundToTheBindingAndTheKey) {
  ManualClock clock;
  auto keys = crypto::KeyRing::generate(clock);
  auto other_keys = crypto::KeyRing::generate(clock);
  // The constructor never touches the database; a dangling reference is never used here.
  struct NoDatabase : store::Database {
    store::Backend backend() const override { return store::Backend::sqlite; }
    Result<store::ConnectionLease> connect() override {
      return fail(Errc::internal, "no database");
    }
    Status ping() override { return {}; }
  } no_db;
  SessionService s(no_db, clock, keys.token_hash_key());
  SessionService other(no_db, clock, other_keys.token_hash_key());

  const std::string session = crypto::generate_token(crypto::kSessionPrefix);
  const std::string token = s.csrf_token(session);
  EXPECT_EQ(token, s.csrf_token(session));  // stable for the session's life
  EXPECT_EQ(token.size(), 64u);
  EXPECT_TRUE(s.verify_csrf(session, token));
  EXPECT_FALSE(s.verify_csrf(crypto::generate_token(crypto::kSessionPrefix), token));
  EXPECT_FALSE(other.verify_csrf(session, token));
  EXPECT_FALSE(s.verify_csrf(session, token.substr(1)));
  EXPECT_FALSE(s.verify_csrf(session, ""));
  EXPECT_FALSE(s.verify_csrf("", s.csrf_token("")));
  // Not the session's stored hash: a database reader cannot compute CSRF tokens from it.
  EXPECT_NE(token, crypto::TokenHasher(keys.token_hash_key()).hash(session));
  // A pre-session cookie binding works the same way for the login form.
  EXPECT_TRUE(s.verify_csrf("pre-session-cookie-value", s.csrf_token("pre-session-cookie-value")));
}

}  // namespace
}  // namespace cs::identity::testing
