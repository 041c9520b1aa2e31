#include "calllog/call_log.hpp"

#include <spdlog/spdlog.h>

#include "calllog/retention.hpp"

namespace cs::calllog {

CallLog::CallLog(store::Database& db, const Clock& clock, audit::AuditLog& audit, CallLogOptions options)
    : db_(db),
      clock_(clock),
      audit_(audit),
      options_(options),
      recorder_(db, RecorderOptions{options.queue_capacity}),
      limits_(clock, options.defaults),
      polling_(clock, options.polling),
      callers_(db, clock) {}

CallLog::~CallLog() { stop(); }

Status CallLog::start() {
  CS_CHECK(limits_.load_overrides(db_));
  CS_CHECK(ensure_partitions(db_, clock_.now()));
  recorder_.start();
  if (db_.backend() == store::Backend::postgres) {
    std::lock_guard lock(mu_);
    stopping_ = false;
    sync_ = std::thread([this] { sync_loop(); });
  }
  return {};
}

void CallLog::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (sync_.joinable()) sync_.join();
  recorder_.stop();
}

void CallLog::sync_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.sync_interval, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (auto s = limits_.sync(db_); !s) {
      spdlog::warn("rate-limit sync failed: {} {}", s.error().message(), s.error().detail());
    }
    lock.lock();
  }
}

}  // namespace cs::calllog
