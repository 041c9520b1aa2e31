// Trace capture (issue 5 §3): a partner turns capture on for one of its apps, for at most 24 hours
// and at most max_requests calls (default 50, at most 1000), and the full request and response of
// each of that app's calls is kept, redacted (calllog/redaction.hpp), in trace_entries.
//
// One capture is active per app at a time: starting a second one is refused (409 conflict) until
// the first is stopped, expires or is full, so a partner never silently loses a running capture.
//
// The hot path costs nothing for apps without an active capture: capture_for() reads one atomic
// flag while no capture is active anywhere, and otherwise looks the app up in a small in-memory
// map. The map is updated at once by start/stop in this process and reloaded from the database
// every refresh_interval (captures started on other servers, expiry). Writing never blocks a
// response: submit() queues the raw exchange (bounded by bytes; overflow is counted and logged),
// and one writer thread redacts it and stores it. The database decides the count: each entry
// takes a sequence number with one conditional UPDATE (still active, not expired at the call's
// time, below max_requests) in the transaction that inserts it, so several servers never capture
// more than max_requests between them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "calllog/redaction.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}

namespace cs::calllog {

inline constexpr std::int64_t kMaxCaptureMinutes = 24 * 60;
inline constexpr std::int64_t kDefaultCaptureMinutes = 60;
inline constexpr std::int64_t kDefaultCaptureRequests = 50;
inline constexpr std::int64_t kMaxCaptureRequests = 1000;

struct TraceCapture {
  std::string id;  // trc_...
  std::string app_id;
  std::string partner_org_id;
  std::string created_by;
  Micros started_at = 0;
  Micros expires_at = 0;
  std::int64_t max_requests = 0;
  std::int64_t captured = 0;
  std::optional<Micros> stopped_at;

  bool active(Micros now) const {
    return !stopped_at && now < expires_at && captured < max_requests;
  }
};

// One exchange as the web layer saw it, before redaction.
struct CapturedExchange {
  std::string capture_id;
  Micros at = 0;
  std::string request_id;
  std::string method;
  std::string target;  // path and query as sent
  int status = 0;
  std::int64_t latency_us = 0;
  TraceHeaders request_headers;
  std::string request_body;
  TraceHeaders response_headers;
  std::string response_body;
  bool response_streamed = false;  // a streamed body (exports) is not kept
};

// One stored (redacted) entry.
struct TraceEntry {
  std::string id;  // tre_...
  std::string capture_id;
  std::int64_t seq = 0;  // 1..max_requests
  Micros at = 0;
  std::string request_id;
  std::string method;
  std::string url;  // path and query, redacted
  int status = 0;
  std::int64_t latency_us = 0;
  TraceHeaders request_headers;
  std::string request_body;
  TraceHeaders response_headers;
  std::string response_body;
};

struct TraceCaptureOptions {
  std::chrono::milliseconds refresh_interval{2000};
  std::size_t queue_bytes = 64u * 1024 * 1024;  // raw exchanges waiting for the writer
};

class TraceCaptures {
 public:
  TraceCaptures(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                TraceCaptureOptions options = {});
  ~TraceCaptures();  // stop()
  TraceCaptures(const TraceCaptures&) = delete;
  TraceCaptures& operator=(const TraceCaptures&) = delete;

  // Loads the active captures and starts the writer.
  Status start();
  // Writes everything queued, then stops the writer.
  void stop();

  // --- the partner's controls (authorisation is the caller's: these trust app/org) ---
  // validation_failed (field duration_minutes / max_requests) out of range; conflict when the
  // app already has an active capture. Audited trace_capture.started.
  Result<TraceCapture> begin(const std::string& app_id, const std::string& partner_org_id,
                             std::int64_t minutes, std::int64_t max_requests,
                             const identity::Actor& actor);
  // Stops the active capture; not_found when there is none. Audited trace_capture.stopped.
  Result<TraceCapture> end(const std::string& app_id, const identity::Actor& actor);
  // The active capture of the app, if any.
  Result<std::optional<TraceCapture>> active(const std::string& app_id);
  // Newest first.
  Result<std::vector<TraceCapture>> list(const std::string& app_id);
  // not_found unless the capture belongs to the app.
  Result<TraceCapture> get(const std::string& app_id, const std::string& capture_id);
  // Entries in capture order with seq > after_seq, at most `limit`.
  Result<std::vector<TraceEntry>> entries(const std::string& capture_id, std::int64_t after_seq,
                                          std::size_t limit);

  // --- the hot path (any thread, never blocks on the database) ---
  // The id of the capture a call of `app_id` at `at` belongs to, or nullopt (almost always).
  std::optional<std::string> capture_for(const std::string& app_id, Micros at);
  // Queues the exchange for redaction and storage. False when the queue was full (counted).
  bool submit(CapturedExchange exchange);
  // Blocks until everything submitted before the call has been processed (tests).
  void flush();
  // Re-reads the active captures from the database (the writer does this periodically).
  Status refresh();

  const Clock& clock() const { return clock_; }
  std::uint64_t written() const { return written_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  struct Slot {
    std::string capture_id;
    Micros expires_at = 0;
    std::int64_t remaining = 0;  // what this server may still claim; the database has the last word
  };
  void run();
  void publish(std::unordered_map<std::string, Slot> slots);
  void set_slot(const TraceCapture& c);
  void clear_slot(const std::string& app_id);
  Status write(const CapturedExchange& e);

  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  TraceCaptureOptions options_;

  std::atomic<bool> any_active_{false};
  std::mutex slots_mu_;
  std::unordered_map<std::string, Slot> slots_;  // app_id -> its active capture

  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::deque<CapturedExchange> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t accepted_ = 0, processed_ = 0;
  bool stopping_ = false, running_ = false;
  std::thread thread_;
  std::atomic<std::uint64_t> written_{0}, dropped_{0};
};

}  // namespace cs::calllog
