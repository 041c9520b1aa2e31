// One recorded API call (issue 5 §1) and who it is attributed to. Plain data: no HTTP types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace cs::calllog {

struct CallRecord {
  std::string id;  // call_...
  Micros at = 0;   // when the request arrived
  std::string request_id;
  std::string app_id;
  std::string app_version_id;  // the version the app acted with (production: the certified one)
  std::string partner_org_id;
  std::string account_id;
  std::string user_id;
  bool auth = false;  // /oauth/* and userinfo: reviews leave these out
  std::string method;
  std::string route;  // the route template
  std::string resource_id;
  int status = 0;
  std::string error_code;  // problem `code`, or the OAuth `error`
  std::int64_t latency_us = 0;
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  std::string client_ip;
  std::string user_agent;
  bool polling_violation = false;
};

// What the rate limiter answered for one call; rendered as X-RateLimit-* headers.
struct RateDecision {
  bool allowed = true;
  std::int64_t hourly_limit = 0, hourly_remaining = 0;
  Micros hourly_reset = 0;  // end of the current hour window
  std::int64_t burst_limit = 0, burst_remaining = 0;
  Micros burst_reset = 0;
  std::int64_t retry_after_s = 0;  // when refused: seconds until a window has room again
};

// Set on the request by the web layer once it knows whose call it is; read back when the
// exchange completes. Unattributed calls (no or unknown token, failed client authentication)
// are not recorded: they cannot be billed to any app without letting anyone write into any
// app's log.
struct Attribution {
  std::string app_id, client_id, app_version_id, partner_org_id, account_id, user_id;
  bool auth = false;
  bool polling_violation = false;
  std::optional<RateDecision> rate;
  std::string error_code;  // filled from the response once the handler returned
};

// 1..5 for 1xx..5xx.
inline int status_class(int status) { return status / 100; }

// The routes whose {id} is an envelope: the call's resource id.
inline bool is_envelope_route(std::string_view route_template) {
  return route_template.starts_with("/v1/envelopes/{id}");
}

}  // namespace cs::calllog
