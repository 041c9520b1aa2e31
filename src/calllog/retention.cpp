#include "calllog/retention.hpp"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "store/params.hpp"

namespace cs::calllog {
namespace {

Micros day_start(Micros t) { return t - ((t % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay; }

// The day a partition name stands for; nullopt for the default partition or anything else.
std::optional<Micros> partition_day(const std::string& name) {
  constexpr std::string_view kPrefix = "api_calls_p";
  if (!name.starts_with(kPrefix) || name.size() != kPrefix.size() + 8) return std::nullopt;
  int y = 0, m = 0, d = 0;
  if (std::sscanf(name.c_str() + kPrefix.size(), "%4d%2d%2d", &y, &m, &d) != 3) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm), to stay free of time-zone machinery.
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t{era} * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return days * kMicrosPerDay;
}

}  // namespace

std::string partition_name(Micros t) {
  std::int64_t z = day_start(t) / kMicrosPerDay + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char buf[32];
  std::snprintf(buf, sizeof buf, "api_calls_p%04lld%02u%02u", static_cast<long long>(y + (m <= 2)), m, d);
  return buf;
}

Result<std::int64_t> ensure_partitions(store::Database& db, Micros now, int days_ahead) {
  if (db.backend() != store::Backend::postgres) return std::int64_t{0};
  auto lease = CS_TRY(db.connect());
  std::int64_t created = 0;
  for (int i = -1; i <= days_ahead; ++i) {
    Micros from = day_start(now) + i * kMicrosPerDay;
    std::string name = partition_name(from);
    auto exists = CS_TRY(lease->query_one("SELECT 1 FROM pg_class WHERE relname = $1", store::params(name)));
    if (exists) continue;
    // DDL takes no parameters; the bounds are integers we computed and the name is ours.
    auto made = lease->exec("CREATE TABLE IF NOT EXISTS " + name + " PARTITION OF api_calls FOR VALUES FROM (" +
                            std::to_string(from) + ") TO (" + std::to_string(from + kMicrosPerDay) + ")");
    if (made) {
      ++created;
    } else {
      // Rows for that day already sit in the default partition (maintenance did not run for
      // days), or another server created it at the same moment. The day stays readable.
      spdlog::warn("call log: partition {} not created: {}", name, made.error().detail());
    }
  }
  return created;
}

Result<std::int64_t> purge_calls(store::Database& db, Micros cutoff) {
  auto lease = CS_TRY(db.connect());
  std::int64_t removed = 0;
  if (db.backend() == store::Backend::postgres) {
    auto parts = CS_TRY(lease->query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'api_calls'"));
    for (const auto& row : parts) {
      auto day = partition_day(row.text(0));
      if (!day || *day + kMicrosPerDay > cutoff) continue;
      CS_CHECK(lease->exec("DROP TABLE IF EXISTS " + row.text(0)));
      ++removed;
    }
    auto deleted = CS_TRY(lease->exec("DELETE FROM api_calls WHERE at < $1", store::params(cutoff)));
    return removed + deleted;
  }
  // Bounded chunks: one huge DELETE would hold SQLite's write lock and stall the writer.
  for (;;) {
    auto n = CS_TRY(lease->exec(
        "DELETE FROM api_calls WHERE rowid IN (SELECT rowid FROM api_calls WHERE at < $1 LIMIT 10000)",
        store::params(cutoff)));
    removed += n;
    if (n < 10000) break;
  }
  return removed;
}

Result<std::int64_t> purge_rate_windows(store::Database& db, Micros cutoff) {
  auto lease = CS_TRY(db.connect());
  return lease->exec("DELETE FROM ratelimit_counters WHERE window_start < $1", store::params(cutoff));
}

}  // namespace cs::calllog
