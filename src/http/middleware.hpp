// The built-in middleware every response passes through, kept free of Beast so it is cheap to
// compile and easy to test.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The client's address. Only when the TCP peer is one of `trusted_proxies` is X-Forwarded-For
// believed: it is walked from the right (the hop our proxy added) past further trusted proxies,
// and the first address that is not one of them is the client. A malformed entry stops the walk
// at the last address vouched for, so a client cannot choose its own address.
std::string client_ip(std::string_view peer, std::string_view forwarded_for,
                      const std::vector<std::string>& trusted_proxies);

struct AccessLogEntry {
  std::string_view request_id, method, path, route, remote_ip, user_agent;
  int status = 0;
  std::chrono::microseconds latency{0};
  std::size_t bytes_in = 0, bytes_out = 0;
};
// One JSON object, no trailing newline.
std::string access_log_line(const AccessLogEntry& e);

}  // namespace http
