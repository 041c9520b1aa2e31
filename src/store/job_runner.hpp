// Worker threads that drain the durable job queue: each polls claim(), runs the handler
// registered for the job's kind, and records complete() or fail(). A handler error or an
// exception is a failed attempt (retried with backoff, dead after max_attempts); a job whose
// kind has no handler fails with a clear error. stop() lets every worker finish the job in
// hand, then joins (graceful shutdown).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "store/job_queue.hpp"

namespace cs::store {

using JobHandler = std::function<Status(const Job&)>;

struct JobRunnerOptions {
  int workers = 2;
  std::chrono::milliseconds poll_interval{1000};  // idle wait between empty claims (real time)
  Micros lease = 5 * 60 * kMicrosPerSecond;       // longer than any handler should run
  std::string worker_prefix = "worker";           // worker ids are "<prefix>-<n>"
};

class JobRunner {
 public:
  // `db` and `clock` must outlive the runner. The clock stamps leases and backoff, so tests
  // can drive retries with ManualClock.
  JobRunner(Database& db, const Clock& clock, JobRunnerOptions options = {});
  ~JobRunner();  // stop()s
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Register before start().
  void register_handler(std::string kind, JobHandler handler);
  void start();
  // Wakes idle workers now (e.g. right after a commit that enqueued a job).
  void notify();
  // Finishes the jobs in hand, then joins the workers. Idempotent.
  void stop();

  // Counters for /metrics and tests.
  std::int64_t completed() const { return completed_.load(); }
  std::int64_t failed() const { return failed_.load(); }
  std::int64_t errors() const { return errors_.load(); }  // queue/database errors while polling
  std::int64_t polls() const { return polls_.load(); }    // claim attempts made

 private:
  void work(int index);
  // Runs one job if one is due; false when the queue had nothing (or could not be reached).
  bool run_one(const std::string& worker_id);

  Database& db_;
  const Clock& clock_;
  JobRunnerOptions options_;
  std::map<std::string, JobHandler, std::less<>> handlers_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t wakeups_ = 0;
  std::atomic<std::int64_t> completed_{0};
  std::atomic<std::int64_t> failed_{0};
  std::atomic<std::int64_t> errors_{0};
  std::atomic<std::int64_t> polls_{0};
};

}  // namespace cs::store
