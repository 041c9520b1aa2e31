// The queue that SQLite writers of one process wait in (DESIGN.md "Storage": SQLite admits one
// writer per database file at a time).
//
// Without it, a connection that finds the write lock taken waits in SQLite's busy handler, which
// sleeps 1, 2, 5, 10... ms between attempts: with a few threads writing short transactions (refresh
// rotations, the call-log recorder, rate-limit counters) those sleeps, not the work, set the pace
// (BENCHMARKS.md, issue 3). Here every write transaction of the process takes its turn first come,
// first served and is handed the lock the moment the previous writer finishes. The busy handler
// still arbitrates between processes (the CLI, a second server on the same file).
//
// Internal to src/store/sqlite: SqliteConnection claims the queue before BEGIN and before a write
// statement outside a transaction, and leaves it when the connection is back in autocommit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

namespace cs::store {

class WriterQueue {
 public:
  // The queue of the database file at `path`: one per file in this process (keyed by its
  // canonical path), shared by every pool opened on it, gone with the last connection.
  static std::shared_ptr<WriterQueue> for_file(const std::string& path);

  // Waits, first come first served, until the caller is the one writer; false when `limit`
  // passed first (the caller then holds nothing).
  bool acquire(std::chrono::milliseconds limit);
  // Hands the turn to the longest waiter, if any.
  void release();

  // Callers waiting now (tests observe the queue with it).
  std::size_t waiting() const;

  // Group commit (deferred_sync_vfs.hpp): a commit whose WAL sync was postponed takes a number
  // once its frames are written, then calls sync_through with it. `sync` runs unless a sync that
  // began after that commit has already succeeded; syncs run one at a time, so the commits that
  // finish during one share the next. Answers `sync`'s result (0: success), or 0 when covered.
  std::uint64_t note_commit();
  int sync_through(std::uint64_t commit, const std::function<int()>& sync);
  std::uint64_t syncs() const { return syncs_.load(); }  // performed syncs (tests)

 private:
  struct Waiter {
    std::condition_variable cv;
    bool granted = false;
  };

  mutable std::mutex mu_;
  bool held_ = false;
  std::list<Waiter*> waiters_;

  std::atomic<std::uint64_t> committed_{0};
  std::mutex sync_mu_;
  std::uint64_t synced_ = 0;  // every commit numbered up to here is on disk
  std::atomic<std::uint64_t> syncs_{0};
};

}  // namespace cs::store
