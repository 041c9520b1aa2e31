// Group commit for SQLite (DESIGN.md "Storage"; BENCHMARKS.md, issue 3).
//
// With synchronous=FULL, SQLite syncs the WAL inside COMMIT, while it holds the write lock: every
// other writer of the file waits for that fsync (milliseconds on this disk), so durable writers
// such as the call-log recorder set the pace of all writers. This VFS (the default one, with one
// change) lets a connection postpone the WAL sync of its commit: SqliteConnection commits, gives
// the writer turn back, and only then syncs the WAL, before it acknowledges the commit. Commits
// that finish while a sync is under way share the next one (WriterQueue::sync_through).
//
// What a caller is promised is unchanged: a durable commit is acknowledged only once the WAL
// holding it is on disk, and SQLite's frame checksums ignore a torn tail after a crash. What
// changes: until that sync, other connections may already read the commit, as they may with
// synchronous=NORMAL.
#pragma once

struct sqlite3_file;

namespace cs::store {

// The VFS name to open connections with (registered on first use).
const char* deferred_sync_vfs();

// While alive on a thread, a WAL sync that SQLite asks for on that thread is recorded instead of
// performed; sync() performs it (once), for the caller to do after giving up the writer turn.
class DeferredWalSync {
 public:
  DeferredWalSync();
  ~DeferredWalSync();
  DeferredWalSync(const DeferredWalSync&) = delete;
  DeferredWalSync& operator=(const DeferredWalSync&) = delete;

  // Ends the deferral (later syncs on this thread happen at once again).
  void stop();
  bool pending() const { return file_ != nullptr; }
  // The postponed sync; SQLITE_OK when none was asked for.
  int sync();

  // For the VFS: records a postponed sync.
  void record(sqlite3_file* file, int flags);

 private:
  DeferredWalSync* outer_;
  bool active_ = true;
  sqlite3_file* file_ = nullptr;
  int flags_ = 0;
};

}  // namespace cs::store
