// PostgreSQL backend over libpq. Statements are prepared once per connection (named "s<N>",
// cached by SQL text); parameters go as text, except Bytes which go binary; results come as text
// and are decoded by column type OID. Bulk loads (copy_rows) use COPY in text format.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/database.hpp"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace cs::store {

class PgConnection final : public Connection {
 public:
  static Result<std::unique_ptr<PgConnection>> open(const std::string& url);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Backend backend() const override { return Backend::postgres; }
  Result<std::int64_t> exec(std::string_view sql, Params params = {}) override;
  Result<std::vector<Row>> query(std::string_view sql, Params params = {}) override;
  Status exec_script(std::string_view sql) override;
  // COPY ... FROM STDIN in text format, streamed in chunks of about 256 KiB.
  Result<std::int64_t> copy_rows(std::string_view table, std::span<const std::string_view> columns,
                                 Params values) override;
  Status begin() override;
  Status commit() override;
  Status rollback() override;
  bool in_transaction() const override;
  std::size_t prepared_statement_count() const override { return statements_.size(); }

  // Called by the pool before lending the connection out: repairs a broken connection with
  // PQreset (server restart, network blip). False when it is still unusable.
  bool revive();

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  Result<PGresult*> run(std::string_view sql, Params params);
  Error error_from(PGresult* res, std::string_view context) const;

  PGconn* conn_;
  std::unordered_map<std::string, std::string> statements_;  // SQL text -> prepared name
};

Result<std::unique_ptr<Database>> open_postgres_database(const DatabaseOptions& options);

}  // namespace cs::store
