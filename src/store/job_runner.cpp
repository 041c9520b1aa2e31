#include "store/job_runner.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace cs::store {

JobRunner::JobRunner(Database& db, const Clock& clock, JobRunnerOptions options)
    : db_(db), clock_(clock), options_(std::move(options)) {}

JobRunner::~JobRunner() { stop(); }

void JobRunner::register_handler(std::string kind, JobHandler handler) {
  handlers_[std::move(kind)] = std::move(handler);
}

void JobRunner::start() {
  std::lock_guard lock(mu_);
  if (!workers_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this, i] { work(i); });
}

void JobRunner::notify() {
  std::lock_guard lock(mu_);
  ++wakeups_;
  cv_.notify_all();
}

void JobRunner::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    workers.swap(workers_);
  }
  cv_.notify_all();
  for (auto& t : workers) t.join();
}

void JobRunner::work(int index) {
  const std::string worker_id = options_.worker_prefix + "-" + std::to_string(index);
  for (;;) {
    std::uint64_t seen;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = wakeups_;
    }
    if (run_one(worker_id)) continue;  // busy queue: claim again straight away
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.poll_interval, [&] { return stopping_ || wakeups_ != seen; });
  }
}

bool JobRunner::run_one(const std::string& worker_id) {
  auto claimed = claim(db_, worker_id, options_.lease, {}, clock_);
  ++polls_;
  if (!claimed) {
    ++errors_;
    spdlog::error("job queue: claim failed: {}", claimed.error().detail());
    return false;
  }
  if (!claimed->has_value()) return false;
  const Job& job = **claimed;

  Status outcome;
  auto handler = handlers_.find(job.kind);
  if (handler == handlers_.end()) {
    outcome = cs::fail(Errc::internal, "no handler",
                       "no handler registered for job kind '" + job.kind + "'");
  } else {
    try {
      outcome = handler->second(job);
    } catch (const std::exception& e) {
      outcome =
          cs::fail(Errc::internal, "handler threw", std::string("handler threw: ") + e.what());
    } catch (...) {
      outcome = cs::fail(Errc::internal, "handler threw", "handler threw a non-standard exception");
    }
  }

  Status recorded;
  if (outcome) {
    recorded = complete(db_, job, clock_);
    if (recorded) ++completed_;
  } else {
    const Error& e = outcome.error();
    std::string why = e.detail().empty() ? e.message() : e.detail();
    spdlog::warn("job {} ({}) attempt {}/{} failed: {}", job.id, job.kind, job.attempts,
                 job.max_attempts, why);
    recorded = fail(db_, job, std::string(e.code()) + ": " + why, clock_);
    if (recorded) ++failed_;
  }
  if (!recorded) {
    ++errors_;
    spdlog::error("job {}: recording the outcome failed: {}", job.id, recorded.error().detail());
  }
  return true;
}

}  // namespace cs::store
