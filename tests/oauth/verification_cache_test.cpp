// The bearer verification cache on its own: what it serves, until when, and how much it holds.
#include <gtest/gtest.h>

#include <string>

#include "oauth/verification_cache.hpp"

namespace cs::oauth {
namespace {

constexpr Micros kT0 = 1'700'000'000LL * kMicrosPerSecond;

AccessContext access(std::string token_id) {
  AccessContext a;
  a.token_id = std::move(token_id);
  a.grant_id = "grt_1";
  a.account_id = "acc_1";
  a.scopes = {"account:read"};
  return a;
}

TEST(VerificationCacheTest, ServesForExactlyTheTtlAfterTheRead) {
  AccessEpoch epoch;
  VerificationCache cache(epoch);
  cache.insert("h1", access("tok_1"), kT0 + 3600 * kMicrosPerSecond, kT0, epoch.current());
  auto hit = cache.find("h1", kT0 + kVerificationTtl - 1);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->token_id, "tok_1");
  EXPECT_EQ(hit->scopes, std::vector<std::string>{"account:read"});
  EXPECT_FALSE(cache.find("h1", kT0 + kVerificationTtl));
  EXPECT_FALSE(cache.find("h2", kT0));
}

TEST(VerificationCacheTest, NeverServesAtOrAfterTheTokensExpiry) {
  AccessEpoch epoch;
  VerificationCache cache(epoch);
  Micros expires = kT0 + kVerificationTtl / 2;
  cache.insert("h1", access("tok_1"), expires, kT0, epoch.current());
  EXPECT_TRUE(cache.find("h1", expires - 1));
  EXPECT_FALSE(cache.find("h1", expires));
}

TEST(VerificationCacheTest, AnAdvancedEpochDropsEverything) {
  AccessEpoch epoch;
  VerificationCache cache(epoch);
  cache.insert("h1", access("tok_1"), kT0 + kMicrosPerSecond * 10, kT0, epoch.current());
  cache.insert("h2", access("tok_2"), kT0 + kMicrosPerSecond * 10, kT0, epoch.current());
  ASSERT_TRUE(cache.find("h1", kT0));
  epoch.advance();
  EXPECT_FALSE(cache.find("h1", kT0));
  EXPECT_FALSE(cache.find("h2", kT0));
}

TEST(VerificationCacheTest, AReadThatRacedAChangeIsNotKept) {
  AccessEpoch epoch;
  VerificationCache cache(epoch);
  auto before_read = cache.epoch();
  epoch.advance();  // a revocation commits while the database is being read
  cache.insert("h1", access("tok_1"), kT0 + kMicrosPerSecond * 10, kT0, before_read);
  EXPECT_FALSE(cache.find("h1", kT0));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(VerificationCacheTest, StaysWithinItsCapacity) {
  AccessEpoch epoch;
  VerificationCache cache(epoch, kVerificationTtl, 64);
  for (int i = 0; i < 10'000; ++i)
    cache.insert("h" + std::to_string(i), access("tok"), kT0 + kMicrosPerSecond, kT0,
                 epoch.current());
  EXPECT_LE(cache.size(), cache.capacity());
  EXPECT_GT(cache.size(), 0u);
  // The newest entry is always kept.
  EXPECT_TRUE(cache.find("h9999", kT0));
}

}  // namespace
}  // namespace cs::oauth
