// Clocks at risk (issue 6 §5): a periodic maintenance task finds requests whose running clock
// (clocks.hpp: the review clock while the platform owes a decision, the final approver's from
// the promotion form through final_review) is due_soon or overdue, and notifies staff once per change of that status
// (notifications.hpp, Notice::clock_at_risk: assigned staff and partner managers).
//
// "Once per change" needs no extra column: the status a request was last alerted for is
// clock_status(due, clock_alerted_at), and a clock that restarted after the last alert (a
// remedy, the promotion form) counts as never alerted. So a clock is alerted when it
// becomes due_soon and again when it becomes overdue, and never twice for the same status. The
// alert claims the request with a compare-and-set on clock_alerted_at, so servers sharing one
// database send it once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "certification/lifecycle.hpp"
#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

// Whether a clock now at `status` needs an alert, given the last alert (if any) and when this
// clock (re)started.
bool clock_needs_alert(ClockStatus status, Micros due, std::optional<Micros> alerted_at,
                       Micros started_at, const BusinessCalendar& calendar);

struct ClockAlert {
  std::string request_id;
  std::string clock;  // review | final_approval
  ClockStatus status = ClockStatus::due_soon;
  Micros due = 0;
};

class ClockWatch {
 public:
  ClockWatch(store::Database& db, const Clock& clock, const BusinessCalendar& calendar)
      : db_(db), clock_(clock), calendar_(calendar) {}

  // One sweep: alerts every request whose clock needs it (the notice, a history line and
  // clock_alerted_at, in one transaction per request). Answers the alerts sent.
  Result<std::vector<ClockAlert>> sweep();
  // The maintenance task's form: how many alerts were sent.
  Result<std::int64_t> run();

 private:
  store::Database& db_;
  const Clock& clock_;
  const BusinessCalendar& calendar_;
};

}  // namespace cs::certification
