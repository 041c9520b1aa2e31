// The call-log module as the server wires it (issue 5): recording, rate limits, the polling
// rule and the caller facts they share, plus the background upkeep (rate-limit sync between
// servers, daily partitions).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "calllog/caller_directory.hpp"
#include "calllog/polling_rule.hpp"
#include "calllog/rate_limiter.hpp"
#include "calllog/recorder.hpp"
#include "core/clock.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}

namespace cs::calllog {

struct CallLogOptions {
  std::size_t queue_capacity = 65536;
  AppRateLimits defaults;
  PollingMode polling = PollingMode::record;
  // How often counts are shared between servers (PostgreSQL only; one SQLite server is exact).
  std::chrono::milliseconds sync_interval{1000};
};

class CallLog {
 public:
  CallLog(store::Database& db, const Clock& clock, audit::AuditLog& audit, CallLogOptions options);
  ~CallLog();  // stop()
  CallLog(const CallLog&) = delete;
  CallLog& operator=(const CallLog&) = delete;

  // Loads the rate-limit overrides, creates today's partitions, starts the writer and the sync.
  Status start();
  // Stops the sync and drains the recorder: every call recorded so far is written.
  void stop();

  store::Database& db() { return db_; }
  const Clock& clock() const { return clock_; }
  audit::AuditLog& audit() { return audit_; }
  Recorder& recorder() { return recorder_; }
  RateLimiter& limits() { return limits_; }
  PollingRule& polling() { return polling_; }
  CallerDirectory& callers() { return callers_; }

 private:
  void sync_loop();

  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  CallLogOptions options_;
  Recorder recorder_;
  RateLimiter limits_;
  PollingRule polling_;
  CallerDirectory callers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread sync_;
};

}  // namespace cs::calllog
