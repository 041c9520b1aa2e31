// SQLite backend: one sqlite3 handle per Connection, opened with SQLITE_OPEN_NOMUTEX because a
// connection is only ever used by one thread at a time (the pool enforces it).
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

class SqliteConnection final : public Connection {
 public:
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                        int busy_timeout_ms);
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

  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  Result<Prepared*> prepare(std::string_view sql);
  // Binds, steps to completion (collecting rows when `rows` is set) and resets.
  Status run(std::string_view sql, Params params, std::vector<Row>* rows);
  Error error(int rc, std::string_view context) const;

  sqlite3* db_;
  std::unordered_map<std::string, Prepared> cache_;
};

// Opens a pooled SQLite database at `path` (creating its parent directory).
Result<std::unique_ptr<Database>> open_sqlite_database(const std::string& path,
                                                       const DatabaseOptions& options);

}  // namespace cs::store
