// Reading the log and the review functions (issue 5 §2): cursor pages, filters and their
// validation, the per-day summary, happy-path extraction across time zones and day boundaries
// with the shortfall report, and the behaviour report. On both backends.
#include <set>

#include "calllog/call_query.hpp"
#include "calllog/review.hpp"
#include "calllog_fixture.hpp"

namespace cs::testing {
namespace {

using calllog::CallFilter;

class ReviewTest : public BothBackends {};

TEST_P(ReviewTest, CursorPagesCoverEveryMatchingCallOnceInOrder) {
  std::vector<calllog::CallRecord> calls;
  for (int i = 0; i < 25; ++i) calls.push_back(make_call(kMarch2 + (i / 5) * kMinute, i % 5 == 0 ? 404 : 200));
  calls.push_back(make_call(kMarch2, 200, "/v1/envelopes/{id}", "app_other"));
  insert_calls(db(), calls);
  CallFilter f{"app_one", kMarch2, kMarch2 + kHour, {}, {}, {}};
  std::set<std::string> seen;
  std::optional<calllog::Cursor> after;
  Micros last = 0;
  int pages = 0;
  for (;;) {
    auto page = calllog::list_calls(db(), f, after, 7);
    ASSERT_TRUE(page);
    ++pages;
    for (const auto& c : page->calls) {
      EXPECT_TRUE(seen.insert(c.id).second);
      EXPECT_GE(c.at, last);
      last = c.at;
      EXPECT_EQ(c.app_id, "app_one");
    }
    if (!page->next_cursor) break;
    auto decoded = calllog::decode_cursor(*page->next_cursor);
    ASSERT_TRUE(decoded);
    after = *decoded;
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(pages, 4);

  f.status_class = 4;
  auto errors = calllog::list_calls(db(), f, std::nullopt, 100);
  ASSERT_TRUE(errors);
  EXPECT_EQ(errors->calls.size(), 5u);
  f.status_class.reset();
  f.route = "/v1/accounts/{id}";
  EXPECT_TRUE(calllog::list_calls(db(), f, std::nullopt, 100)->calls.empty());
  f.route.reset();
  f.resource_id = "env_1";
  EXPECT_EQ(calllog::list_calls(db(), f, std::nullopt, 100)->calls.size(), 25u);
}

TEST(CallFilterTest, BadRangesCursorsAndTimesAreInvalidRequests) {
  auto field_of = [](const auto& r) { return r.error().field(); };
  auto backwards = calllog::validate({"a", kMarch2, kMarch2, {}, {}, {}});
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().errc(), Errc::invalid_request);
  EXPECT_EQ(field_of(backwards), "from");
  auto too_long = calllog::validate({"a", kMarch2, kMarch2 + 32 * 24 * kHour, {}, {}, {}});
  ASSERT_FALSE(too_long);
  EXPECT_EQ(field_of(too_long), "to");
  EXPECT_TRUE(calllog::validate({"a", kMarch2, kMarch2 + 31 * 24 * kHour, {}, {}, {}}));
  for (const char* bad : {"", "x", "bm90IGEgY3Vyc29y", "MTIzOmNhbGxfeA'", "MTIzOg"}) {
    auto c = calllog::decode_cursor(bad);
    EXPECT_FALSE(c) << bad;
    if (!c) {
      EXPECT_EQ(c.error().field(), "cursor");
    }
  }
  auto round = calllog::decode_cursor(calllog::encode_cursor({kMarch2, "call_abc"}));
  ASSERT_TRUE(round);
  EXPECT_EQ(round->at, kMarch2);
  EXPECT_EQ(round->id, "call_abc");
  EXPECT_EQ(*calllog::parse_rfc3339("2026-03-02T00:00:00Z", "from"), kMarch2);
  EXPECT_EQ(*calllog::parse_rfc3339("2026-03-02T01:00:00.5+01:00", "from"), kMarch2 + 500'000);
  for (const char* bad : {"2026-03-02", "2026-03-02T00:00:00", "yesterday", "2026-13-02T00:00:00Z", "2026-03-02T00:00:00Zjunk"}) {
    auto t = calllog::parse_rfc3339(bad, "to");
    EXPECT_FALSE(t) << bad;
    if (!t) {
      EXPECT_EQ(t.error().field(), "to");
    }
  }
}

TEST_P(ReviewTest, HappyPathFollowsTheLocalDayAndLeavesOutAuthAndFailedCalls) {
  // 2026-03-08 is the day US clocks spring forward: in Los Angeles it runs from 08:00Z to
  // 07:00Z the next day (23 hours).
  const Micros march8 = 1'772'928'000LL * kMicrosPerSecond;
  std::vector<calllog::CallRecord> calls;
  calls.push_back(make_call(march8 + 7 * kHour + 59 * kMinute));  // 23:59 on the 7th, local
  for (int i = 0; i < 40; ++i) {
    auto c = make_call(march8 + 8 * kHour + i * kMinute, i % 3 == 0 ? 500 : 200);
    if (i == 1) c.auth = true;  // a token call: never a happy-path call
    calls.push_back(c);
  }
  calls.push_back(make_call(march8 + 31 * kHour - 1));    // the last microsecond of the local day
  calls.push_back(make_call(march8 + 31 * kHour));        // 00:00 on the 9th, local
  insert_calls(db(), calls);

  auto la = calllog::happy_path_calls(db(), "app_one", "2026-03-08", "America/Los_Angeles");
  ASSERT_TRUE(la) << la.error().message();
  EXPECT_EQ(la->day_start, march8 + 8 * kHour);
  EXPECT_EQ(la->day_end, march8 + 31 * kHour);
  ASSERT_EQ(la->calls.size(), 20u);
  EXPECT_FALSE(la->shortfall());
  for (const auto& c : la->calls) {
    EXPECT_EQ(c.status, 200);
    EXPECT_FALSE(c.auth);
    EXPECT_GE(c.at, la->day_start);
  }
  EXPECT_EQ(la->calls.front().at, march8 + 8 * kHour + 2 * kMinute);  // 0 failed, 1 auth
  // The first 20 qualifying calls in time order: i = 2,4,5,7,8,... — none from the next day.
  EXPECT_LT(la->calls.back().at, march8 + 9 * kHour);

  // In UTC the same date holds only the 23:59 local call of the 7th... and the morning ones.
  auto utc = calllog::happy_path_calls(db(), "app_one", "2026-03-09", "UTC");
  ASSERT_TRUE(utc);
  EXPECT_EQ(utc->calls.size(), 2u);  // 07:00Z - 1 µs and 07:00Z on the 9th
  EXPECT_TRUE(utc->shortfall());

  auto tokyo = calllog::happy_path_calls(db(), "app_one", "2026-03-10", "Asia/Tokyo");
  ASSERT_TRUE(tokyo);
  EXPECT_TRUE(tokyo->calls.empty());
  EXPECT_TRUE(tokyo->shortfall());

  auto bad_zone = calllog::happy_path_calls(db(), "app_one", "2026-03-08", "Mars/Olympus_Mons");
  ASSERT_FALSE(bad_zone);
  EXPECT_EQ(bad_zone.error().field(), "time_zone");
  auto bad_date = calllog::happy_path_calls(db(), "app_one", "2026-02-30", "UTC");
  ASSERT_FALSE(bad_date);
  EXPECT_EQ(bad_date.error().field(), "date");
}

TEST_P(ReviewTest, BehaviourReportCountsErrorsLimitsPollingAndRoutes) {
  std::vector<calllog::CallRecord> calls;
  for (int i = 0; i < 6; ++i) calls.push_back(make_call(kMarch2 + i * kMinute, 200));
  calls.push_back(make_call(kMarch2 + 10 * kMinute, 404));
  calls.push_back(make_call(kMarch2 + 11 * kMinute, 429));
  calls.push_back(make_call(kMarch2 + 12 * kMinute, 429));
  calls.push_back(make_call(kMarch2 + 13 * kMinute, 503, "/v1/accounts/{id}"));
  calls[2].polling_violation = true;
  calls[3].polling_violation = true;
  auto token = make_call(kMarch2 + 14 * kMinute, 200, "/oauth/token");
  token.auth = true;
  token.method = "POST";
  calls.push_back(token);
  calls.push_back(make_call(kMarch2 + 2 * kHour, 200, "/v1/envelopes/{id}", "app_other"));
  insert_calls(db(), calls);

  auto r = calllog::behaviour_report(db(), "app_one", kMarch2, kMarch2 + kHour);
  ASSERT_TRUE(r) << r.error().detail();
  EXPECT_EQ(r->total, 11);
  EXPECT_EQ(r->auth_calls, 1);
  EXPECT_EQ(r->client_errors, 3);
  EXPECT_EQ(r->server_errors, 1);
  EXPECT_DOUBLE_EQ(r->error_rate, 4.0 / 11.0);
  EXPECT_EQ(r->rate_limited, 2);
  ASSERT_GE(r->errors.size(), 3u);
  EXPECT_EQ(r->errors[0].status, 429);
  EXPECT_EQ(r->errors[0].code, "rate_limited");
  EXPECT_EQ(r->errors[0].count, 2);
  EXPECT_EQ(r->polling_violations, 2);
  ASSERT_EQ(r->violation_examples.size(), 2u);
  EXPECT_EQ(r->violation_examples[0].id, calls[2].id);
  EXPECT_EQ(r->status_reads, 9);  // GET /v1/envelopes/{id} calls
  ASSERT_EQ(r->routes.size(), 3u);
  EXPECT_EQ(r->routes[0].key, "GET /v1/envelopes/{id}");
  EXPECT_EQ(r->routes[0].count, 9);
  ASSERT_TRUE(r->webhook_subscriptions.has_value());  // the webhooks table exists (0007)
  EXPECT_EQ(*r->webhook_subscriptions, 0);
  EXPECT_EQ(r->status_tracking, "polling");

  auto days = calllog::summarize_days(db(), "app_one", kMarch2, kMarch2 + 24 * kHour);
  ASSERT_TRUE(days);
  ASSERT_EQ(days->size(), 1u);
  EXPECT_EQ((*days)[0].date, "2026-03-02");
  EXPECT_EQ((*days)[0].total, 11);
  EXPECT_EQ((*days)[0].by_class[2], 7);
  EXPECT_EQ((*days)[0].by_class[4], 3);
  EXPECT_EQ((*days)[0].by_class[5], 1);
  EXPECT_EQ((*days)[0].p50_latency_us, 1000);
  EXPECT_EQ((*days)[0].top_error_codes[0].key, "not_found");  // 404 and 503 both use not_found in make_call
}

CS_INSTANTIATE_BOTH_BACKENDS(ReviewTest);

}  // namespace
}  // namespace cs::testing
