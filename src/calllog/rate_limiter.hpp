// Rate limits per app and account (issue 5 §4, DESIGN.md "Rate limits and API rules"): an
// hourly and a 30-second burst limit, both fixed windows aligned to the clock (hour windows
// start on the hour, burst windows every 30 s from the epoch), defaults from the configuration
// and per-app overrides set by staff.
//
// Several servers (PostgreSQL): each node counts in memory, exactly and without I/O on the
// request path, and sync() (once a second) adds what it counted to ratelimit_counters with one
// UPSERT per active window and adopts the cluster-wide total. A node therefore sees the other
// nodes' calls up to one sync interval late: with N nodes the cluster can admit at most about
// (N - 1) × (each node's rate during one second) over a limit before every node refuses. We
// chose this over a database UPSERT per request (exact, but a write on every API call, and on
// SQLite a global write lock) because the hourly limit is a fairness bound, not a security
// boundary. One node (SQLite) is exact.
//
// A refused call is not counted.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "calllog/call_record.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}

namespace cs::calllog {

inline constexpr Micros kHourWindow = 3600 * kMicrosPerSecond;
inline constexpr Micros kBurstWindow = 30 * kMicrosPerSecond;

struct AppRateLimits {
  std::int64_t hourly = 3000;
  std::int64_t burst_production = 500;
  std::int64_t burst_sandbox = 200;
  bool operator==(const AppRateLimits&) const = default;
};

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, AppRateLimits defaults);

  // Counts one call of `app_id` on `account_id` unless a window is full.
  RateDecision take(const std::string& app_id, const std::string& account_id, bool production);

  AppRateLimits defaults() const { return defaults_; }
  AppRateLimits limits_for(const std::string& app_id) const;
  void set_override(const std::string& app_id, std::optional<AppRateLimits> limits);

  // Reads every override from app_rate_limits (startup, and each sync on PostgreSQL).
  Status load_overrides(store::Database& db);
  // Shares counts with the other nodes through ratelimit_counters (see the header comment) and
  // forgets windows that ended.
  Status sync(store::Database& db);

 private:
  struct Window {
    Micros start = -1;
    std::int64_t base = 0;   // cluster-wide total at the last sync (our own synced calls included)
    std::int64_t local = 0;  // counted here since the last sync
    std::int64_t used() const { return base + local; }
  };
  struct Counter {
    std::string app_id, account_id;
    Window hour, burst;
  };

  const Clock& clock_;
  AppRateLimits defaults_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Counter> counters_;  // key: app_id '\n' account_id
  std::unordered_map<std::string, AppRateLimits> overrides_;
};

// Staff overrides (PUT /v1/apps/{id}/rate-limits): stored, audited (app.rate_limits.changed)
// and applied to `limiter` at once on this node (other nodes within a sync).
Status set_app_rate_limits(store::Database& db, audit::AuditLog& audit, RateLimiter& limiter,
                           const std::string& app_id, const std::string& partner_org_id,
                           const AppRateLimits& limits, const identity::Actor& actor, Micros now);

}  // namespace cs::calllog
