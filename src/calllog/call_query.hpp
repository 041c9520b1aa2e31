// Reading the call log (issue 5 §2): filtered, cursor-paginated lists (also the source of the
// streamed exports) and the per-day summary. Every query is scoped to one app; the web layer
// decides who may read which app.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "calllog/call_record.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::calllog {

inline constexpr Micros kMaxQueryRange = 31LL * 86'400 * kMicrosPerSecond;

struct CallFilter {
  std::string app_id;
  Micros from = 0;  // inclusive
  Micros to = 0;    // exclusive
  std::optional<int> status_class;  // 1..5
  std::optional<std::string> route;
  std::optional<std::string> resource_id;
};

// invalid_request naming the field: from not before to, a range over 31 days, a status class
// outside 1..5.
Status validate(const CallFilter& filter);

// Calls are ordered by (at, id), oldest first; a cursor is the position of the last call of a
// page, opaque to clients (base64url).
struct Cursor {
  Micros at = 0;
  std::string id;
};
std::string encode_cursor(const Cursor& c);
// invalid_request (field "cursor") for anything encode_cursor did not produce.
Result<Cursor> decode_cursor(std::string_view text);

struct CallPage {
  std::vector<CallRecord> calls;
  std::optional<std::string> next_cursor;  // set when more calls match
};

Result<CallPage> list_calls(store::Database& db, const CallFilter& filter, const std::optional<Cursor>& after,
                            std::size_t limit);

struct CountByKey {
  std::string key;
  std::int64_t count = 0;
};

// One UTC day of one app's calls.
struct DaySummary {
  std::string date;  // YYYY-MM-DD (UTC)
  std::int64_t total = 0;
  std::array<std::int64_t, 6> by_class{};  // index 1..5 = 1xx..5xx
  std::int64_t p50_latency_us = 0, p95_latency_us = 0;
  std::vector<CountByKey> top_error_codes;  // at most 5, most frequent first
  std::vector<CountByKey> routes;           // "GET /v1/envelopes/{id}", most used first
};

// Days of [from, to) that have calls, oldest first.
Result<std::vector<DaySummary>> summarize_days(store::Database& db, const std::string& app_id, Micros from, Micros to);

// The SELECT list matching call_from_row().
inline constexpr std::string_view kCallColumns =
    "id, at, request_id, app_id, app_version_id, partner_org_id, account_id, user_id, auth, method, route, "
    "resource_id, status, error_code, latency_us, bytes_in, bytes_out, client_ip, user_agent, polling_violation";
CallRecord call_from_row(const store::Row& row);

std::string format_utc_date(Micros t);

// RFC 3339 ("2026-03-01T00:00:00Z", "2026-03-01T09:30:00.25+01:00"); invalid_request naming
// `field` otherwise.
Result<Micros> parse_rfc3339(std::string_view text, std::string_view field);

}  // namespace cs::calllog
