#include "calllog/recorder.hpp"

#include <optional>

#include <spdlog/spdlog.h>

#include "calllog/call_writer.hpp"

namespace cs::calllog {

Recorder::Recorder(store::Database& db, RecorderOptions options) : db_(db), options_(options) {
  queue_.reserve(std::min<std::size_t>(options_.capacity, 4096));
}

Recorder::~Recorder() { stop(); }

void Recorder::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Recorder::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

bool Recorder::submit(CallRecord record) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.capacity) {
      dropped_.fetch_add(1);
      return false;
    }
    queue_.push_back(std::move(record));
    ++accepted_;
    // The writer waits for the first record, then gathers (see RecorderOptions::gather): only
    // the first and the one that fills the batch wake it, not every request.
    wake = queue_.size() == 1 || queue_.size() == options_.gather_rows;
  }
  if (wake) wake_.notify_one();
  return true;
}

void Recorder::flush() {
  std::unique_lock lock(mu_);
  auto target = accepted_;
  if (!running_) return;
  ++flushes_waiting_;
  wake_.notify_one();
  done_.wait(lock, [&] { return processed_ >= target || !running_; });
  --flushes_waiting_;
}

std::size_t Recorder::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Recorder::report_drops() {
  auto dropped = dropped_.load();
  if (dropped == drops_reported_) return;
  spdlog::error("call log queue full: {} call(s) dropped ({} in total); raise calllog.queue_capacity",
                dropped - drops_reported_, dropped);
  drops_reported_ = dropped;
}

void Recorder::run() {
  std::vector<CallRecord> batch;
  batch.reserve(queue_.capacity());
  // The writer keeps one pooled connection while it runs: statements are prepared per
  // connection, and a 256-row INSERT takes milliseconds to prepare (SQLite resolves its 5,120
  // parameter names one by one), so taking any idle connection per batch prepared the INSERTs
  // again on each of the pool's connections. A failed batch gives the connection back (the
  // pool's revive check drops a broken one) and the retry takes a fresh lease.
  std::optional<store::ConnectionLease> conn;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) break;
      wake_.wait_for(lock, options_.gather, [&] {
        return stopping_ || flushes_waiting_ > 0 || queue_.size() >= options_.gather_rows;
      });
      batch.swap(queue_);
    }
    Status status = fail(Errc::internal, "no connection");
    for (int attempt = 0; attempt < 2 && !status; ++attempt) {
      if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (!conn) {
        auto lease = db_.connect();
        if (!lease) {
          status = tl::unexpected(lease.error());
          continue;
        }
        conn.emplace(std::move(*lease));
      }
      status = append_calls(**conn, batch);
      if (!status) conn.reset();
    }
    if (status) {
      written_.fetch_add(batch.size());
    } else {
      failed_.fetch_add(batch.size());
      spdlog::error("call log: {} call(s) could not be written: {} {}", batch.size(), status.error().message(),
                    status.error().detail());
    }
    report_drops();
    {
      std::lock_guard lock(mu_);
      processed_ += batch.size();
    }
    done_.notify_all();
    batch.clear();
  }
  report_drops();
  done_.notify_all();
}

}  // namespace cs::calllog
