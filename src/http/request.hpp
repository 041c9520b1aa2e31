// The request as handlers see it: plain data, no Beast types (DESIGN.md "Architecture": services
// talk to HTTP through plain request and response structs).
#pragma once

#include <any>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"

namespace http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ... as sent (HEAD stays HEAD)
  std::string target;  // raw request-target: path plus query
  std::string path;    // percent-decoded path (never contains NUL or invalid UTF-8)
  std::string query;   // raw query string without '?'
  HeaderList headers;  // in arrival order, names as sent
  HeaderList params;   // path parameters from the route template
  std::string body;
  std::string remote_ip;
  std::string request_id;
  bool tls = false;
  std::string route_template;  // "/v1/envelopes/{id}"; empty when no route matched
  cs::Micros received_at = 0;
  // Set by the Authenticator; the web layer stores its own principal type here.
  std::any principal;
  // Who the call is attributed to (the API call log), set by the web layer for the
  // ExchangeObserver; the server itself never looks inside.
  std::any attribution;

  // Case-insensitive; the first occurrence.
  std::optional<std::string_view> header(std::string_view name) const;
  // Decoded value of the first `name=` in the query ('+' is a space). nullopt when absent or
  // when the value is not a valid encoding.
  std::optional<std::string> query_param(std::string_view name) const;
  // Value of the cookie `name` from the Cookie header(s).
  std::optional<std::string_view> cookie(std::string_view name) const;
  // A path parameter of the matched template; empty when the template has no such parameter.
  std::string_view param(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b);

// Percent-decodes `in`. With `plus_is_space` ('application/x-www-form-urlencoded' and query
// strings) '+' becomes ' '. nullopt on a bad escape, an encoded NUL, or invalid UTF-8.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

}  // namespace http
