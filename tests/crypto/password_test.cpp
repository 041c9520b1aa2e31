#include "crypto/password.hpp"

#include <gtest/gtest.h>

namespace cs::crypto {
namespace {

TEST(Password, HashesWithArgon2idAndVerifies) {
  PasswordHasher hasher(PasswordParams::minimal());
  auto stored = hasher.hash("correct horse battery staple");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(stored->find("correct horse"), std::string::npos);
  EXPECT_TRUE(hasher.verify(*stored, "correct horse battery staple"));
  EXPECT_FALSE(hasher.verify(*stored, "correct horse battery stapl"));
  EXPECT_FALSE(hasher.verify(*stored, ""));
  EXPECT_NE(*hasher.hash("same"), *hasher.hash("same"));  // salted
}

TEST(Password, MalformedStoredHashDoesNotVerify) {
  PasswordHasher hasher(PasswordParams::minimal());
  EXPECT_FALSE(hasher.verify("", "x"));
  EXPECT_FALSE(hasher.verify("plain-password", "plain-password"));
  EXPECT_FALSE(hasher.verify("$argon2id$v=19$garbage", "x"));
}

TEST(Password, OverlongPasswordsAreRefused) {
  PasswordHasher hasher(PasswordParams::minimal());
  const std::string at_limit(kMaxPasswordBytes, 'a');
  const std::string over_limit(kMaxPasswordBytes + 1, 'a');
  auto ok = hasher.hash(at_limit);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(hasher.verify(*ok, at_limit));
  auto refused = hasher.hash(over_limit);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::validation_failed);
  EXPECT_FALSE(hasher.verify(*ok, over_limit));
}

TEST(Password, NeedsRehashWhenParametersChange) {
  // Two cheap parameter sets that differ, so the test stays fast.
  PasswordParams weak = PasswordParams::minimal();
  PasswordParams stronger{weak.opslimit + 1, weak.memlimit * 2};
  PasswordHasher old_hasher(weak);
  PasswordHasher new_hasher(stronger);
  auto stored = old_hasher.hash("pw");
  ASSERT_TRUE(stored);
  EXPECT_FALSE(old_hasher.needs_rehash(*stored));
  EXPECT_TRUE(new_hasher.needs_rehash(*stored));
  // The old hash still verifies under the new hasher: login succeeds, then rehashes.
  EXPECT_TRUE(new_hasher.verify(*stored, "pw"));
  auto rehashed = new_hasher.hash("pw");
  ASSERT_TRUE(rehashed);
  EXPECT_FALSE(new_hasher.needs_rehash(*rehashed));
  EXPECT_TRUE(new_hasher.needs_rehash("not-a-hash"));
}

TEST(Password, ParamPresetsAreLibsodiumLimits) {
  EXPECT_EQ(PasswordParams::minimal().opslimit, 1u);
  EXPECT_EQ(PasswordParams::interactive().opslimit, 2u);
  EXPECT_EQ(PasswordParams::interactive().memlimit, 64u * 1024 * 1024);
}

}  // namespace
}  // namespace cs::crypto
