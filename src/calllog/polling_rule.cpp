#include "calllog/polling_rule.hpp"

#include <algorithm>

namespace cs::calllog {

bool PollingRule::is_status_read(std::string_view method, std::string_view route_template) {
  return (method == "GET" || method == "HEAD") &&
         (route_template == "/v1/envelopes/{id}" || route_template == "/v1/envelopes/{id}/recipients");
}

PollVerdict PollingRule::check(const std::string& app_id, std::string_view envelope_id) {
  const Micros now = clock_.now();
  std::string key;
  key.reserve(app_id.size() + envelope_id.size() + 1);
  key.append(app_id).append(1, '\n').append(envelope_id);
  std::lock_guard lock(mu_);
  // Reads older than the interval decide nothing: forget them now and then so memory stays
  // bounded by the envelopes read in the last 15 minutes.
  if (now - last_sweep_ > kPollingInterval) {
    std::erase_if(last_read_, [&](const auto& kv) { return now - kv.second >= kPollingInterval; });
    last_sweep_ = now;
  }
  PollVerdict v;
  auto it = last_read_.find(key);
  if (it != last_read_.end() && now - it->second < kPollingInterval) {
    v.violation = true;
    if (mode_ == PollingMode::reject) {
      v.reject = true;
      v.retry_after_s = std::max<std::int64_t>(1, (it->second + kPollingInterval - now + kMicrosPerSecond - 1) /
                                                      kMicrosPerSecond);
      return v;
    }
  }
  last_read_[std::move(key)] = now;
  return v;
}

}  // namespace cs::calllog
