#include "certification/clock_watch.hpp"

#include "certification/clocks.hpp"
#include "certification/notifications.hpp"
#include "certification/request.hpp"
#include "store/params.hpp"

namespace cs::certification {

bool clock_needs_alert(ClockStatus status, Micros due, std::optional<Micros> alerted_at,
                       Micros started_at, const BusinessCalendar& calendar) {
  if (status == ClockStatus::on_track) return false;
  if (!alerted_at) return true;
  // The clock restarted after the last alert: that alert was about an earlier clock.
  if (*alerted_at < started_at) return true;
  return clock_status(due, *alerted_at, calendar) != status;
}

Result<std::vector<ClockAlert>> ClockWatch::sweep() {
  Micros now = clock_.now();
  std::vector<std::string> ids;
  {
    auto lease = CS_TRY(db_.connect());
    auto rows =
        CS_TRY(lease->query("SELECT id FROM cert_requests WHERE state IN ('submitted', "
                            "'in_review', 'remedied', 'promotion_requested', 'final_review') "
                            "ORDER BY id"));
    for (const auto& r : rows) ids.push_back(r.text(0));
  }
  std::vector<ClockAlert> sent;
  for (const auto& id : ids) {
    auto alert =
        store::transact(db_, [&](store::Connection& conn) -> Result<std::optional<ClockAlert>> {
          Request request = CS_TRY(load_request(conn, id, true));
          auto running = running_clock(request, now, calendar_);
          if (!running) return std::optional<ClockAlert>{};
          if (!clock_needs_alert(running->status, running->due_at, request.clock_alerted_at,
                                 running->started_at, calendar_)) {
            return std::optional<ClockAlert>{};
          }
          // Compare-and-set: another server may have sent this alert since the read above.
          auto claimed = CS_TRY(conn.exec(
              "UPDATE cert_requests SET clock_alerted_at = $1 WHERE id = $2 AND state = $3 AND "
              "COALESCE(clock_alerted_at, -1) = $4",
              store::params(now, id, to_string(request.state),
                            request.clock_alerted_at.value_or(-1))));
          if (claimed == 0) return std::optional<ClockAlert>{};
          nlohmann::json detail{{"clock", running->kind},
                                {"status", to_string(running->status)},
                                {"due_at", format_rfc3339(running->due_at)}};
          CS_CHECK(notify(conn, request, Notice::clock_at_risk, detail, now));
          CS_CHECK(append_history(conn,
                                  {id, identity::Actor::system("clock-watch"), "clock_at_risk",
                                   std::nullopt, std::nullopt, "", detail.dump()},
                                  now));
          return std::optional<ClockAlert>(
              ClockAlert{id, running->kind, running->status, running->due_at});
        });
    if (!alert) return fail(alert.error());
    if (*alert) sent.push_back(std::move(**alert));
  }
  return sent;
}

Result<std::int64_t> ClockWatch::run() {
  auto alerts = CS_TRY(sweep());
  return static_cast<std::int64_t>(alerts.size());
}

}  // namespace cs::certification
