#include "calllog/review.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

#include <date/tz.h>

#include "core/business_calendar.hpp"
#include "store/params.hpp"

namespace cs::calllog {
namespace {

constexpr std::size_t kViolationExamples = 5;

Result<Micros> local_midnight(const date::time_zone* zone, const LocalDate& d) {
  auto ymd = date::year{d.year} / date::month{static_cast<unsigned>(d.month)} / date::day{static_cast<unsigned>(d.day)};
  // Where midnight does not exist (a DST jump at 00:00) the day starts at the first instant
  // that does.
  auto zoned = date::make_zoned(zone, date::local_days{ymd}, date::choose::earliest);
  return std::chrono::duration_cast<std::chrono::microseconds>(zoned.get_sys_time().time_since_epoch()).count();
}

}  // namespace

Result<HappyPath> happy_path_calls(store::Database& db, const std::string& app_id, std::string_view date,
                                   std::string_view time_zone) {
  auto day = parse_local_date(date);
  if (!day) return fail(Error(Errc::validation_failed, "date must be YYYY-MM-DD").with_field("date"));
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string(time_zone));
  } catch (const std::exception&) {
    return fail(Error(Errc::validation_failed, "time_zone must be an IANA time zone such as Europe/Berlin")
                    .with_field("time_zone"));
  }
  HappyPath out;
  out.date = std::string(date);
  out.time_zone = std::string(time_zone);
  auto next = *day;
  {
    // The following calendar day, via the civil calendar rather than +24 h (DST days differ).
    auto ymd = date::year_month_day{date::sys_days{date::year{day->year} / day->month / day->day} + date::days{1}};
    next = LocalDate{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(static_cast<unsigned>(ymd.day()))};
  }
  out.day_start = CS_TRY(local_midnight(zone, *day));
  out.day_end = CS_TRY(local_midnight(zone, next));
  auto lease = CS_TRY(db.connect());
  auto rows = CS_TRY(lease->query("SELECT " + std::string(kCallColumns) +
                                      " FROM api_calls WHERE app_id = $1 AND at >= $2 AND at < $3 AND auth = 0 AND "
                                      "status >= 200 AND status < 300 ORDER BY at, id LIMIT $4",
                                  store::params(app_id, out.day_start, out.day_end,
                                                static_cast<std::int64_t>(kHappyPathCalls))));
  for (const auto& r : rows) out.calls.push_back(call_from_row(r));
  return out;
}

Result<BehaviourReport> behaviour_report(store::Database& db, const std::string& app_id, Micros from, Micros to) {
  CS_CHECK(validate(CallFilter{app_id, from, to, {}, {}, {}}));
  BehaviourReport rep;
  rep.from = from;
  rep.to = to;
  auto lease = CS_TRY(db.connect());
  auto range = store::params(app_id, from, to);
  constexpr std::string_view kWhere = " FROM api_calls WHERE app_id = $1 AND at >= $2 AND at < $3";

  // One pass over the app's calls, grouped finely enough (a few hundred groups at most) that every
  // count below adds up from it: on a 10-million-row log the day's calls lie on nearly every page
  // of the day, so each separate aggregate was another full read of it.
  auto groups = CS_TRY(lease->query("SELECT method, route, status, COALESCE(error_code, ''), auth, count(*), "
                                    "COALESCE(sum(polling_violation), 0)" +
                                        std::string(kWhere) + " GROUP BY method, route, status, error_code, auth",
                                    range));
  std::map<std::pair<int, std::string>, std::int64_t> errors;
  std::map<std::string, std::int64_t> routes;
  for (const auto& r : groups) {
    const std::string& method = r.text(0);
    const std::string& route = r.text(1);
    const int status = static_cast<int>(r.int64(2));
    const std::int64_t n = r.int64(5);
    rep.total += n;
    if (r.int64(4) != 0) rep.auth_calls += n;
    if (status >= 400 && status < 500) rep.client_errors += n;
    if (status >= 500) rep.server_errors += n;
    if (status == 429) rep.rate_limited += n;
    if (status >= 400) errors[{status, r.text(3)}] += n;
    rep.polling_violations += r.int64(6);
    if ((route == "/v1/envelopes/{id}" || route == "/v1/envelopes/{id}/recipients") &&
        (method == "GET" || method == "HEAD"))
      rep.status_reads += n;
    routes[method + " " + route] += n;
  }
  rep.error_rate = rep.total ? static_cast<double>(rep.client_errors + rep.server_errors) / static_cast<double>(rep.total) : 0;

  for (const auto& [key, n] : errors) rep.errors.push_back({key.first, key.second, n});
  std::sort(rep.errors.begin(), rep.errors.end(), [](const ErrorCount& a, const ErrorCount& b) {
    return a.count != b.count ? a.count > b.count : std::tie(a.status, a.code) < std::tie(b.status, b.code);
  });
  for (const auto& [key, n] : routes) rep.routes.push_back({key, n});
  std::sort(rep.routes.begin(), rep.routes.end(), [](const CountByKey& a, const CountByKey& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });

  if (rep.polling_violations > 0) {
    auto examples = CS_TRY(lease->query("SELECT " + std::string(kCallColumns) + std::string(kWhere) +
                                            " AND polling_violation = 1 ORDER BY at, id LIMIT $4",
                                        store::params(app_id, from, to, static_cast<std::int64_t>(kViolationExamples))));
    for (const auto& r : examples) rep.violation_examples.push_back(call_from_row(r));
  }

  // Webhook subscriptions belong to the webhooks module (migration 0007); read-only here.
  auto hooks = lease->query_one("SELECT count(*) FROM webhook_subscriptions WHERE app_id = $1 AND enabled = 1",
                                store::params(app_id));
  if (hooks && *hooks) rep.webhook_subscriptions = (*hooks)->int64(0);
  bool webhooks = rep.webhook_subscriptions.value_or(0) > 0;
  bool polls = rep.status_reads > 0;
  rep.status_tracking = webhooks && polls ? "both" : webhooks ? "webhooks" : polls ? "polling" : "neither";
  return rep;
}

}  // namespace cs::calllog
