#include "http/middleware.hpp"

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace http {

bool is_acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string request_id_for(std::optional<std::string_view> client_value) {
  if (client_value && is_acceptable_request_id(*client_value)) return std::string(*client_value);
  return cs::new_id("req");
}

void apply_security_headers(Response& res, std::string_view request_id, bool tls) {
  res.set_header("X-Request-Id", std::string(request_id));
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  auto content_type = res.header("Content-Type").value_or("");
  if (content_type.starts_with("application/problem+json")) {
    res.set_header("Cache-Control", "no-store");
  }
  if (content_type.starts_with("text/html")) {
    if (!res.header("Content-Security-Policy")) {
      res.set_header("Content-Security-Policy", std::string(kDefaultCsp));
    }
    res.set_header("X-Frame-Options", "DENY");
  }
  if (tls) res.set_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

std::string access_log_line(const AccessLogEntry& e) {
  auto str = [](std::string_view v) { return std::string(v); };
  nlohmann::json line = {
      {"ts", cs::format_rfc3339(cs::SystemClock().now())},
      {"request_id", str(e.request_id)},
      {"method", str(e.method)},
      {"path", str(e.path)},
      {"route", str(e.route)},
      {"status", e.status},
      {"latency_us", e.latency.count()},
      {"bytes_in", e.bytes_in},
      {"bytes_out", e.bytes_out},
      {"remote_ip", str(e.remote_ip)},
      {"user_agent", str(e.user_agent)},
  };
  // User-Agent and path are attacker-controlled bytes: replace, never throw, in the log.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace http
