// Rate limits and the polling rule (issue 5 §4) with a controlled clock: the 429 at the exact
// count, the 30-second burst window, per-app overrides, sharing counts between two servers,
// and polling violations in record and reject mode.
#include "calllog/polling_rule.hpp"
#include "calllog/rate_limiter.hpp"
#include "calllog_fixture.hpp"

namespace cs::testing {
namespace {

using calllog::AppRateLimits;
using calllog::PollingMode;
using calllog::PollingRule;
using calllog::RateLimiter;

TEST(RateLimiterTest, RefusesAtExactlyTheHourlyLimitAndCountsRemaining) {
  ManualClock clock(kMarch2 + 10 * kMinute);
  RateLimiter limiter(clock, AppRateLimits{5, 100, 100});
  for (int i = 1; i <= 5; ++i) {
    auto d = limiter.take("app_a", "acc_1", false);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.hourly_limit, 5);
    EXPECT_EQ(d.hourly_remaining, 5 - i);
    EXPECT_EQ(d.hourly_reset, kMarch2 + kHour);  // windows are aligned to the hour
  }
  auto refused = limiter.take("app_a", "acc_1", false);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.hourly_remaining, 0);
  EXPECT_EQ(refused.retry_after_s, 50 * 60);  // until the top of the hour
  // Another account of the same app, and another app on the same account, have their own counts.
  EXPECT_TRUE(limiter.take("app_a", "acc_2", false).allowed);
  EXPECT_TRUE(limiter.take("app_b", "acc_1", false).allowed);
  // A refused call is not counted: the next hour starts from zero.
  clock.set(kMarch2 + kHour);
  auto next = limiter.take("app_a", "acc_1", false);
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.hourly_remaining, 4);
}

TEST(RateLimiterTest, BurstWindowIsThirtySecondsAndDependsOnTheEnvironment) {
  ManualClock clock(kMarch2 + 5 * kMicrosPerSecond);
  RateLimiter limiter(clock, AppRateLimits{1000, 3, 2});
  EXPECT_TRUE(limiter.take("app_a", "sandbox", false).allowed);
  auto second = limiter.take("app_a", "sandbox", false);
  EXPECT_TRUE(second.allowed);
  EXPECT_EQ(second.burst_limit, 2);
  EXPECT_EQ(second.burst_remaining, 0);
  auto over = limiter.take("app_a", "sandbox", false);
  EXPECT_FALSE(over.allowed);
  EXPECT_EQ(over.retry_after_s, 25);  // the burst window ends at :30
  EXPECT_EQ(over.hourly_remaining, 998);
  // Production accounts get the production burst.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("app_a", "prod", true).allowed) << i;
  EXPECT_FALSE(limiter.take("app_a", "prod", true).allowed);
  // The next burst window admits again; the hour keeps counting.
  clock.set(kMarch2 + 30 * kMicrosPerSecond);
  auto again = limiter.take("app_a", "sandbox", false);
  EXPECT_TRUE(again.allowed);
  EXPECT_EQ(again.burst_remaining, 1);
  EXPECT_EQ(again.hourly_remaining, 997);
}

TEST(RateLimiterTest, StaffOverridesApplyToTheirAppOnly) {
  ManualClock clock(kMarch2);
  RateLimiter limiter(clock, AppRateLimits{2, 10, 10});
  limiter.set_override("app_big", AppRateLimits{4, 10, 10});
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.take("app_big", "acc", false).allowed);
  EXPECT_FALSE(limiter.take("app_big", "acc", false).allowed);
  EXPECT_TRUE(limiter.take("app_small", "acc", false).allowed);
  EXPECT_TRUE(limiter.take("app_small", "acc", false).allowed);
  EXPECT_FALSE(limiter.take("app_small", "acc", false).allowed);
}

class RateSyncTest : public BothBackends {};

// Two servers on one database: after a sync each sees the other's calls.
TEST_P(RateSyncTest, TwoNodesShareTheirCountsThroughTheDatabase) {
  ManualClock clock(kMarch2 + kMinute);
  RateLimiter a(clock, AppRateLimits{10, 100, 100});
  RateLimiter b(clock, AppRateLimits{10, 100, 100});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(a.take("app", "acc", false).allowed);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b.take("app", "acc", false).allowed);
  ASSERT_TRUE(a.sync(db()));
  ASSERT_TRUE(b.sync(db()));
  ASSERT_TRUE(a.sync(db()));  // a learns b's 3
  EXPECT_EQ(a.take("app", "acc", false).hourly_remaining, 10 - 8);
  // b has not heard of a's 8th call yet: within one sync interval a node can be one behind.
  EXPECT_EQ(b.take("app", "acc", false).hourly_remaining, 10 - 8);
  ASSERT_TRUE(a.sync(db()));
  ASSERT_TRUE(b.sync(db()));
  ASSERT_TRUE(a.sync(db()));
  // Both now see the cluster's 9 calls: one more is allowed, then both refuse.
  EXPECT_TRUE(b.take("app", "acc", false).allowed);
  ASSERT_TRUE(b.sync(db()));
  ASSERT_TRUE(a.sync(db()));
  EXPECT_FALSE(a.take("app", "acc", false).allowed);
  EXPECT_FALSE(b.take("app", "acc", false).allowed);
  auto lease = this->lease();
  auto row = lease->query_one("SELECT count FROM ratelimit_counters WHERE app_id = 'app' AND kind = 'hour'");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->int64(0), 10);
}

CS_INSTANTIATE_BOTH_BACKENDS(RateSyncTest);

TEST(PollingRuleTest, StatusReadsAreTheEnvelopeAndRecipientsGets) {
  EXPECT_TRUE(PollingRule::is_status_read("GET", "/v1/envelopes/{id}"));
  EXPECT_TRUE(PollingRule::is_status_read("HEAD", "/v1/envelopes/{id}"));
  EXPECT_TRUE(PollingRule::is_status_read("GET", "/v1/envelopes/{id}/recipients"));
  EXPECT_FALSE(PollingRule::is_status_read("PATCH", "/v1/envelopes/{id}"));
  EXPECT_FALSE(PollingRule::is_status_read("GET", "/v1/envelopes"));
  EXPECT_FALSE(PollingRule::is_status_read("GET", "/v1/envelopes/{id}/documents/{doc}"));
}

TEST(PollingRuleTest, RecordModeFlagsReadsWithinFifteenMinutesOfTheLast) {
  ManualClock clock(kMarch2);
  PollingRule rule(clock, PollingMode::record);
  EXPECT_FALSE(rule.check("app_a", "env_1").violation);
  clock.advance(14 * kMinute + 59 * kMicrosPerSecond);
  auto second = rule.check("app_a", "env_1");
  EXPECT_TRUE(second.violation);
  EXPECT_FALSE(second.reject);
  // Another envelope, or another app on the same envelope, is its own count.
  EXPECT_FALSE(rule.check("app_a", "env_2").violation);
  EXPECT_FALSE(rule.check("app_b", "env_1").violation);
  // The violating read restarted the 15 minutes (it was served).
  clock.advance(14 * kMinute);
  EXPECT_TRUE(rule.check("app_a", "env_1").violation);
  clock.advance(15 * kMinute);
  EXPECT_FALSE(rule.check("app_a", "env_1").violation);
}

TEST(PollingRuleTest, RejectModeRefusesWithRetryAfterAndKeepsTheFirstRead) {
  ManualClock clock(kMarch2);
  PollingRule rule(clock, PollingMode::reject);
  EXPECT_FALSE(rule.check("app_a", "env_1").reject);
  clock.advance(10 * kMinute);
  auto refused = rule.check("app_a", "env_1");
  EXPECT_TRUE(refused.violation);
  EXPECT_TRUE(refused.reject);
  EXPECT_EQ(refused.retry_after_s, 5 * 60);
  // The refused read did not restart the interval: 15 minutes after the first read it is fine.
  clock.advance(5 * kMinute);
  EXPECT_FALSE(rule.check("app_a", "env_1").violation);
}

}  // namespace
}  // namespace cs::testing
