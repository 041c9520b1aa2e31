// The trace-capture service (issue 5 §3) on SQLite and PostgreSQL with a controlled clock:
// limits on duration and count, one active capture per app, expiry, stop, several servers sharing
// one capture, other apps untouched, and secrets redacted before they reach the database.
#include <gtest/gtest.h>

#include "audit/audit_log.hpp"
#include "calllog/trace_capture.hpp"
#include "crypto/tokens.hpp"
#include "store/params.hpp"
#include "support/test_database.hpp"

namespace cs::testing {
namespace {

using calllog::CapturedExchange;
using calllog::TraceCaptures;

constexpr Micros kStart = 1'772'409'600LL * kMicrosPerSecond;  // 2026-03-02T00:00:00Z
constexpr Micros kMinute = 60 * kMicrosPerSecond;

class TraceCaptureTest : public BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    auto conn = lease();
    for (auto org : {"ptn_a", "ptn_b"}) {
      ASSERT_TRUE(conn->exec(
          "INSERT INTO partner_orgs (id, name, professional_services, created_at, updated_at) "
          "VALUES ($1, $1, 0, 0, 0)",
          store::params(org)));
    }
    for (auto [app, org] : {std::pair{"app_one", "ptn_a"}, std::pair{"app_two", "ptn_a"},
                            std::pair{"app_other", "ptn_b"}}) {
      ASSERT_TRUE(
          conn->exec("INSERT INTO apps (id, client_id, partner_org_id, name, description, "
                     "documentation_url, support_url, "
                     "client_type, status, current_version_id, certified_version_id, created_at, "
                     "updated_at) VALUES "
                     "($1, $2, $3, $1, '', '', '', 'confidential', 'active', 'apv_x', NULL, 0, 0)",
                     store::params(app, std::string("ik_") + app, org)));
    }
  }

  CapturedExchange exchange(const std::string& capture_id, Micros at,
                            const std::string& request_id) {
    CapturedExchange x;
    x.capture_id = capture_id;
    x.at = at;
    x.request_id = request_id;
    x.method = "GET";
    x.target = "/v1/envelopes/env_1";
    x.status = 200;
    x.latency_us = 900;
    x.request_headers = {{"Authorization", "Bearer " + access_token}};
    x.response_headers = {{"Content-Type", "application/json"}};
    x.response_body = R"({"id":"env_1"})";
    return x;
  }

  // Captures `n` calls of `app` at `at` the way the web layer does: ask, then submit.
  int call(TraceCaptures& t, const std::string& app, Micros at, int n) {
    int captured = 0;
    for (int i = 0; i < n; ++i) {
      if (auto id = t.capture_for(app, at)) {
        t.submit(exchange(*id, at, app + "-" + std::to_string(i)));
        ++captured;
      }
    }
    t.flush();
    return captured;
  }

  std::int64_t count(const std::string& sql) {
    auto row = lease()->query_one(sql);
    EXPECT_TRUE(row && *row);
    return (*row)->int64(0);
  }

  ManualClock clock{kStart};
  audit::AuditLog audit{clock};
  identity::Actor actor = identity::Actor::user("usr_partner");
  std::string access_token = crypto::generate_token(crypto::kAccessTokenPrefix);
};

TEST_P(TraceCaptureTest, DurationAndCountAreBoundedAndNothingIsWrittenWhenRefused) {
  TraceCaptures t(db(), clock, audit);
  for (auto [minutes, max, field] :
       {std::tuple{0, 50, "duration_minutes"}, std::tuple{1441, 50, "duration_minutes"},
        std::tuple{60, 0, "max_requests"}, std::tuple{60, 1001, "max_requests"}}) {
    auto r = t.begin("app_one", "ptn_a", minutes, max, actor);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), "validation_failed");
    EXPECT_EQ(r.error().field(), field);
  }
  EXPECT_EQ(count("SELECT count(*) FROM trace_captures"), 0);
  auto longest = t.begin("app_one", "ptn_a", 1440, 1000, actor);
  ASSERT_TRUE(longest) << longest.error().detail();
  EXPECT_EQ(longest->expires_at, kStart + 24 * 60 * kMinute);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'trace_capture.started'"), 1);
}

TEST_P(TraceCaptureTest, OneActiveCapturePerAppAndUnknownAppsAreRefused) {
  TraceCaptures t(db(), clock, audit);
  ASSERT_TRUE(t.begin("app_one", "ptn_a", 60, 50, actor));
  auto second = t.begin("app_one", "ptn_a", 60, 50, actor);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), "conflict");
  EXPECT_TRUE(t.begin("app_two", "ptn_a", 60, 50, actor));  // another app has its own
  auto unknown = t.begin("app_missing", "ptn_a", 60, 50, actor);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), "not_found");
  EXPECT_EQ(count("SELECT count(*) FROM trace_captures"), 2);
}

TEST_P(TraceCaptureTest, CountLimitStopsTheCaptureAndOtherAppsAreUntouched) {
  TraceCaptures t(db(), clock, audit);
  auto c = t.begin("app_one", "ptn_a", 60, 3, actor);
  ASSERT_TRUE(c);
  EXPECT_EQ(call(t, "app_two", kStart + kMinute, 4), 0);
  EXPECT_EQ(call(t, "app_other", kStart + kMinute, 4), 0);
  EXPECT_EQ(call(t, "app_one", kStart + kMinute, 5), 3);
  auto entries = t.entries(c->id, 0, 100);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ((*entries)[i].seq, static_cast<std::int64_t>(i + 1));
  EXPECT_EQ(count("SELECT count(*) FROM trace_entries"), 3);
  auto got = t.get("app_one", c->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->captured, 3);
  EXPECT_FALSE(got->active(clock.now()));
  auto active = t.active("app_one");
  ASSERT_TRUE(active);
  EXPECT_FALSE(*active);
  // A full capture no longer blocks a new one.
  EXPECT_TRUE(t.begin("app_one", "ptn_a", 60, 3, actor));
}

TEST_P(TraceCaptureTest, ExpiryIsDecidedByTheCallsTime) {
  TraceCaptures t(db(), clock, audit);
  auto c = t.begin("app_one", "ptn_a", 10, 50, actor);
  ASSERT_TRUE(c);
  EXPECT_EQ(call(t, "app_one", kStart + 10 * kMinute - 1, 1), 1);
  EXPECT_EQ(call(t, "app_one", kStart + 10 * kMinute, 1), 0);
  // The database refuses an exchange after the expiry even when a server still submits it.
  t.submit(exchange(c->id, kStart + 11 * kMinute, "late"));
  t.flush();
  EXPECT_EQ(count("SELECT count(*) FROM trace_entries"), 1);
  clock.set(kStart + 10 * kMinute);
  auto active = t.active("app_one");
  ASSERT_TRUE(active);
  EXPECT_FALSE(*active);
  auto stop = t.end("app_one", actor);
  ASSERT_FALSE(stop);
  EXPECT_EQ(stop.error().code(), "not_found");
}

TEST_P(TraceCaptureTest, StopEndsCapturingAtOnce) {
  TraceCaptures t(db(), clock, audit);
  auto c = t.begin("app_one", "ptn_a", 60, 50, actor);
  ASSERT_TRUE(c);
  EXPECT_EQ(call(t, "app_one", kStart + kMinute, 2), 2);
  clock.set(kStart + 2 * kMinute);
  auto stopped = t.end("app_one", actor);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->captured, 2);
  EXPECT_EQ(stopped->stopped_at, kStart + 2 * kMinute);
  EXPECT_EQ(call(t, "app_one", kStart + 3 * kMinute, 2), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'trace_capture.stopped'"), 1);
  auto list = t.list("app_one");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, c->id);
  // A capture is only reachable through its own app.
  auto foreign = t.get("app_other", c->id);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code(), "not_found");
}

// Two servers on one database: the second learns of the capture on refresh, and the database
// keeps their total at max_requests even though each claimed up to the limit locally.
TEST_P(TraceCaptureTest, ServersShareOneCaptureAndItsLimit) {
  auto other_db = open_another();
  TraceCaptures a(db(), clock, audit);
  TraceCaptures b(*other_db, clock, audit);
  auto c = a.begin("app_one", "ptn_a", 60, 4, actor);
  ASSERT_TRUE(c);
  EXPECT_FALSE(b.capture_for("app_one", kStart + kMinute));  // not refreshed yet
  ASSERT_TRUE(b.refresh());
  EXPECT_EQ(call(a, "app_one", kStart + kMinute, 3), 3);
  EXPECT_EQ(call(b, "app_one", kStart + kMinute, 3), 3);      // claimed locally ...
  EXPECT_EQ(count("SELECT count(*) FROM trace_entries"), 4);  // ... but only 4 stored
  EXPECT_EQ(count("SELECT max(seq) FROM trace_entries"), 4);
  ASSERT_TRUE(b.refresh());
  EXPECT_FALSE(b.capture_for("app_one", kStart + kMinute));
}

TEST_P(TraceCaptureTest, TheWriterThreadStoresRedactedEntries) {
  TraceCaptures t(db(), clock, audit, {.refresh_interval = std::chrono::milliseconds(50)});
  ASSERT_TRUE(t.start());
  auto c = t.begin("app_one", "ptn_a", 60, 50, actor);
  ASSERT_TRUE(c);
  auto id = t.capture_for("app_one", kStart + kMinute);
  ASSERT_TRUE(id);
  auto x = exchange(*id, kStart + kMinute, "req-secret");
  auto refresh = crypto::generate_token(crypto::kRefreshTokenPrefix);
  x.method = "POST";
  x.target = "/oauth/token?client_secret=plain";
  x.request_headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  x.request_body = "grant_type=refresh_token&refresh_token=" + refresh;
  x.response_body =
      R"({"access_token":")" + access_token + R"(","refresh_token":")" + refresh + R"("})";
  ASSERT_TRUE(t.submit(std::move(x)));
  t.flush();
  EXPECT_EQ(t.written(), 1u);
  auto row = lease()->query_one(
      "SELECT url || request_headers || request_body || response_headers || response_body FROM "
      "trace_entries");
  ASSERT_TRUE(row && *row);
  const auto& stored = (*row)->text(0);
  EXPECT_EQ(stored.find(access_token), std::string::npos) << stored;
  EXPECT_EQ(stored.find(refresh), std::string::npos) << stored;
  EXPECT_EQ(stored.find("plain"), std::string::npos) << stored;
  EXPECT_NE(stored.find("[REDACTED]"), std::string::npos);
  t.stop();
}

CS_INSTANTIATE_BOTH_BACKENDS(TraceCaptureTest);

}  // namespace
}  // namespace cs::testing
