#include "calllog/call_writer.hpp"

#include <array>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "calllog/recorder.hpp"

namespace cs::calllog {
namespace {

// The order of kCallColumns (call_query.hpp) and of the values below.
constexpr std::array<std::string_view, 20> kColumns = {"id",
                                                       "at",
                                                       "request_id",
                                                       "app_id",
                                                       "app_version_id",
                                                       "partner_org_id",
                                                       "account_id",
                                                       "user_id",
                                                       "auth",
                                                       "method",
                                                       "route",
                                                       "resource_id",
                                                       "status",
                                                       "error_code",
                                                       "latency_us",
                                                       "bytes_in",
                                                       "bytes_out",
                                                       "client_ip",
                                                       "user_agent",
                                                       "polling_violation"};

// Empty optional fields are stored as NULL, as write_calls stores them.
store::Value text_or_null(const std::string& s) {
  return s.empty() ? store::Value(nullptr) : store::Value(s);
}

void append_values(std::vector<store::Value>& out, const CallRecord& c) {
  out.emplace_back(c.id);
  out.emplace_back(std::int64_t{c.at});
  out.emplace_back(c.request_id);
  out.emplace_back(c.app_id);
  out.push_back(text_or_null(c.app_version_id));
  out.push_back(text_or_null(c.partner_org_id));
  out.push_back(text_or_null(c.account_id));
  out.push_back(text_or_null(c.user_id));
  out.emplace_back(std::int64_t{c.auth ? 1 : 0});
  out.emplace_back(c.method);
  out.emplace_back(c.route);
  out.push_back(text_or_null(c.resource_id));
  out.emplace_back(std::int64_t{c.status});
  out.push_back(text_or_null(c.error_code));
  out.emplace_back(c.latency_us);
  out.emplace_back(c.bytes_in);
  out.emplace_back(c.bytes_out);
  out.emplace_back(c.client_ip);
  out.emplace_back(c.user_agent);
  out.emplace_back(std::int64_t{c.polling_violation ? 1 : 0});
}

// "INSERT INTO api_calls (id, at, ...) VALUES ", from kColumns.
std::string insert_head() {
  std::string sql = "INSERT INTO api_calls (";
  for (std::size_t c = 0; c < kColumns.size(); ++c) {
    if (c) sql += ", ";
    sql += kColumns[c];
  }
  return sql + ") VALUES ";
}

// Rows per statement. A few fixed sizes keep the number of distinct prepared statements small
// (statements are cached by text) while a big batch still goes in few round trips. 256 rows
// bind 5,120 parameters: under SQLite's 32,766 and PostgreSQL's 65,535.
constexpr std::size_t kChunkSizes[] = {256, 32, 8, 1};

const std::string& insert_sql(std::size_t rows) {
  static const auto statements = [] {
    std::vector<std::pair<std::size_t, std::string>> out;
    for (std::size_t n : kChunkSizes) {
      std::string sql = insert_head();
      std::size_t p = 1;
      for (std::size_t r = 0; r < n; ++r) {
        sql += r ? ",(" : "(";
        for (std::size_t c = 0; c < kColumns.size(); ++c) {
          if (c) sql += ',';
          sql += '$' + std::to_string(p++);
        }
        sql += ')';
      }
      out.emplace_back(n, std::move(sql));
    }
    return out;
  }();
  for (const auto& [n, sql] : statements) {
    if (n == rows) return sql;
  }
  std::abort();  // only kChunkSizes are asked for
}

}  // namespace

Status write_calls(store::Connection& conn, std::span<const CallRecord> calls) {
  return store::in_transaction(conn, [&](store::Connection& c) -> Status {
    std::vector<store::Value> values;
    std::size_t i = 0;
    while (i < calls.size()) {
      std::size_t rows = 1;
      for (std::size_t n : kChunkSizes) {
        if (calls.size() - i >= n) {
          rows = n;
          break;
        }
      }
      values.clear();
      values.reserve(rows * kColumns.size());
      for (std::size_t r = 0; r < rows; ++r) append_values(values, calls[i + r]);
      CS_CHECK(c.exec(insert_sql(rows), values));
      i += rows;
    }
    return {};
  });
}

Status append_calls(store::Connection& conn, std::span<const CallRecord> calls) {
  if (conn.backend() != store::Backend::postgres) return write_calls(conn, calls);
  if (calls.empty()) return {};
  std::vector<store::Value> values;
  values.reserve(calls.size() * kColumns.size());
  for (const auto& c : calls) append_values(values, c);
  // One COPY is one statement: all of the batch or none of it, without BEGIN/COMMIT round trips.
  auto loaded = CS_TRY(conn.copy_rows("api_calls", kColumns, values));
  if (loaded != static_cast<std::int64_t>(calls.size())) {
    return fail(Errc::internal, "database error",
                "call log: COPY loaded " + std::to_string(loaded) + " of " +
                    std::to_string(calls.size()) + " calls");
  }
  return {};
}

}  // namespace cs::calllog
