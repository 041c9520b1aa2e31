#include "core/business_calendar.hpp"

#include <array>
#include <charconv>
#include <chrono>

#include <date/date.h>
#include <date/tz.h>

namespace cs {

namespace {

using Days = date::sys_days;

date::year_month_day to_ymd(const LocalDate& d) {
  return date::year{d.year} / date::month{static_cast<unsigned>(d.month)} / date::day{static_cast<unsigned>(d.day)};
}

LocalDate from_ymd(const date::year_month_day& ymd) {
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

const date::time_zone* zone_of(const void* z) { return static_cast<const date::time_zone*>(z); }

int parse_int(std::string_view s) {
  int v = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : -1;
}

}  // namespace

Result<LocalDate> parse_local_date(std::string_view text) {
  auto bad = [&] { return fail(Errc::invalid_request, "Dates are written YYYY-MM-DD"); };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  int y = parse_int(text.substr(0, 4)), m = parse_int(text.substr(5, 2)), d = parse_int(text.substr(8, 2));
  if (y < 1970 || m < 1 || d < 1) return bad();
  LocalDate out{y, m, d};
  if (!to_ymd(out).ok()) return bad();
  return out;
}

std::string format_local_date(const LocalDate& d) { return date::format("%F", Days{to_ymd(d)}); }

Result<BusinessCalendar> BusinessCalendar::create(CalendarSpec spec) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(spec.time_zone);
  } catch (const std::exception&) {
    return fail(Error(Errc::validation_failed, "Unknown time zone " + spec.time_zone).with_field("time_zone"));
  }
  for (int w : spec.weekend) {
    if (w < 1 || w > 7) return fail(Error(Errc::validation_failed, "Weekend days are 1 (Monday) to 7 (Sunday)").with_field("weekend"));
  }
  if (spec.weekend.size() >= 7) return fail(Error(Errc::validation_failed, "A week needs at least one business day").with_field("weekend"));
  return BusinessCalendar(std::move(spec), zone);
}

bool BusinessCalendar::is_business_day(const LocalDate& d) const {
  int iso = static_cast<int>(date::weekday{Days{to_ymd(d)}}.iso_encoding());
  return !spec_.weekend.count(iso) && !spec_.holidays.count(d);
}

LocalDate BusinessCalendar::local_date(Micros t) const {
  auto instant = date::sys_time<std::chrono::microseconds>{std::chrono::microseconds{t}};
  auto local = date::zoned_time<std::chrono::microseconds>{zone_of(zone_), instant}.get_local_time();
  return from_ymd(date::year_month_day{date::floor<date::days>(local)});
}

Micros BusinessCalendar::start_of_day(const LocalDate& d) const {
  auto local = date::local_days{to_ymd(d)};
  // A DST gap at midnight (some zones skip 00:00): `earliest` maps the nonexistent time to the
  // instant of the transition, the first moment of that day; an ambiguous midnight takes the
  // earlier instant.
  auto instant = zone_of(zone_)->to_sys(date::local_seconds{local}, date::choose::earliest);
  return std::chrono::duration_cast<std::chrono::microseconds>(instant.time_since_epoch()).count();
}

LocalDate BusinessCalendar::add_business_days(const LocalDate& d, int n) const {
  Days day{to_ymd(d)};
  while (n > 0) {
    day += date::days{1};
    if (is_business_day(from_ymd(date::year_month_day{day}))) --n;
  }
  return from_ymd(date::year_month_day{day});
}

Micros BusinessCalendar::deadline(Micros from, int business_days) const {
  LocalDate last = add_business_days(local_date(from), business_days);
  Days next = Days{to_ymd(last)} + date::days{1};
  return start_of_day(from_ymd(date::year_month_day{next}));
}

int BusinessCalendar::business_days_between(Micros from, Micros to) const {
  if (to <= from) return 0;
  Days a{to_ymd(local_date(from))}, b{to_ymd(local_date(to))};
  int count = 0;
  for (Days d = a + date::days{1}; d <= b; d += date::days{1}) {
    if (is_business_day(from_ymd(date::year_month_day{d}))) ++count;
  }
  return count;
}

Result<std::set<LocalDate>> parse_holiday_file(std::string_view text) {
  std::set<LocalDate> out;
  int line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#' || line == "\r") continue;
    auto date = parse_local_date(line.substr(0, 10));
    if (!date || (line.size() > 10 && line[10] != ' ' && line[10] != '\t' && line[10] != '\r')) {
      return fail(Error(Errc::validation_failed, "Holiday file line " + std::to_string(line_no) +
                                                     ": expected a date YYYY-MM-DD, optionally followed by a name")
                      .with_field("line " + std::to_string(line_no)));
    }
    out.insert(*date);
  }
  return out;
}

Result<std::set<int>> parse_weekend(std::string_view text) {
  static constexpr std::array<std::string_view, 7> kNames = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  std::set<int> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string item(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    std::erase(item, ' ');
    for (auto& c : item) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (item.empty()) continue;
    int found = 0;
    for (std::size_t i = 0; i < kNames.size(); ++i) {
      if (item == kNames[i]) found = static_cast<int>(i) + 1;
    }
    if (!found) return fail(Error(Errc::validation_failed, "Weekend days are mon, tue, wed, thu, fri, sat, sun").with_field("weekend"));
    out.insert(found);
  }
  return out;
}

}  // namespace cs
