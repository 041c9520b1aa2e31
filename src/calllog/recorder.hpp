// Writing the call log without ever blocking a request (issue 5 §1): submit() puts the record
// on a bounded in-memory queue; one writer thread takes everything queued at once and writes it
// in a single transaction with multi-row INSERTs (group commit). stop() writes every queued
// record before it returns. A full queue drops the record: counted (dropped(), the metric
// countersign_calllog_dropped_total) and logged, never silent.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "calllog/call_record.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::calllog {

struct RecorderOptions {
  std::size_t capacity = 65536;  // records waiting for the writer
  // Group commit: once a record is waiting, the writer lets more gather for this long (or
  // until `gather_rows` wait, a flush() asks or stop() runs) before it writes. Each commit
  // costs an fsync, and on SQLite it makes every other connection drop its page cache and
  // mapping on its next read, so one commit per request would tax the requests themselves.
  std::chrono::milliseconds gather{50};
  std::size_t gather_rows = 4096;
};

class Recorder {
 public:
  Recorder(store::Database& db, RecorderOptions options);
  ~Recorder();  // stop()
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void start();
  // Drains: every record submitted before stop() is written (or counted as failed) first.
  void stop();

  // Never waits for the database. False when the queue was full and the record was dropped.
  bool submit(CallRecord record);
  // Blocks until everything submitted before the call has been written (tests, exports that
  // must see the newest calls).
  void flush();

  std::uint64_t written() const { return written_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }
  // Records lost because the database refused a batch (after one retry); logged.
  std::uint64_t failed() const { return failed_.load(); }
  std::size_t queued() const;

 private:
  void run();
  void report_drops();

  store::Database& db_;
  RecorderOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_, done_;
  std::vector<CallRecord> queue_;
  std::uint64_t accepted_ = 0;   // guarded by mu_
  std::uint64_t processed_ = 0;  // guarded by mu_
  int flushes_waiting_ = 0;      // guarded by mu_
  bool stopping_ = false;
  bool running_ = false;
  std::thread thread_;
  std::atomic<std::uint64_t> written_{0}, dropped_{0}, failed_{0};
  std::uint64_t drops_reported_ = 0;  // writer thread only
};

}  // namespace cs::calllog
