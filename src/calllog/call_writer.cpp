#include "calllog/call_writer.hpp"

#include <array>
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

}  // namespace

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
