#include "web/calllog_render.hpp"

#include "core/clock.hpp"

namespace cs::web {
namespace {

nlohmann::json or_null(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

nlohmann::json counts_json(const std::vector<calllog::CountByKey>& counts, const char* key_name) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : counts) out.push_back({{key_name, c.key}, {"count", c.count}});
  return out;
}

std::string csv_cell(std::string_view v) {
  std::string cell;
  const bool formula = !v.empty() && std::string_view("=+-@\t\r").find(v.front()) != std::string_view::npos;
  if (formula) cell += '\'';
  cell.append(v.data(), v.size());
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char ch : cell) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
  return out;
}

}  // namespace

nlohmann::json call_json(const calllog::CallRecord& c) {
  return {{"id", c.id},
          {"at", format_rfc3339(c.at)},
          {"request_id", c.request_id},
          {"app_id", c.app_id},
          {"app_version_id", or_null(c.app_version_id)},
          {"partner_org_id", or_null(c.partner_org_id)},
          {"account_id", or_null(c.account_id)},
          {"user_id", or_null(c.user_id)},
          {"auth", c.auth},
          {"method", c.method},
          {"route", c.route},
          {"resource_id", or_null(c.resource_id)},
          {"status", c.status},
          {"error_code", or_null(c.error_code)},
          {"latency_us", c.latency_us},
          {"bytes_in", c.bytes_in},
          {"bytes_out", c.bytes_out},
          {"client_ip", c.client_ip},
          {"user_agent", c.user_agent},
          {"polling_violation", c.polling_violation}};
}

nlohmann::json day_summary_json(const calllog::DaySummary& d) {
  nlohmann::json classes = nlohmann::json::object();
  for (int i = 1; i <= 5; ++i) classes[std::to_string(i) + "xx"] = d.by_class[static_cast<std::size_t>(i)];
  return {{"date", d.date},
          {"total", d.total},
          {"by_status_class", classes},
          {"latency_us", {{"p50", d.p50_latency_us}, {"p95", d.p95_latency_us}}},
          {"top_error_codes", counts_json(d.top_error_codes, "code")},
          {"routes", counts_json(d.routes, "route")}};
}

nlohmann::json happy_path_json(const calllog::HappyPath& h) {
  nlohmann::json calls = nlohmann::json::array();
  for (const auto& c : h.calls) calls.push_back(call_json(c));
  nlohmann::json out = {{"date", h.date},
                        {"time_zone", h.time_zone},
                        {"from", format_rfc3339(h.day_start)},
                        {"to", format_rfc3339(h.day_end)},
                        {"required", calllog::kHappyPathCalls},
                        {"found", h.calls.size()},
                        {"calls", calls},
                        {"shortfall", nullptr}};
  if (h.shortfall()) {
    out["shortfall"] = {{"missing", calllog::kHappyPathCalls - h.calls.size()},
                        {"message", "Only " + std::to_string(h.calls.size()) + " of the " +
                                        std::to_string(calllog::kHappyPathCalls) +
                                        " successful non-authentication calls were made on " + h.date + " (" +
                                        h.time_zone + ")"}};
  }
  return out;
}

nlohmann::json behaviour_json(const calllog::BehaviourReport& r) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : r.errors) errors.push_back({{"status", e.status}, {"code", or_null(e.code)}, {"count", e.count}});
  nlohmann::json examples = nlohmann::json::array();
  for (const auto& c : r.violation_examples) examples.push_back(call_json(c));
  return {{"from", format_rfc3339(r.from)},
          {"to", format_rfc3339(r.to)},
          {"total", r.total},
          {"auth_calls", r.auth_calls},
          {"client_errors", r.client_errors},
          {"server_errors", r.server_errors},
          {"error_rate", r.error_rate},
          {"errors", errors},
          {"rate_limited", r.rate_limited},
          {"polling", {{"status_reads", r.status_reads}, {"violations", r.polling_violations}, {"examples", examples}}},
          {"routes", counts_json(r.routes, "route")},
          {"webhooks",
           {{"enabled_subscriptions", r.webhook_subscriptions ? nlohmann::json(*r.webhook_subscriptions) : nlohmann::json(nullptr)}}},
          {"status_tracking", r.status_tracking}};
}

std::string calllog_csv_header() {
  return "id,at,request_id,app_id,app_version_id,partner_org_id,account_id,user_id,auth,method,route,resource_id,"
         "status,error_code,latency_us,bytes_in,bytes_out,client_ip,user_agent,polling_violation\r\n";
}

std::string calllog_csv_row(const calllog::CallRecord& c) {
  std::string row;
  auto add = [&](std::string_view v) {
    if (!row.empty()) row += ',';
    row += csv_cell(v);
  };
  add(c.id);
  add(format_rfc3339(c.at));
  add(c.request_id);
  add(c.app_id);
  add(c.app_version_id);
  add(c.partner_org_id);
  add(c.account_id);
  add(c.user_id);
  add(c.auth ? "true" : "false");
  add(c.method);
  add(c.route);
  add(c.resource_id);
  add(std::to_string(c.status));
  add(c.error_code);
  add(std::to_string(c.latency_us));
  add(std::to_string(c.bytes_in));
  add(std::to_string(c.bytes_out));
  add(c.client_ip);
  add(c.user_agent);
  add(c.polling_violation ? "true" : "false");
  return row + "\r\n";
}

}  // namespace cs::web
