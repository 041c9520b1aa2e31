// SQLite backend: one sqlite3 handle per Connection, opened with SQLITE_OPEN_NOMUTEX because a
// connection is only ever used by one thread at a time (the pool enforces it).
//
// Writers of one process take turns in a WriterQueue (writer_queue.hpp) instead of SQLite's
// sleeping busy handler: begin() and every write statement outside a transaction claim the turn,
// and the connection gives it back as soon as it is in autocommit again (commit, rollback, or
// the end of that statement). A durable commit's WAL sync and WAL checkpoints run after the turn
// is given back, not inside it (deferred_sync_vfs.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace cs::store {

class WriterQueue;
class DeferredWalSync;

class SqliteConnection final : public Connection {
 public:
  // `writers` is the queue of the file at `path` (WriterQueue::for_file); a writer waits in it
  // for at most `busy_timeout_ms`, as it would in SQLite's busy handler.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                        int busy_timeout_ms,
                                                        std::shared_ptr<WriterQueue> writers);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Backend backend() const override { return Backend::sqlite; }
  Result<std::int64_t> exec(std::string_view sql, Params params = {}) override;
  Result<std::vector<Row>> query(std::string_view sql, Params params = {}) override;
  Status exec_script(std::string_view sql) override;
  Status begin() override;
  Status commit() override;
  Status rollback() override;
  bool in_transaction() const override;
  std::size_t prepared_statement_count() const override { return cache_.size(); }

 private:
  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    // slot[n - 1] is SQLite's parameter index for "$n".
    std::vector<int> slot;
  };

  SqliteConnection(sqlite3* db, std::shared_ptr<WriterQueue> writers, int busy_timeout_ms);
  Result<Prepared*> prepare(std::string_view sql);
  // Binds, steps to completion (collecting rows when `rows` is set) and resets.
  Status run(std::string_view sql, Params params, std::vector<Row>* rows);
  Status step_to_end(sqlite3_stmt* stmt, std::vector<Row>* rows);
  // BEGIN IMMEDIATE, COMMIT, ROLLBACK: prepared once, kept out of the statement cache.
  Status run_control(sqlite3_stmt*& stmt, const char* sql);
  Error error(int rc, std::string_view context) const;

  // The writer turn: claimed before a statement that writes or opens a transaction, given back
  // once the connection is in autocommit again.
  bool must_claim(sqlite3_stmt* stmt) const;
  Status claim_writer();
  void settle_writer();
  // After a statement: gives the turn back, then performs the WAL sync SQLite asked for during
  // it (group commit, deferred_sync_vfs.hpp) before the statement counts as done.
  Status settle(Status stepped, DeferredWalSync& deferral);
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);

  sqlite3* db_;
  std::shared_ptr<WriterQueue> writers_;
  int busy_timeout_ms_;
  bool writer_ = false;          // this connection holds the writer turn
  bool checkpoint_due_ = false;  // the WAL grew past the checkpoint threshold at a commit
  sqlite3_stmt* begin_stmt_ = nullptr;
  sqlite3_stmt* commit_stmt_ = nullptr;
  sqlite3_stmt* rollback_stmt_ = nullptr;
  std::unordered_map<std::string, Prepared> cache_;
};

// Opens a pooled SQLite database at `path` (creating its parent directory).
Result<std::unique_ptr<Database>> open_sqlite_database(const std::string& path,
                                                       const DatabaseOptions& options);

}  // namespace cs::store
