// Login on both backends: sessions, rotation, generic failures, lockout, IP throttling, rehash.
#include <gtest/gtest.h>

#include "crypto/tokens.hpp"
#include "identity_fixture.hpp"

namespace cs::identity::testing {
namespace {

constexpr Micros kMinute = 60 * kMicrosPerSecond;

class AuthTest : public IdentityTest {
 protected:
  void SetUp() override {
    IdentityTest::SetUp();
    alice_ = make_user("alice@example.com");
  }

  LoginResult login(const std::string& email, const std::string& password,
                    const std::string& ip = "203.0.113.5", const std::string& previous = "") {
    return auth().login({email, password, ip, "test-agent", "req-1", previous});
  }

  std::string stored_hash(const std::string& user_id) {
    auto conn = lease();
    auto row = conn->query_one("SELECT password_hash FROM users WHERE id = $1",
                               std::array<store::Value, 1>{store::Value(user_id)});
    return (row && *row) ? (*row)->text(0) : "";
  }

  User alice_;
};

TEST_P(AuthTest, SuccessIssuesASessionAndRecordsTheLogin) {
  clock_.advance(kMinute);
  auto r = login("  ALICE@example.com", kPassword);
  ASSERT_TRUE(r) << r.error().error.message() << " " << r.error().error.detail();
  EXPECT_EQ(r->user_id, alice_.id);
  EXPECT_TRUE(r->session.token.starts_with("cs_ss_"));
  auto s = sessions().resolve(r->session.token);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user_id, alice_.id);
  EXPECT_EQ(s->ip, "203.0.113.5");

  auto user = directory().get_user(alice_.id);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->last_login_at, clock_.now());
  auto entries = audit_entries("user.login.succeeded");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields.actor_id, alice_.id);
  EXPECT_EQ(entries[0].fields.ip, "203.0.113.5");
  EXPECT_EQ(entries[0].fields.request_id, "req-1");
}

TEST_P(AuthTest, WrongPasswordAndUnknownEmailLookTheSame) {
  auto wrong = login("alice@example.com", "not the password at all");
  auto unknown = login("nobody@example.com", kPassword);
  auto garbage = login("not an email", kPassword);
  for (const auto* r : {&wrong, &unknown, &garbage}) {
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().error.errc(), Errc::unauthenticated);
    EXPECT_EQ(r->error().error.message(), "Email or password is incorrect");
    EXPECT_FALSE(r->error().retry_at);
  }
  EXPECT_EQ(count("sessions"), 0);
  auto failures = audit_entries("user.login.failed");
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[2].fields.details["reason"], "bad_password");
  EXPECT_EQ(failures[2].fields.target_id, alice_.id);
  EXPECT_EQ(failures[1].fields.details["reason"], "unknown_email");
  for (const auto& e : failures) {
    EXPECT_EQ(e.fields.details.dump().find(kPassword),
              std::string::npos);  // passwords never logged
  }
}

TEST_P(AuthTest, FiveFailuresLockTheUserForFifteenMinutes) {
  for (int i = 0; i < 4; ++i) {
    auto r = login("alice@example.com", "wrong password " + std::to_string(i));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().error.errc(), Errc::unauthenticated) << i;
  }
  auto fifth = login("alice@example.com", "wrong password 5");
  ASSERT_FALSE(fifth);
  EXPECT_EQ(fifth.error().error.errc(), Errc::account_locked);
  EXPECT_EQ(fifth.error().retry_at, clock_.now() + 15 * kMinute);
  ASSERT_EQ(audit_entries("user.locked").size(), 1u);

  // Even the right password is refused while locked, and says when to retry.
  clock_.advance(14 * kMinute);
  auto during = login("alice@example.com", kPassword);
  ASSERT_FALSE(during);
  EXPECT_EQ(during.error().error.errc(), Errc::account_locked);
  EXPECT_EQ(during.error().retry_at, clock_.now() + kMinute);
  EXPECT_EQ(count("sessions"), 0);

  clock_.advance(kMinute);
  auto after = login("alice@example.com", kPassword);
  ASSERT_TRUE(after) << after.error().error.message();
  auto user = directory().get_user(alice_.id);
  EXPECT_EQ(user->failed_login_count, 0);
}

TEST_P(AuthTest, ASuccessResetsTheFailureCount) {
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(login("alice@example.com", "wrong password!!"));
  ASSERT_TRUE(login("alice@example.com", kPassword));
  for (int i = 0; i < 4; ++i) {
    auto r = login("alice@example.com", "wrong password!!");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().error.errc(), Errc::unauthenticated) << i;
  }
}

TEST_P(AuthTest, UnknownEmailsLockOutLikeRealOnes) {
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(login("ghost@example.com", "whatever password"));
  auto fifth = login("ghost@example.com", "whatever password");
  ASSERT_FALSE(fifth);
  EXPECT_EQ(fifth.error().error.errc(), Errc::account_locked);
  EXPECT_EQ(fifth.error().retry_at, clock_.now() + 15 * kMinute);
  auto sixth = login("GHOST@example.com", "whatever password");
  EXPECT_EQ(sixth.error().error.errc(), Errc::account_locked);
  EXPECT_EQ(sixth.error().error.message(), fifth.error().error.message());
  clock_.advance(15 * kMinute);
  EXPECT_EQ(login("ghost@example.com", "whatever password").error().error.errc(),
            Errc::unauthenticated);
}

TEST_P(AuthTest, OneAddressIsThrottledAfterTwentyFailures) {
  // Spread over many e-mail addresses so no single user locks.
  for (int i = 0; i < 20; ++i) {
    auto r = login("victim" + std::to_string(i) + "@example.com", "guess password");
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().error.errc(), Errc::unauthenticated) << i;
    clock_.advance(kMicrosPerSecond);
  }
  auto throttled = login("alice@example.com", kPassword);  // even the right password
  ASSERT_FALSE(throttled);
  EXPECT_EQ(throttled.error().error.errc(), Errc::too_many_requests);
  ASSERT_TRUE(throttled.error().retry_at);
  EXPECT_GT(*throttled.error().retry_at, clock_.now());
  EXPECT_LE(*throttled.error().retry_at, clock_.now() + 15 * kMinute);

  // Refused attempts are audited once per address and window, not once each.
  auto audited_before = count("audit_log");
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(login("alice@example.com", kPassword));
  EXPECT_EQ(count("audit_log"), audited_before) << "the first throttled attempt was already audited";

  // Other addresses are unaffected.
  EXPECT_TRUE(login("alice@example.com", kPassword, "203.0.113.99"));
  clock_.set(*throttled.error().retry_at);
  EXPECT_TRUE(login("alice@example.com", kPassword));
}

TEST_P(AuthTest, DisabledUsersCannotSignIn) {
  ASSERT_TRUE(directory().set_user_status(alice_.id, UserStatus::disabled, Actor::operator_cli()));
  auto wrong = login("alice@example.com", "wrong password!!");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().error.errc(),
            Errc::unauthenticated);  // nothing revealed without the password
  auto right = login("alice@example.com", kPassword);
  ASSERT_FALSE(right);
  EXPECT_EQ(right.error().error.errc(), Errc::forbidden);
  EXPECT_EQ(count("sessions"), 0);
}

TEST_P(AuthTest, LoginRotatesThePresentedSession) {
  auto first = login("alice@example.com", kPassword);
  ASSERT_TRUE(first);
  auto second = login("alice@example.com", kPassword, "203.0.113.5", first->session.token);
  ASSERT_TRUE(second);
  EXPECT_NE(second->session.token, first->session.token);
  EXPECT_FALSE(sessions().resolve(first->session.token));
  EXPECT_TRUE(sessions().resolve(second->session.token));
  EXPECT_EQ(count("sessions"), 1);
}

TEST_P(AuthTest, PasswordIsRehashedWhenParametersChange) {
  const std::string before = stored_hash(alice_.id);
  crypto::PasswordParams stronger = crypto::PasswordParams::minimal();
  stronger.opslimit += 1;
  crypto::PasswordHasher new_hasher(stronger);
  ASSERT_TRUE(new_hasher.needs_rehash(before));
  AuthService upgraded(db(), clock_, audit_, new_hasher, sessions());

  auto r = upgraded.login({"alice@example.com", kPassword, "203.0.113.5", "ua", "req", ""});
  ASSERT_TRUE(r) << r.error().error.message();
  const std::string after = stored_hash(alice_.id);
  EXPECT_NE(after, before);
  EXPECT_FALSE(new_hasher.needs_rehash(after));
  EXPECT_TRUE(new_hasher.verify(after, kPassword));
  EXPECT_EQ(audit_entries("user.login.succeeded")[0].fields.details["password_rehashed"], true);

  // Same parameters: the hash stays.
  ASSERT_TRUE(upgraded.login({"alice@example.com", kPassword, "203.0.113.5", "ua", "req", ""}));
  EXPECT_EQ(stored_hash(alice_.id), after);
}

TEST_P(AuthTest, PurgeDropsOldThrottleRecords) {
  ASSERT_FALSE(login("ghost@example.com", "whatever password"));
  EXPECT_EQ(count("login_failures"), 2);  // the IP and the unknown address
  clock_.advance(25LL * 60 * kMinute);
  auto purged = auth().purge_throttle_records();
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 2);
}

CS_INSTANTIATE_BOTH_BACKENDS(AuthTest);

}  // namespace
}  // namespace cs::identity::testing
