// The polling rule (DESIGN.md "Rate limits and API rules", issue 5 §4): the same app reading the
// same envelope's status more than once per 15 minutes is a violation.
//
// Status reads are exactly GET (and HEAD) of /v1/envelopes/{id} and /v1/envelopes/{id}/recipients.
// The 15 minutes run from the app's last status read of that envelope that was served; a read
// within them is a violation. `record` serves it, flags the call and restarts the 15 minutes;
// `reject` answers 400 polling_limit_exceeded with Retry-After (the seconds left) and does not
// restart them. Kept in memory per server: behind a load balancer a violation is seen when both
// reads reach the same node (the call log still shows every read for the review).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace cs::calllog {

inline constexpr Micros kPollingInterval = 15 * 60 * kMicrosPerSecond;

enum class PollingMode { record, reject };

struct PollVerdict {
  bool violation = false;
  bool reject = false;             // only in reject mode
  std::int64_t retry_after_s = 0;  // when rejected
};

class PollingRule {
 public:
  PollingRule(const Clock& clock, PollingMode mode) : clock_(clock), mode_(mode) {}

  static bool is_status_read(std::string_view method, std::string_view route_template);

  PollingMode mode() const { return mode_; }
  // One status read of `envelope_id` by `app_id`.
  PollVerdict check(const std::string& app_id, std::string_view envelope_id);

 private:
  const Clock& clock_;
  PollingMode mode_;
  std::mutex mu_;
  std::unordered_map<std::string, Micros> last_read_;  // app_id '\n' envelope_id
  Micros last_sweep_ = 0;
};

}  // namespace cs::calllog
