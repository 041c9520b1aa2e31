#include "calllog/rate_limiter.hpp"

#include <algorithm>
#include <vector>

#include "identity/audit_record.hpp"
#include "store/params.hpp"

namespace cs::calllog {
namespace {

Micros window_start(Micros now, Micros length) { return now - ((now % length) + length) % length; }

std::int64_t seconds_until(Micros now, Micros t) {
  return std::max<std::int64_t>(1, (t - now + kMicrosPerSecond - 1) / kMicrosPerSecond);
}

constexpr std::string_view kUpsert =
    "INSERT INTO ratelimit_counters (app_id, account_id, kind, window_start, count) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (app_id, account_id, kind, window_start) DO UPDATE SET count = ratelimit_counters.count + "
    "excluded.count RETURNING count";
constexpr std::string_view kRead =
    "SELECT count FROM ratelimit_counters WHERE app_id = $1 AND account_id = $2 AND kind = $3 AND window_start = $4";

}  // namespace

RateLimiter::RateLimiter(const Clock& clock, AppRateLimits defaults) : clock_(clock), defaults_(defaults) {}

AppRateLimits RateLimiter::limits_for(const std::string& app_id) const {
  std::lock_guard lock(mu_);
  auto it = overrides_.find(app_id);
  return it == overrides_.end() ? defaults_ : it->second;
}

void RateLimiter::set_override(const std::string& app_id, std::optional<AppRateLimits> limits) {
  std::lock_guard lock(mu_);
  if (limits) {
    overrides_[app_id] = *limits;
  } else {
    overrides_.erase(app_id);
  }
}

RateDecision RateLimiter::take(const std::string& app_id, const std::string& account_id, bool production) {
  const Micros now = clock_.now();
  const Micros hour = window_start(now, kHourWindow);
  const Micros burst = window_start(now, kBurstWindow);
  std::string key;
  key.reserve(app_id.size() + account_id.size() + 1);
  key.append(app_id).append(1, '\n').append(account_id);

  std::lock_guard lock(mu_);
  auto limit_it = overrides_.find(app_id);
  const AppRateLimits& limits = limit_it == overrides_.end() ? defaults_ : limit_it->second;
  auto [it, inserted] = counters_.try_emplace(std::move(key));
  Counter& c = it->second;
  if (inserted) {
    c.app_id = app_id;
    c.account_id = account_id;
  }
  if (c.hour.start != hour) c.hour = Window{hour, 0, 0};
  if (c.burst.start != burst) c.burst = Window{burst, 0, 0};

  RateDecision d;
  d.hourly_limit = limits.hourly;
  d.burst_limit = production ? limits.burst_production : limits.burst_sandbox;
  d.hourly_reset = hour + kHourWindow;
  d.burst_reset = burst + kBurstWindow;
  const bool hour_full = c.hour.used() >= d.hourly_limit;
  const bool burst_full = c.burst.used() >= d.burst_limit;
  if (hour_full || burst_full) {
    d.allowed = false;
    Micros until = hour_full ? d.hourly_reset : d.burst_reset;
    d.retry_after_s = seconds_until(now, until);
  } else {
    ++c.hour.local;
    ++c.burst.local;
  }
  d.hourly_remaining = std::max<std::int64_t>(0, d.hourly_limit - c.hour.used());
  d.burst_remaining = std::max<std::int64_t>(0, d.burst_limit - c.burst.used());
  return d;
}

Status RateLimiter::load_overrides(store::Database& db) {
  auto lease = CS_TRY(db.connect());
  auto rows = CS_TRY(lease->query("SELECT app_id, hourly, burst_production, burst_sandbox FROM app_rate_limits"));
  std::unordered_map<std::string, AppRateLimits> loaded;
  for (const auto& r : rows) loaded[r.text(0)] = AppRateLimits{r.int64(1), r.int64(2), r.int64(3)};
  std::lock_guard lock(mu_);
  overrides_ = std::move(loaded);
  return {};
}

Status RateLimiter::sync(store::Database& db) {
  struct Pending {
    std::string key, app_id, account_id;
    const char* kind;
    Micros start;
    std::int64_t delta;
  };
  const Micros now = clock_.now();
  std::vector<Pending> pending;
  {
    std::lock_guard lock(mu_);
    for (auto it = counters_.begin(); it != counters_.end();) {
      auto& c = it->second;
      // A counter whose hour ended counts nothing any more.
      if (c.hour.start + kHourWindow <= now) {
        it = counters_.erase(it);
        continue;
      }
      pending.push_back({it->first, c.app_id, c.account_id, "hour", c.hour.start, c.hour.local});
      if (c.burst.start + kBurstWindow > now) {
        pending.push_back({it->first, c.app_id, c.account_id, "burst", c.burst.start, c.burst.local});
      }
      ++it;
    }
  }
  auto lease = CS_TRY(db.connect());
  for (const auto& p : pending) {
    std::int64_t total = 0;
    if (p.delta > 0) {
      auto row = CS_TRY(lease->query_one(kUpsert, store::params(p.app_id, p.account_id, p.kind, p.start, p.delta)));
      total = row ? row->int64(0) : p.delta;
    } else {
      auto row = CS_TRY(lease->query_one(kRead, store::params(p.app_id, p.account_id, p.kind, p.start)));
      total = row ? row->int64(0) : 0;
    }
    std::lock_guard lock(mu_);
    auto it = counters_.find(p.key);
    if (it == counters_.end()) continue;
    Window& w = std::string_view(p.kind) == "hour" ? it->second.hour : it->second.burst;
    if (w.start != p.start) continue;  // the window rolled over meanwhile
    w.base = total;
    w.local -= p.delta;  // calls counted while we talked to the database stay local
  }
  return load_overrides(db);
}

Status set_app_rate_limits(store::Database& db, audit::AuditLog& audit, RateLimiter& limiter,
                           const std::string& app_id, const std::string& partner_org_id,
                           const AppRateLimits& limits, const identity::Actor& actor, Micros now) {
  auto before = limiter.limits_for(app_id);
  CS_CHECK(store::transact(db, [&](store::Connection& c) -> Status {
    CS_CHECK(c.exec(
        "INSERT INTO app_rate_limits (app_id, hourly, burst_production, burst_sandbox, updated_at, updated_by) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id) DO UPDATE SET hourly = excluded.hourly, "
        "burst_production = excluded.burst_production, burst_sandbox = excluded.burst_sandbox, "
        "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        store::params(app_id, limits.hourly, limits.burst_production, limits.burst_sandbox, now, actor.id)));
    auto as_json = [](const AppRateLimits& l) {
      return nlohmann::json{{"hourly", l.hourly}, {"burst_production", l.burst_production},
                            {"burst_sandbox", l.burst_sandbox}};
    };
    return identity::record(audit, c, actor,
                            {.action = "app.rate_limits.changed",
                             .target_type = "app",
                             .target_id = app_id,
                             .partner_org_id = partner_org_id,
                             .details = {{"before", as_json(before)}, {"after", as_json(limits)}}});
  }));
  limiter.set_override(app_id, limits);
  return {};
}

}  // namespace cs::calllog
