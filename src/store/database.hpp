// The backend-neutral storage interface (DESIGN.md "Storage"). Services and repositories use
// only this header; sqlite3.h and libpq-fe.h stay inside src/store/sqlite and src/store/postgres.
//
// SQL dialect: write PostgreSQL-style positional parameters ($1, $2, ...). The SQLite backend
// binds them by number, so the same statement text runs on both backends. Times are BIGINT
// microseconds since the epoch (cs::Micros); booleans are BIGINT 0/1; ids are TEXT.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace cs::store {

enum class Backend { sqlite, postgres };

struct Bytes {
  std::vector<std::uint8_t> data;
  bool operator==(const Bytes&) const = default;
};

// A bound parameter or a column value.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Bytes>;

// Convenience for building parameter lists: {Value{"x"}, Value{int64_t{3}}, null}.
inline const Value null = nullptr;

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}

  std::size_t size() const { return values_.size(); }
  bool is_null(std::size_t i) const;
  // Typed access; aborts loudly on a type mismatch (a programming error, not bad input).
  std::int64_t int64(std::size_t i) const;
  double real(std::size_t i) const;
  const std::string& text(std::size_t i) const;
  const Bytes& bytes(std::size_t i) const;
  std::optional<std::int64_t> opt_int64(std::size_t i) const;
  std::optional<std::string> opt_text(std::size_t i) const;
  const Value& value(std::size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

using Params = std::span<const Value>;

// One database connection. Not thread-safe: a connection is used by one thread at a time
// (Database::connect hands out leases). Statements are prepared once per connection and
// cached by their text.
//
// Errors: a unique-constraint violation answers Errc::conflict; every other database failure
// answers Errc::internal with the driver's message in Error::detail() only (never SQL or
// driver text in the public message).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;

  // Runs a statement; returns the number of rows changed.
  virtual Result<std::int64_t> exec(std::string_view sql, Params params = {}) = 0;
  // Runs a statement and returns all result rows (use RETURNING for writes that return).
  virtual Result<std::vector<Row>> query(std::string_view sql, Params params = {}) = 0;
  // Zero or one row; more than one row is a programming error (Errc::internal).
  Result<std::optional<Row>> query_one(std::string_view sql, Params params = {});
  // Runs several statements without parameters (migrations).
  virtual Status exec_script(std::string_view sql) = 0;
  // Bulk load into an append-only table: `values` holds the rows one after another,
  // columns.size() values each; returns the number of rows loaded. PostgreSQL streams them with
  // one COPY ... FROM STDIN (a partitioned table routes each row to its partition); the default
  // runs one INSERT per row. `table` and `columns` are identifiers written in code, never input.
  // Joins an open transaction; otherwise the load is all or nothing by itself.
  virtual Result<std::int64_t> copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                         Params values);

  // Transactions. SQLite begins IMMEDIATE (takes the write lock up front, so two writers
  // never deadlock on a lock upgrade); PostgreSQL begins READ COMMITTED.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  virtual bool in_transaction() const = 0;

  // Number of statements prepared and cached on this connection (tests pin statement reuse).
  virtual std::size_t prepared_statement_count() const { return 0; }
};

// A connection borrowed from the pool; returned on destruction.
class ConnectionLease {
 public:
  ConnectionLease(std::unique_ptr<Connection> conn, std::function<void(std::unique_ptr<Connection>)> release)
      : conn_(std::move(conn)), release_(std::move(release)) {}
  ConnectionLease(ConnectionLease&&) = default;
  ConnectionLease& operator=(ConnectionLease&&) = default;
  ~ConnectionLease() {
    if (conn_ && release_) release_(std::move(conn_));
  }
  Connection& operator*() const { return *conn_; }
  Connection* operator->() const { return conn_.get(); }

 private:
  std::unique_ptr<Connection> conn_;
  std::function<void(std::unique_ptr<Connection>)> release_;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Backend backend() const = 0;
  // Borrows a connection (opens one if none is idle, up to the pool size; then waits).
  virtual Result<ConnectionLease> connect() = 0;
  // Cheap reachability probe for /readyz.
  virtual Status ping() = 0;
};

struct DatabaseOptions {
  std::string url;             // "sqlite:///abs/path.db", a plain file path, or "postgresql://..."
  int pool_size = 8;           // max open connections
  int busy_timeout_ms = 5000;  // SQLite busy timeout
};

// Opens the backend the URL names. A plain path or "sqlite:" URL is SQLite; "postgresql://"
// or "postgres://" is PostgreSQL.
Result<std::unique_ptr<Database>> open_database(const DatabaseOptions& options);

// Runs `fn` inside a transaction on `conn`: commits when it returns a value, rolls back when it
// returns an error (or throws, rethrowing). Nested use on a connection already in a
// transaction simply runs `fn` (the outer transaction decides).
template <class F>
auto in_transaction(Connection& conn, F&& fn) -> decltype(fn(conn)) {
  if (conn.in_transaction()) return fn(conn);
  CS_CHECK(conn.begin());
  try {
    auto result = fn(conn);
    if (result) {
      CS_CHECK(conn.commit());
    } else {
      (void)conn.rollback();
    }
    return result;
  } catch (...) {
    (void)conn.rollback();
    throw;
  }
}

inline Result<std::int64_t> Connection::copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                                  Params values) {
  if (columns.empty() || values.size() % columns.size() != 0) {
    return cs::fail(Errc::internal, "database error",
                    "copy_rows: " + std::to_string(values.size()) + " values for " + std::to_string(columns.size()) +
                        " columns");
  }
  std::string sql = "INSERT INTO " + std::string(table) + " (";
  std::string slots;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    sql += c ? ", " : "";
    sql += columns[c];
    slots += (c ? ", $" : "$") + std::to_string(c + 1);
  }
  sql += ") VALUES (" + slots + ")";
  // One transaction, so that the load is all or nothing as a COPY is.
  return ::cs::store::in_transaction(*this, [&](Connection& conn) -> Result<std::int64_t> {
    std::int64_t loaded = 0;
    for (std::size_t i = 0; i < values.size(); i += columns.size()) {
      loaded += CS_TRY(conn.exec(sql, values.subspan(i, columns.size())));
    }
    return loaded;
  });
}

// Borrows a connection and runs `fn` in a transaction on it.
template <class F>
auto transact(Database& db, F&& fn) -> decltype(fn(std::declval<Connection&>())) {
  auto lease = db.connect();
  if (!lease) return tl::unexpected(std::move(lease).error());
  return in_transaction(**lease, std::forward<F>(fn));
}

}  // namespace cs::store
