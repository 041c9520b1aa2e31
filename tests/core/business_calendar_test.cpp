#include "core/business_calendar.hpp"

#include <gtest/gtest.h>

namespace cs {

void PrintTo(const LocalDate& d, std::ostream* os) { *os << format_local_date(d); }

namespace {

constexpr Micros kHour = 3600LL * kMicrosPerSecond;

// 2026-11-20T00:00:00Z, a Friday.
constexpr Micros kFri20Utc = 1'795'132'800'000'000;

LocalDate D(int y, int m, int d) { return {y, m, d}; }

BusinessCalendar los_angeles(std::set<LocalDate> holidays = {}) {
  CalendarSpec spec;
  spec.time_zone = "America/Los_Angeles";
  spec.holidays = std::move(holidays);
  return BusinessCalendar::create(spec).value();
}

TEST(BusinessCalendar, ParsesOnlyRealDates) {
  EXPECT_EQ(parse_local_date("2026-11-23").value(), D(2026, 11, 23));
  EXPECT_EQ(parse_local_date("2028-02-29").value(), D(2028, 2, 29));
  for (auto bad : {"2026-02-29", "2026-13-01", "2026-1-01", "20261123", "2026-11-23x", "", "abcd-ef-gh"}) {
    EXPECT_FALSE(parse_local_date(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_local_date(D(2026, 1, 5)), "2026-01-05");
}

TEST(BusinessCalendar, RefusesUnknownZonesAndAllWeekendWeeks) {
  CalendarSpec spec;
  spec.time_zone = "Mars/Olympus_Mons";
  EXPECT_EQ(BusinessCalendar::create(spec).error().errc(), Errc::validation_failed);
  spec.time_zone = "UTC";
  spec.weekend = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_FALSE(BusinessCalendar::create(spec).has_value());
  spec.weekend = {0};
  EXPECT_FALSE(BusinessCalendar::create(spec).has_value());
}

TEST(BusinessCalendar, SkipsWeekendsAndHolidays) {
  auto cal = los_angeles({D(2026, 11, 26)});  // Thanksgiving, a Thursday
  EXPECT_TRUE(cal.is_business_day(D(2026, 11, 20)));
  EXPECT_FALSE(cal.is_business_day(D(2026, 11, 21)));  // Saturday
  EXPECT_FALSE(cal.is_business_day(D(2026, 11, 22)));  // Sunday
  EXPECT_FALSE(cal.is_business_day(D(2026, 11, 26)));
  EXPECT_EQ(cal.add_business_days(D(2026, 11, 20), 0), D(2026, 11, 20));
  EXPECT_EQ(cal.add_business_days(D(2026, 11, 20), 1), D(2026, 11, 23));
  // Mon 23, Tue 24, Wed 25, (Thu 26 holiday), Fri 27, Mon 30, Tue Dec 1.
  EXPECT_EQ(cal.add_business_days(D(2026, 11, 20), 6), D(2026, 12, 1));
  EXPECT_EQ(cal.add_business_days(D(2026, 11, 21), 1), D(2026, 11, 23));  // from a Saturday
}

TEST(BusinessCalendar, LocalDateFollowsTheTeamsTimeZone) {
  auto cal = los_angeles();
  // 05:00Z on Saturday the 21st is still Friday 21:00 in Los Angeles (PST, UTC-8).
  Micros t = kFri20Utc + 29 * kHour;
  EXPECT_EQ(cal.local_date(t), D(2026, 11, 20));
  EXPECT_EQ(cal.local_date(t + 3 * kHour), D(2026, 11, 21));
  auto utc = BusinessCalendar::create(CalendarSpec{}).value();
  EXPECT_EQ(utc.local_date(t), D(2026, 11, 21));
}

TEST(BusinessCalendar, DeadlineIsTheEndOfTheNthBusinessDayInTheTeamsZone) {
  auto cal = los_angeles({D(2026, 11, 26)});
  Micros friday_3pm = kFri20Utc + 23 * kHour;  // 2026-11-20 15:00 PST
  // The end of Tue Dec 1 local = Wed Dec 2 00:00 PST = 08:00Z.
  Micros expected = kFri20Utc + (12 * 24 + 8) * kHour;
  EXPECT_EQ(cal.deadline(friday_3pm, 6), expected);
  EXPECT_EQ(cal.start_of_day(D(2026, 12, 2)), expected);
}

TEST(BusinessCalendar, DeadlineAcrossTheEndOfDaylightSavingTime) {
  auto cal = los_angeles();
  // Friday 2026-10-30 12:00 PDT (19:00Z). DST ends Sunday Nov 1. One business day: Monday Nov 2,
  // ending at Tuesday Nov 3 00:00 PST = 08:00Z.
  Micros friday_noon = kFri20Utc - 21 * 24 * kHour + 19 * kHour;
  EXPECT_EQ(cal.local_date(friday_noon), D(2026, 10, 30));
  Micros tuesday_midnight_pst = kFri20Utc - 17 * 24 * kHour + 8 * kHour;
  EXPECT_EQ(cal.deadline(friday_noon, 1), tuesday_midnight_pst);
  // The day DST ended has 25 hours.
  EXPECT_EQ(cal.start_of_day(D(2026, 11, 2)) - cal.start_of_day(D(2026, 11, 1)), 25 * kHour);
}

TEST(BusinessCalendar, MidnightThatDoesNotExistStartsAtTheTransition) {
  // Chile springs forward at 24:00 on Saturday 2026-09-05: Sunday starts at 01:00 local.
  auto cal = BusinessCalendar::create(CalendarSpec{"America/Santiago", {6, 7}, {}}).value();
  Micros sunday = cal.start_of_day(D(2026, 9, 6));
  EXPECT_EQ(cal.local_date(sunday), D(2026, 9, 6));
  EXPECT_EQ(cal.local_date(sunday - 1), D(2026, 9, 5));
  EXPECT_EQ(cal.start_of_day(D(2026, 9, 7)) - sunday, 23 * kHour);
}

TEST(BusinessCalendar, CountsBusinessDaysBetweenInstants) {
  auto cal = los_angeles({D(2026, 11, 26)});
  Micros friday = kFri20Utc + 20 * kHour;  // Fri 12:00 PST
  EXPECT_EQ(cal.business_days_between(friday, friday), 0);
  EXPECT_EQ(cal.business_days_between(friday, friday - kHour), 0);
  EXPECT_EQ(cal.business_days_between(friday, friday + 24 * kHour), 0);       // Saturday
  EXPECT_EQ(cal.business_days_between(friday, friday + 3 * 24 * kHour), 1);   // Monday
  EXPECT_EQ(cal.business_days_between(friday, friday + 7 * 24 * kHour), 4);   // next Fri, minus Thanksgiving
}

TEST(BusinessCalendar, ReadsHolidayFilesAndWeekendLists) {
  auto holidays = parse_holiday_file("# US holidays\n2026-11-26 Thanksgiving\n\n  2026-12-25\tChristmas\r\n2027-01-01\n");
  ASSERT_TRUE(holidays.has_value());
  EXPECT_EQ(*holidays, (std::set<LocalDate>{D(2026, 11, 26), D(2026, 12, 25), D(2027, 1, 1)}));
  auto bad = parse_holiday_file("2026-11-26\n2026-02-30 nope\n");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field(), "line 2");
  EXPECT_FALSE(parse_holiday_file("2026-11-26x\n").has_value());

  EXPECT_EQ(parse_weekend("Fri, sat").value(), (std::set<int>{5, 6}));
  EXPECT_EQ(parse_weekend("").value(), std::set<int>{});
  EXPECT_FALSE(parse_weekend("sat,funday").has_value());
}

}  // namespace
}  // namespace cs
