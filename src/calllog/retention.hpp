// Call-log storage upkeep, run by the maintenance job (issue 5 §1: retention, default 90 days).
// PostgreSQL: api_calls is partitioned by day; partitions are created ahead of time and dropped
// whole when they fall out of retention. SQLite: rows are deleted in bounded chunks.
#pragma once

#include <string>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::calllog {

inline constexpr Micros kMicrosPerDay = 86'400LL * kMicrosPerSecond;

// "api_calls_p20260101" for the UTC day containing `t`.
std::string partition_name(Micros t);

// PostgreSQL: the daily partitions from yesterday to `days_ahead` days after `now` (creating
// one whose range already has rows in the default partition is impossible; that day's rows
// then stay in the default partition and are logged). SQLite: nothing. Returns how many
// partitions were created.
Result<std::int64_t> ensure_partitions(store::Database& db, Micros now, int days_ahead = 3);

// Removes calls older than `cutoff` (dropping whole partitions where possible). Returns the
// rows deleted row by row plus the partitions dropped.
Result<std::int64_t> purge_calls(store::Database& db, Micros cutoff);

// Rate-limit windows that ended before `cutoff` (they count nothing any more).
Result<std::int64_t> purge_rate_windows(store::Database& db, Micros cutoff);

}  // namespace cs::calllog
