#include "calllog/call_query.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include <date/date.h>

#include "calllog/retention.hpp"
#include "crypto/primitives.hpp"
#include "store/params.hpp"

namespace cs::calllog {
namespace {

Error bad(std::string message, std::string field) {
  return Error(Errc::invalid_request, std::move(message)).with_field(std::move(field));
}

std::string opt_text(const store::Row& r, std::size_t i) { return r.is_null(i) ? std::string() : r.text(i); }

// WHERE clause and parameters for a filter; `next` is the next free $N.
std::string where_clause(const CallFilter& f, std::vector<store::Value>& values) {
  std::string sql = " WHERE app_id = $1 AND at >= $2 AND at < $3";
  values = {f.app_id, std::int64_t{f.from}, std::int64_t{f.to}};
  if (f.status_class) {
    values.emplace_back(std::int64_t{*f.status_class * 100});
    values.emplace_back(std::int64_t{*f.status_class * 100 + 99});
    sql += " AND status BETWEEN $" + std::to_string(values.size() - 1) + " AND $" + std::to_string(values.size());
  }
  if (f.route) {
    values.emplace_back(*f.route);
    sql += " AND route = $" + std::to_string(values.size());
  }
  if (f.resource_id) {
    values.emplace_back(*f.resource_id);
    sql += " AND resource_id = $" + std::to_string(values.size());
  }
  return sql;
}

}  // namespace

std::string format_utc_date(Micros t) {
  auto name = partition_name(t);  // api_calls_pYYYYMMDD
  auto digits = name.substr(name.size() - 8);
  return digits.substr(0, 4) + "-" + digits.substr(4, 2) + "-" + digits.substr(6, 2);
}

Result<Micros> parse_rfc3339(std::string_view text, std::string_view field) {
  auto invalid = [&] {
    return fail(bad(std::string(field) + " must be an RFC 3339 time such as 2026-03-01T00:00:00Z", std::string(field)));
  };
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  std::size_t pos = 0;
  auto number = [&](std::size_t digits, int& out) {
    if (pos + digits > text.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      char ch = text[pos + i];
      if (ch < '0' || ch > '9') return false;
      out = out * 10 + (ch - '0');
    }
    pos += digits;
    return true;
  };
  auto expect = [&](std::string_view chars) {
    if (pos < text.size() && chars.find(text[pos]) != std::string_view::npos) return ++pos, true;
    return false;
  };
  int y, mo, d, h, mi, sec;
  if (!number(4, y) || !expect("-") || !number(2, mo) || !expect("-") || !number(2, d) || !expect("Tt") ||
      !number(2, h) || !expect(":") || !number(2, mi) || !expect(":") || !number(2, sec)) {
    return invalid();
  }
  Micros fraction = 0;
  if (expect(".")) {
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) fraction = fraction * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return invalid();
    for (std::size_t i = digits; i < 6; ++i) fraction *= 10;
  }
  int offset_minutes = 0;
  if (!expect("Zz")) {
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return invalid();
    int sign = text[pos++] == '-' ? -1 : 1;
    int oh, om;
    if (!number(2, oh) || !expect(":") || !number(2, om) || oh > 23 || om > 59) return invalid();
    offset_minutes = sign * (oh * 60 + om);
  }
  if (pos != text.size() || h > 23 || mi > 59 || sec > 59) return invalid();
  auto ymd = date::year{y} / date::month{static_cast<unsigned>(mo)} / date::day{static_cast<unsigned>(d)};
  if (!ymd.ok()) return invalid();
  std::int64_t days = date::sys_days{ymd}.time_since_epoch().count();
  std::int64_t seconds = days * 86'400 + h * 3600 + mi * 60 + sec - offset_minutes * 60;
  return seconds * kMicrosPerSecond + fraction;
}

Status validate(const CallFilter& f) {
  if (f.from >= f.to) return fail(bad("from must be before to", "from"));
  if (f.to - f.from > kMaxQueryRange) return fail(bad("The time range may span at most 31 days", "to"));
  if (f.status_class && (*f.status_class < 1 || *f.status_class > 5)) {
    return fail(bad("status_class must be 1xx, 2xx, 3xx, 4xx or 5xx", "status_class"));
  }
  return {};
}

std::string encode_cursor(const Cursor& c) {
  std::string raw = std::to_string(c.at) + ":" + c.id;
  return crypto::base64url_encode(crypto::as_bytes(raw));
}

Result<Cursor> decode_cursor(std::string_view text) {
  auto invalid = [] { return fail(bad("The cursor is not valid", "cursor")); };
  if (text.empty() || text.size() > 200) return invalid();
  auto raw = crypto::base64url_decode(text);
  if (!raw) return invalid();
  std::string s(raw->begin(), raw->end());
  auto colon = s.find(':');
  if (colon == std::string::npos || colon == 0) return invalid();
  Cursor c;
  auto [end, ec] = std::from_chars(s.data(), s.data() + colon, c.at);
  if (ec != std::errc() || end != s.data() + colon || c.at < 0) return invalid();
  c.id = s.substr(colon + 1);
  if (!c.id.starts_with("call_") || c.id.size() > 64 ||
      !std::all_of(c.id.begin(), c.id.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; })) {
    return invalid();
  }
  return c;
}

CallRecord call_from_row(const store::Row& r) {
  CallRecord c;
  c.id = r.text(0);
  c.at = r.int64(1);
  c.request_id = r.text(2);
  c.app_id = r.text(3);
  c.app_version_id = opt_text(r, 4);
  c.partner_org_id = opt_text(r, 5);
  c.account_id = opt_text(r, 6);
  c.user_id = opt_text(r, 7);
  c.auth = r.int64(8) != 0;
  c.method = r.text(9);
  c.route = r.text(10);
  c.resource_id = opt_text(r, 11);
  c.status = static_cast<int>(r.int64(12));
  c.error_code = opt_text(r, 13);
  c.latency_us = r.int64(14);
  c.bytes_in = r.int64(15);
  c.bytes_out = r.int64(16);
  c.client_ip = r.text(17);
  c.user_agent = r.text(18);
  c.polling_violation = r.int64(19) != 0;
  return c;
}

Result<CallPage> list_calls(store::Database& db, const CallFilter& filter, const std::optional<Cursor>& after,
                            std::size_t limit) {
  CS_CHECK(validate(filter));
  std::vector<store::Value> values;
  std::string sql = "SELECT " + std::string(kCallColumns) + " FROM api_calls" + where_clause(filter, values);
  if (after) {
    values.emplace_back(std::int64_t{after->at});
    values.emplace_back(after->id);
    auto a = std::to_string(values.size() - 1), b = std::to_string(values.size());
    sql += " AND (at > $" + a + " OR (at = $" + a + " AND id > $" + b + "))";
  }
  values.emplace_back(static_cast<std::int64_t>(limit + 1));
  sql += " ORDER BY at, id LIMIT $" + std::to_string(values.size());
  auto lease = CS_TRY(db.connect());
  auto rows = CS_TRY(lease->query(sql, values));
  CallPage page;
  for (std::size_t i = 0; i < rows.size() && i < limit; ++i) page.calls.push_back(call_from_row(rows[i]));
  if (rows.size() > limit && !page.calls.empty()) {
    page.next_cursor = encode_cursor({page.calls.back().at, page.calls.back().id});
  }
  return page;
}

Result<std::vector<DaySummary>> summarize_days(store::Database& db, const std::string& app_id, Micros from, Micros to) {
  CS_CHECK(validate(CallFilter{app_id, from, to, {}, {}, {}}));
  auto lease = CS_TRY(db.connect());
  const std::string day = "(at / " + std::to_string(kMicrosPerDay) + ")";
  auto range = store::params(app_id, from, to);
  std::map<std::int64_t, DaySummary> days;
  auto by_class = CS_TRY(lease->query("SELECT " + day + ", status / 100, count(*) FROM api_calls WHERE app_id = $1 AND at >= $2 "
                                      "AND at < $3 GROUP BY " + day + ", status / 100",
                                      range));
  for (const auto& r : by_class) {
    auto& d = days[r.int64(0)];
    auto cls = std::clamp<std::int64_t>(r.int64(1), 1, 5);
    d.by_class[static_cast<std::size_t>(cls)] += r.int64(2);
    d.total += r.int64(2);
  }
  auto errors = CS_TRY(lease->query("SELECT " + day + ", error_code, count(*) FROM api_calls WHERE app_id = $1 AND at >= $2 "
                                    "AND at < $3 AND error_code IS NOT NULL GROUP BY " + day + ", error_code",
                                    range));
  for (const auto& r : errors) days[r.int64(0)].top_error_codes.push_back({r.text(1), r.int64(2)});
  auto routes = CS_TRY(lease->query("SELECT " + day + ", method, route, count(*) FROM api_calls WHERE app_id = $1 AND at >= $2 "
                                    "AND at < $3 GROUP BY " + day + ", method, route",
                                    range));
  for (const auto& r : routes) days[r.int64(0)].routes.push_back({r.text(1) + " " + r.text(2), r.int64(3)});

  std::vector<DaySummary> out;
  for (auto& [index, d] : days) {
    Micros start = index * kMicrosPerDay;
    d.date = format_utc_date(start);
    auto by_count = [](const CountByKey& a, const CountByKey& b) {
      return a.count != b.count ? a.count > b.count : a.key < b.key;
    };
    std::sort(d.top_error_codes.begin(), d.top_error_codes.end(), by_count);
    if (d.top_error_codes.size() > 5) d.top_error_codes.resize(5);
    std::sort(d.routes.begin(), d.routes.end(), by_count);
    // Nearest-rank percentiles within the requested part of the day.
    Micros lo = std::max(from, start), hi = std::min(to, start + kMicrosPerDay);
    for (auto [pct, target] : {std::pair{50, &d.p50_latency_us}, std::pair{95, &d.p95_latency_us}}) {
      std::int64_t rank = (d.total * pct + 99) / 100;
      auto row = CS_TRY(lease->query_one(
          "SELECT latency_us FROM api_calls WHERE app_id = $1 AND at >= $2 AND at < $3 ORDER BY latency_us "
          "LIMIT 1 OFFSET $4",
          store::params(app_id, lo, hi, std::max<std::int64_t>(0, rank - 1))));
      *target = row ? row->int64(0) : 0;
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace cs::calllog
