#include "store/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <charconv>
#include <filesystem>
#include <system_error>

#include "store/pool.hpp"
#include "store/sqlite/deferred_sync_vfs.hpp"
#include "store/sqlite/writer_queue.hpp"

namespace cs::store {
namespace {

constexpr const char* kPublicDbError = "database error";
// SQLite's default automatic checkpoint threshold (wal_autocheckpoint), kept: only where the
// checkpoint runs changes (after the writer turn is given back, see on_wal_commit).
constexpr int kCheckpointPages = 1000;

// BEGIN and SAVEPOINT open a transaction without writing (sqlite3_stmt_readonly is true for
// them), yet every transaction here is a write transaction (begin() is IMMEDIATE).
bool opens_transaction(sqlite3_stmt* stmt) {
  std::string_view sql = sqlite3_sql(stmt);
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n' || sql.front() == '\t' ||
                          sql.front() == '\r'))
    sql.remove_prefix(1);
  auto starts = [&](std::string_view word) {
    if (sql.size() < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
      if ((sql[i] & ~0x20) != word[i]) return false;
    return true;
  };
  return starts("BEGIN") || starts("SAVEPOINT");
}

bool only_trailing_noise(const char* tail) {
  for (; tail && *tail; ++tail) {
    if (*tail != ';' && *tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != '\r')
      return false;
  }
  return true;
}

}  // namespace

Error SqliteConnection::error(int rc, std::string_view context) const {
  int ext = db_ ? sqlite3_extended_errcode(db_) : rc;
  std::string detail = std::string(context) + ": " +
                       (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)) + " (sqlite " +
                       std::to_string(ext) + ")";
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Error(Errc::conflict, "the record already exists", std::move(detail));
  }
  return Error(Errc::internal, kPublicDbError, std::move(detail));
}

SqliteConnection::SqliteConnection(sqlite3* db, std::shared_ptr<WriterQueue> writers,
                                   int busy_timeout_ms)
    : db_(db), writers_(std::move(writers)), busy_timeout_ms_(busy_timeout_ms) {}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(
    const std::string& path, int busy_timeout_ms, std::shared_ptr<WriterQueue> writers) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return cs::fail(Errc::internal, kPublicDbError,
                      "cannot create " + parent.string() + ": " + ec.message());
  }
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      deferred_sync_vfs());
  std::unique_ptr<SqliteConnection> conn(
      new SqliteConnection(raw, std::move(writers), busy_timeout_ms));
  if (rc != SQLITE_OK) return cs::fail(conn->error(rc, "open " + path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // synchronous=FULL: this is business data (signatures, certifications, the outbox); a commit
  // acknowledged to a caller must survive power loss, which WAL with NORMAL does not promise.
  // mmap_size: pages are read through a shared mapping instead of one pread each; cache_size (at
  // most 64 MiB per connection, filled only as pages are used) keeps the call log's hot index
  // pages across batches. Together they raised call-log ingest from 72k to 90k rows per
  // CPU-second (bench/calllog, BENCHMARKS.md).
  //
  // Outside the writer queue (SQLite's busy handler arbitrates, as before): a pool may open a
  // connection for a caller that already holds the turn on another one.
  char* msg = nullptr;
  rc = sqlite3_exec(raw,
                    "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; "
                    "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536;",
                    nullptr, nullptr, &msg);
  if (msg) sqlite3_free(msg);
  if (rc != SQLITE_OK) return cs::fail(conn->error(rc, "open pragmas"));
  // Replaces SQLite's automatic checkpoint hook (same threshold), see on_wal_commit.
  sqlite3_wal_hook(raw, &SqliteConnection::on_wal_commit, conn.get());
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, p] : cache_) sqlite3_finalize(p.stmt);
  for (sqlite3_stmt* s : {begin_stmt_, commit_stmt_, rollback_stmt_}) sqlite3_finalize(s);
  sqlite3_close_v2(db_);  // rolls back an open transaction
  if (writer_) writers_->release();
}

// Called inside the COMMIT, while this connection still holds the writer turn. SQLite's own hook
// would checkpoint right here (copying pages to the database file and, with synchronous=FULL,
// syncing it) and every writer of the process would queue behind it; the checkpoint runs in
// settle_writer() instead, once the turn has passed on. It never needed the write lock.
int SqliteConnection::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  if (pages >= kCheckpointPages) static_cast<SqliteConnection*>(self)->checkpoint_due_ = true;
  return SQLITE_OK;
}

bool SqliteConnection::must_claim(sqlite3_stmt* stmt) const {
  return !writer_ && (!sqlite3_stmt_readonly(stmt) || opens_transaction(stmt));
}

Status SqliteConnection::claim_writer() {
  if (writer_) return {};
  if (!writers_->acquire(std::chrono::milliseconds(busy_timeout_ms_))) {
    return cs::fail(Errc::unavailable, "the database is busy",
                    "no turn in the SQLite writer queue within " +
                        std::to_string(busy_timeout_ms_) + " ms");
  }
  writer_ = true;
  return {};
}

Status SqliteConnection::settle(Status stepped, DeferredWalSync& deferral) {
  deferral.stop();
  // Numbered once its frames are written: a sync that starts after this covers it.
  std::uint64_t commit = deferral.pending() ? writers_->note_commit() : 0;
  settle_writer();
  if (commit != 0) {
    int rc = writers_->sync_through(commit, [&] { return deferral.sync(); });
    if (rc != SQLITE_OK && stepped) {
      // Written but not known to be on disk: never acknowledged as durable.
      return cs::fail(Errc::internal, kPublicDbError,
                      "WAL sync after commit failed: " + std::string(sqlite3_errstr(rc)));
    }
  }
  return stepped;
}

void SqliteConnection::settle_writer() {
  if (!writer_ || sqlite3_get_autocommit(db_) == 0) return;
  writer_ = false;
  writers_->release();
  if (checkpoint_due_) {
    checkpoint_due_ = false;
    // PASSIVE, like SQLite's automatic checkpoint: does what it can without waiting for anyone;
    // a checkpoint that cannot finish now is retried after a later commit.
    (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
}

Result<SqliteConnection::Prepared*> SqliteConnection::prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) return &it->second;

  Prepared p;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &p.stmt, &tail);
  if (rc != SQLITE_OK) return cs::fail(error(rc, "prepare"));
  if (p.stmt == nullptr || !only_trailing_noise(tail)) {
    sqlite3_finalize(p.stmt);
    return cs::fail(Errc::internal, kPublicDbError,
                    "statement text must hold exactly one statement");
  }
  // SQLite reads "$1" as a named parameter; map each $n to its index so the same text binds by
  // number on both backends.
  int count = sqlite3_bind_parameter_count(p.stmt);
  p.slot.assign(static_cast<std::size_t>(count), 0);
  for (int idx = 1; idx <= count; ++idx) {
    const char* name = sqlite3_bind_parameter_name(p.stmt, idx);
    int n = 0;
    std::string_view nm = name ? name : "";
    auto [end, ec] = nm.size() > 1 && nm[0] == '$'
                         ? std::from_chars(nm.data() + 1, nm.data() + nm.size(), n)
                         : std::from_chars_result{nullptr, std::errc::invalid_argument};
    if (ec != std::errc() || end != nm.data() + nm.size() || n < 1 || n > count) {
      sqlite3_finalize(p.stmt);
      return cs::fail(Errc::internal, kPublicDbError,
                      "parameters must be $1..$N without gaps; got '" + std::string(nm) + "'");
    }
    p.slot[static_cast<std::size_t>(n - 1)] = idx;
  }
  auto [pos, inserted] = cache_.emplace(std::string(sql), std::move(p));
  (void)inserted;
  return &pos->second;
}

Status SqliteConnection::run(std::string_view sql, Params params, std::vector<Row>* rows) {
  Prepared* p = CS_TRY(prepare(sql));
  sqlite3_stmt* stmt = p->stmt;
  if (params.size() != p->slot.size()) {
    return cs::fail(Errc::internal, kPublicDbError,
                    "statement takes " + std::to_string(p->slot.size()) + " parameters, got " +
                        std::to_string(params.size()));
  }
  if (must_claim(stmt)) CS_CHECK(claim_writer());
  // Always leave the statement reset and unbound, whatever happens below.
  struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset{stmt};

  for (std::size_t i = 0; i < params.size(); ++i) {
    int idx = p->slot[i];
    const Value& v = params[i];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v)) {
      rc = sqlite3_bind_null(stmt, idx);
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, idx, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, idx, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      // SQLITE_STATIC: the parameter outlives the step loop; bindings are cleared before return.
      rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      const auto& b = std::get<Bytes>(v).data;
      // An empty vector may have a null data() pointer, which SQLite would bind as NULL.
      rc = b.empty() ? sqlite3_bind_zeroblob(stmt, idx, 0)
                     : sqlite3_bind_blob64(stmt, idx, b.data(), b.size(), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) {
      Error e = error(rc, "bind");
      settle_writer();
      return cs::fail(std::move(e));
    }
  }
  DeferredWalSync deferral;
  Status stepped = step_to_end(stmt, rows);
  // An autocommit write has committed (or failed) by now; so has a transaction SQLite ended
  // itself on an error.
  return settle(std::move(stepped), deferral);
}

Status SqliteConnection::step_to_end(sqlite3_stmt* stmt, std::vector<Row>* rows) {
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return cs::fail(error(rc, "step"));
    if (!rows) continue;
    int cols = sqlite3_column_count(stmt);
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          values.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_TEXT: {
          const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          values.emplace_back(
              std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
          break;
        }
        case SQLITE_BLOB: {
          const auto* b = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, c));
          int len = sqlite3_column_bytes(stmt, c);
          values.emplace_back(Bytes{std::vector<std::uint8_t>(b, b + len)});
          break;
        }
        default:
          values.emplace_back(nullptr);
          break;
      }
    }
    rows->emplace_back(std::move(values));
  }
}

Result<std::int64_t> SqliteConnection::exec(std::string_view sql, Params params) {
  CS_CHECK(run(sql, params, nullptr));
  return static_cast<std::int64_t>(sqlite3_changes64(db_));
}

Result<std::vector<Row>> SqliteConnection::query(std::string_view sql, Params params) {
  std::vector<Row> rows;
  CS_CHECK(run(sql, params, &rows));
  return rows;
}

// Statement by statement (not sqlite3_exec), so each one takes the writer turn if it needs it.
Status SqliteConnection::exec_script(std::string_view sql) {
  const char* next = sql.data();
  const char* end = sql.data() + sql.size();
  while (next < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, next, static_cast<int>(end - next), &stmt, &tail);
    if (rc != SQLITE_OK) return cs::fail(error(rc, "exec_script"));
    next = tail ? tail : end;
    if (stmt == nullptr) continue;  // whitespace or a comment
    struct Finalize {
      sqlite3_stmt* s;
      ~Finalize() { sqlite3_finalize(s); }
    } finalize{stmt};
    if (must_claim(stmt)) CS_CHECK(claim_writer());
    DeferredWalSync deferral;
    Status stepped = step_to_end(stmt, nullptr);
    sqlite3_reset(stmt);
    CS_CHECK(settle(std::move(stepped), deferral));
  }
  return {};
}

Status SqliteConnection::run_control(sqlite3_stmt*& stmt, const char* sql) {
  if (stmt == nullptr) {
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      stmt = nullptr;
      return cs::fail(error(rc, sql));
    }
  }
  DeferredWalSync deferral;
  int rc = sqlite3_step(stmt);
  Status out;
  if (rc != SQLITE_DONE) out = cs::fail(error(rc, sql));
  sqlite3_reset(stmt);
  return settle(std::move(out), deferral);
}

// IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading a read lock
// (and a WAL snapshot can never go stale between a transaction's read and its write). The
// writer turn comes first: then BEGIN IMMEDIATE only waits for other processes.
Status SqliteConnection::begin() {
  CS_CHECK(claim_writer());
  return run_control(begin_stmt_, "BEGIN IMMEDIATE");
}
Status SqliteConnection::commit() { return run_control(commit_stmt_, "COMMIT"); }
Status SqliteConnection::rollback() {
  if (!in_transaction()) return {};
  return run_control(rollback_stmt_, "ROLLBACK");
}
bool SqliteConnection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Result<std::unique_ptr<Database>> open_sqlite_database(const std::string& path,
                                                       const DatabaseOptions& options) {
  int busy = options.busy_timeout_ms;
  // Open one connection now so a bad path fails at startup, not on the first request.
  auto writers = WriterQueue::for_file(path);
  auto first = CS_TRY(SqliteConnection::open(path, busy, writers));
  auto pool = std::make_unique<ConnectionPool>(
      Backend::sqlite, options.pool_size,
      PoolHooks{[path, busy, writers]() -> Result<std::unique_ptr<Connection>> {
                  auto c = CS_TRY(SqliteConnection::open(path, busy, writers));
                  return std::unique_ptr<Connection>(std::move(c));
                },
                nullptr});
  first.reset();
  return std::unique_ptr<Database>(std::move(pool));
}

}  // namespace cs::store
