// The certification review of an app's API behaviour (DESIGN.md "API call log review", issue 5
// §2). Used by certification and exposed to partners so they can check themselves first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calllog/call_query.hpp"
#include "calllog/call_record.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::calllog {

// Process step "API call log review": 20 successful happy-path calls on the partner's date.
inline constexpr std::size_t kHappyPathCalls = 20;

struct HappyPath {
  std::string date;       // YYYY-MM-DD as asked
  std::string time_zone;  // IANA
  Micros day_start = 0;   // the local day's bounds in UTC
  Micros day_end = 0;
  std::vector<CallRecord> calls;  // the first (up to) 20 2xx calls that are not auth calls
  bool shortfall() const { return calls.size() < kHappyPathCalls; }
};

// validation_failed (field date / time_zone) for a malformed date or an unknown zone. Days in
// zones with a DST change are 23 or 25 hours long, exactly as the partner lived them.
Result<HappyPath> happy_path_calls(store::Database& db, const std::string& app_id, std::string_view date,
                                   std::string_view time_zone);

struct ErrorCount {
  int status = 0;
  std::string code;
  std::int64_t count = 0;
};

struct BehaviourReport {
  Micros from = 0, to = 0;
  std::int64_t total = 0;       // every call, auth calls included
  std::int64_t auth_calls = 0;  // /oauth/* and userinfo
  std::int64_t client_errors = 0, server_errors = 0;
  double error_rate = 0;                // (4xx + 5xx) / total
  std::vector<ErrorCount> errors;       // 4xx/5xx by status and code, most frequent first
  std::int64_t rate_limited = 0;        // 429s
  std::int64_t status_reads = 0;        // polling-rule routes
  std::int64_t polling_violations = 0;
  std::vector<CallRecord> violation_examples;  // the first few
  std::vector<CountByKey> routes;              // "GET /v1/envelopes/{id}", most used first
  // Enabled webhook subscriptions of the app (any account); nullopt when unknown.
  std::optional<std::int64_t> webhook_subscriptions;
  // "webhooks", "polling", "both" or "neither": how the app learns about status changes.
  std::string status_tracking;
};

// invalid_request for a bad range (as validate()).
Result<BehaviourReport> behaviour_report(store::Database& db, const std::string& app_id, Micros from, Micros to);

}  // namespace cs::calllog
