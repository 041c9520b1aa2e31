// One webhook POST over libcurl: the only outbound HTTP of the events module. Blocking, so it
// runs only in job workers. Redirects are not followed (a 3xx is the receiver's answer, and a
// failure), proxies from the environment are ignored, only http(s) is spoken, and curl connects
// to the address url_guard checked, never to a fresh DNS answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events/url_guard.hpp"

namespace cs::events {

struct OutboundPost {
  std::string url;
  CheckedTarget target;  // the pinned address for url's host
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
  std::string user_agent;
};

struct OutboundResult {
  std::optional<int> status;  // the HTTP status, when a response arrived
  std::int64_t latency_ms = 0;
  std::string error;          // empty when a response arrived in time
  std::string body;           // the first kMaxResponseBody bytes
};

inline constexpr std::size_t kMaxResponseBody = 4096;

OutboundResult post_webhook(const OutboundPost& post);

}  // namespace cs::events
