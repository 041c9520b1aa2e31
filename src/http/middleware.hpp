// The built-in middleware every response passes through, kept free of Beast so it is cheap to
// compile and easy to test.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "http/response.hpp"

namespace http {

inline constexpr std::string_view kDefaultCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

// A client's X-Request-Id is kept when it is 1–128 characters of [A-Za-z0-9._-]; anything else
// (log injection, oversized) is replaced by a fresh random id.
bool is_acceptable_request_id(std::string_view id);
std::string request_id_for(std::optional<std::string_view> client_value);

// X-Request-Id, X-Content-Type-Options, Referrer-Policy, Cache-Control on problems, CSP and
// X-Frame-Options on HTML (unless the handler set its own CSP), HSTS under TLS.
void apply_security_headers(Response& res, std::string_view request_id, bool tls);

struct AccessLogEntry {
  std::string_view request_id, method, path, route, remote_ip, user_agent;
  int status = 0;
  std::chrono::microseconds latency{0};
  std::size_t bytes_in = 0, bytes_out = 0;
};
// One JSON object, no trailing newline.
std::string access_log_line(const AccessLogEntry& e);

}  // namespace http
