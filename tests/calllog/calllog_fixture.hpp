// Shared helpers for the call-log tests: records with sensible defaults, written straight to
// the table with append_calls, as the batch writer does (COPY on PostgreSQL; the Recorder has its
// own tests).
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "calllog/call_record.hpp"
#include "calllog/call_writer.hpp"
#include "calllog/recorder.hpp"
#include "core/ids.hpp"
#include "store/params.hpp"
#include "support/test_database.hpp"

namespace cs::testing {

inline calllog::CallRecord make_call(Micros at, int status = 200, std::string route = "/v1/envelopes/{id}",
                                     std::string app = "app_one") {
  calllog::CallRecord c;
  c.id = new_id("call");
  c.at = at;
  c.request_id = "req-" + c.id.substr(5, 8);
  c.app_id = std::move(app);
  c.app_version_id = "apv_1";
  c.partner_org_id = "org_1";
  c.account_id = "acc_1";
  c.user_id = "usr_1";
  c.method = "GET";
  c.route = std::move(route);
  if (c.route.starts_with("/v1/envelopes/{id}")) c.resource_id = "env_1";
  c.status = status;
  if (status >= 400) c.error_code = status == 429 ? "rate_limited" : "not_found";
  c.latency_us = 1000;
  c.bytes_in = 0;
  c.bytes_out = 321;
  c.client_ip = "192.0.2.7";
  c.user_agent = "test-agent/1.0";
  return c;
}

inline void insert_calls(store::Database& db, const std::vector<calllog::CallRecord>& calls) {
  auto lease = db.connect();
  ASSERT_TRUE(lease);
  auto s = calllog::append_calls(**lease, calls);
  ASSERT_TRUE(s) << s.error().detail();
}

inline std::int64_t count_calls(store::Database& db, const std::string& where = "1 = 1") {
  auto lease = db.connect();
  auto row = (*lease)->query_one("SELECT count(*) FROM api_calls WHERE " + where);
  EXPECT_TRUE(row && *row);
  return (*row)->int64(0);
}

// 2026-03-02T00:00:00Z, a Monday.
inline constexpr Micros kMarch2 = 1'772'409'600LL * kMicrosPerSecond;
inline constexpr Micros kHour = 3600 * kMicrosPerSecond;
inline constexpr Micros kMinute = 60 * kMicrosPerSecond;

}  // namespace cs::testing
