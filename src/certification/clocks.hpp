// Service-level clocks of a request (DESIGN.md "Service level", issue 6 §5): the review clock
// runs 6 business days from submission and restarts on every remedy; the final approver's clock
// runs 3 business days from the start of final review. Business days come from the team's
// calendar (core/business_calendar.hpp). The clock-at-risk job (cert-finish) builds on
// requests_with_running_clock + running_clock + notify(Notice::clock_at_risk) + mark_clock_alerted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "certification/lifecycle.hpp"
#include "certification/request.hpp"
#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

Micros review_due_at(Micros started, const BusinessCalendar& calendar);
Micros final_due_at(Micros started, const BusinessCalendar& calendar);

struct RunningClock {
  std::string kind;  // "review" | "final_approval"
  Micros started_at = 0;
  Micros due_at = 0;
  ClockStatus status = ClockStatus::on_track;
};

// The clock that is running for the request at `now`: the review clock while the platform owes
// a decision (submitted, in_review, remedied); the final approver's in final_review; none while
// the partner has the ball (draft, changes_requested, engineer_approved, promotion_requested) or
// once decided.
std::optional<RunningClock> running_clock(const Request& request, Micros now, const BusinessCalendar& calendar);

// Requests in a state with a running clock that have not been alerted since the clock (re)started.
Result<std::vector<Request>> requests_with_running_clock(store::Connection& conn);
Status mark_clock_alerted(store::Connection& conn, std::string_view request_id, Micros now);

}  // namespace cs::certification
