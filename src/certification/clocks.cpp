#include "certification/clocks.hpp"

#include "store/params.hpp"

namespace cs::certification {

Micros review_due_at(Micros started, const BusinessCalendar& calendar) {
  return calendar.deadline(started, kReviewBusinessDays);
}

Micros final_due_at(Micros started, const BusinessCalendar& calendar) {
  return calendar.deadline(started, kFinalApprovalBusinessDays);
}

std::optional<RunningClock> running_clock(const Request& r, Micros now, const BusinessCalendar& calendar) {
  switch (r.state) {
    case State::submitted:
    case State::in_review:
    case State::remedied:
      if (!r.review_clock_started_at || !r.review_due_at) return std::nullopt;
      return RunningClock{"review", *r.review_clock_started_at, *r.review_due_at,
                          clock_status(*r.review_due_at, now, calendar)};
    case State::promotion_requested:
    case State::final_review:
      if (!r.final_clock_started_at || !r.final_due_at) return std::nullopt;
      return RunningClock{"final_approval", *r.final_clock_started_at, *r.final_due_at,
                          clock_status(*r.final_due_at, now, calendar)};
    default:
      return std::nullopt;
  }
}

bool final_clock_of_this_round(const Request& r) {
  if (!r.final_clock_started_at || !r.final_due_at) return false;
  return !r.approved_at || *r.final_clock_started_at >= *r.approved_at;
}

Result<std::vector<Request>> requests_with_running_clock(store::Connection& conn) {
  auto rows = CS_TRY(conn.query(
      "SELECT id FROM cert_requests WHERE "
      "(state IN ('submitted', 'in_review', 'remedied') AND review_due_at IS NOT NULL "
      " AND (clock_alerted_at IS NULL OR clock_alerted_at < review_clock_started_at)) OR "
      "(state IN ('promotion_requested', 'final_review') AND final_due_at IS NOT NULL "
      " AND (clock_alerted_at IS NULL OR clock_alerted_at < final_clock_started_at)) "
      "ORDER BY id"));
  std::vector<Request> out;
  for (const auto& row : rows) out.push_back(CS_TRY(load_request(conn, row.text(0))));
  return out;
}

Status mark_clock_alerted(store::Connection& conn, std::string_view request_id, Micros now) {
  CS_TRY(conn.exec("UPDATE cert_requests SET clock_alerted_at = $2 WHERE id = $1", store::params(request_id, now)));
  return {};
}

}  // namespace cs::certification
