// The certification team's business calendar (DESIGN.md "Service level"): which days count for
// the 6-business-day review clock, the final approver's 3 days, the dry-run rule (10 business
// days before the planned date) and time-to-certify. Days are local dates in the team's time
// zone (IANA name, DST-aware through the OS tz database); weekends and holidays are configurable.
//
// Definitions used everywhere (written once here so every rule agrees):
//  * the local date of an instant is its calendar date in the team's time zone;
//  * a deadline of N business days from an instant is the END of the Nth business day after the
//    instant's local date (that date itself does not count), i.e. local midnight starting the
//    following day, converted back to UTC;
//  * business_days_between(a, b) counts business days d with date(a) < d <= date(b).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs {

// A calendar date; month 1-12, day 1-31.
struct LocalDate {
  int year = 1970;
  int month = 1;
  int day = 1;
  auto operator<=>(const LocalDate&) const = default;
};

// "YYYY-MM-DD" (a real date); invalid_request otherwise.
Result<LocalDate> parse_local_date(std::string_view text);
std::string format_local_date(const LocalDate& d);

struct CalendarSpec {
  std::string time_zone = "UTC";  // IANA, e.g. "America/Los_Angeles"
  // ISO weekday numbers that are not business days: 1 = Monday ... 7 = Sunday.
  std::set<int> weekend = {6, 7};
  std::set<LocalDate> holidays;
};

class BusinessCalendar {
 public:
  // validation_failed for an unknown time zone or a weekday outside 1..7, or a week without a
  // single business day.
  static Result<BusinessCalendar> create(CalendarSpec spec);

  const CalendarSpec& spec() const { return spec_; }
  bool is_business_day(const LocalDate& d) const;
  LocalDate local_date(Micros t) const;
  // Local midnight at the start of `d`, as an instant (DST gaps resolve to the first valid time).
  Micros start_of_day(const LocalDate& d) const;
  // The Nth business day after `d` (n >= 0; n == 0 answers d).
  LocalDate add_business_days(const LocalDate& d, int n) const;
  // Deadline instant: end of the Nth business day after local_date(from).
  Micros deadline(Micros from, int business_days) const;
  // Business days d with local_date(from) < d <= local_date(to); 0 when to <= from.
  int business_days_between(Micros from, Micros to) const;

 private:
  explicit BusinessCalendar(CalendarSpec spec, const void* zone) : spec_(std::move(spec)), zone_(zone) {}
  CalendarSpec spec_;
  const void* zone_;  // const date::time_zone*, kept opaque so callers need not include tz.h
};

// Reads a holiday file: one date per line ("2026-12-25  Christmas Day"; text after the date is a
// name), '#' comments and blank lines ignored. validation_failed naming the line on a bad date.
Result<std::set<LocalDate>> parse_holiday_file(std::string_view text);

// The ISO weekday names "mon".."sun" (comma-separated, case-insensitive) as numbers 1..7.
Result<std::set<int>> parse_weekend(std::string_view text);

}  // namespace cs
