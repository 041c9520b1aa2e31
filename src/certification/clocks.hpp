// Service-level clocks of a request (DESIGN.md "Service level", issue 6 §5). Business days come
// from the team's calendar (core/business_calendar.hpp).
//
// The final items are the questionnaire, the videos, the traces, the call-log date and the
// integration key promotion form. The decision on when each clock starts:
//  * The review clock (6 business days) starts when the final items the engineering review
//    judges reach the platform: the submission. The questionnaire, videos, traces and call-log
//    date can only be changed while the partner holds the request (draft, changes_requested;
//    evidence_service.cpp), so at submission the latest of them is never later than the
//    submission itself. Every remedy resubmits them and restarts the clock.
//  * The promotion form is the last final item: the seed's step 8 comes after the engineer's
//    sign-off, and request_promotion accepts it only in engineer_approved. It cannot count
//    towards a review that has already decided, so it starts the final stage instead: the final
//    approver's clock (3 business days) runs from the moment the form is filed
//    (engineer_approved -> promotion_requested), not from when the certificate envelope job
//    happens to send the envelope (a queued or retried job does not give the platform more
//    time). It runs through promotion_requested and final_review. Reassigning the final
//    approver does not restart it: the promise is to the partner, and whom the platform asks
//    is its own affair. A decline sends the request back through remedy; the next approval
//    needs a new form, which starts a new final clock.
//  * No clock runs while the partner holds the request (draft, changes_requested,
//    engineer_approved before the form) or once it is decided.
// The clock-at-risk job (cert-finish) builds on requests_with_running_clock + running_clock +
// notify(Notice::clock_at_risk) + mark_clock_alerted.
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
// the engineering decision (submitted, in_review, remedied); the final approver's from the
// promotion form on (promotion_requested, final_review); none while the partner has the ball
// (draft, changes_requested, engineer_approved) or once decided.
std::optional<RunningClock> running_clock(const Request& request, Micros now, const BusinessCalendar& calendar);

// Whether the request's stored final clock belongs to the current round: set, and started no
// earlier than the engineer's latest approval (a decline and remedy lead to a new approval, and
// the next promotion form starts a new clock).
bool final_clock_of_this_round(const Request& request);

// Requests in a state with a running clock that have not been alerted since the clock (re)started.
Result<std::vector<Request>> requests_with_running_clock(store::Connection& conn);
Status mark_clock_alerted(store::Connection& conn, std::string_view request_id, Micros now);

}  // namespace cs::certification
