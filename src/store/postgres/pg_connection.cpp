#include "store/postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>

#include "store/pool.hpp"

namespace cs::store {
namespace {

constexpr const char* kPublicDbError = "database error";

// Type OIDs from pg_type.h (stable across PostgreSQL versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

struct ResultGuard {
  PGresult* r;
  ~ResultGuard() { PQclear(r); }
};

void ignore_notice(void*, const char*) {}

std::string double_text(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  (void)ec;
  return std::string(buf, end);
}

// COPY's text format (PostgreSQL manual, COPY, "Text Format"): a tab between columns, a newline
// after each row, \N for NULL, and a backslash escape for a backslash, tab, newline or carriage
// return inside a value. Other bytes, UTF-8 included, go as they are. A value ends at its first
// NUL byte, as it does when bound as a text parameter (PostgreSQL text cannot hold NUL), so a
// bulk load stores what exec() would.
void append_copy_text(std::string& out, std::string_view s) {
  static constexpr std::string_view kSpecial("\\\t\n\r\0", 5);
  for (;;) {
    std::size_t at = s.find_first_of(kSpecial);
    out.append(s.substr(0, at));
    if (at == std::string_view::npos) return;
    switch (s[at]) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        return;  // NUL
    }
    s.remove_prefix(at + 1);
  }
}

void append_copy_value(std::string& out, const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) {
    out += "\\N";
  } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *n);
    (void)ec;
    out.append(buf, end);
  } else if (const auto* d = std::get_if<double>(&v)) {
    out += double_text(*d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    append_copy_text(out, *s);
  } else {
    // bytea's hex input (\x...), its backslash escaped for COPY.
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\\\x";
    for (std::uint8_t b : std::get<Bytes>(v).data) {
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
  }
}

Value decode(const char* text, int len, Oid type) {
  std::string_view s(text, static_cast<std::size_t>(len));
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      std::int64_t v = 0;
      std::from_chars(s.data(), s.data() + s.size(), v);
      return v;
    }
    case kFloat4Oid:
    case kFloat8Oid:
      return std::strtod(text, nullptr);  // also reads NaN and Infinity
    case kBoolOid:
      return std::int64_t{s == "t" ? 1 : 0};
    case kNumericOid: {
      // SUM(bigint) and friends answer numeric: integral values read as int64, others as double.
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && end == s.data() + s.size()) return v;
      return std::strtod(text, nullptr);
    }
    case kByteaOid: {
      std::size_t n = 0;
      unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
      Bytes b{std::vector<std::uint8_t>(raw, raw + n)};
      PQfreemem(raw);
      return b;
    }
    default:
      return std::string(s);
  }
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& url) {
  std::unique_ptr<PgConnection> conn(new PgConnection(PQconnectdb(url.c_str())));
  if (conn->conn_ == nullptr)
    return cs::fail(Errc::unavailable, "the database is unavailable", "PQconnectdb: out of memory");
  if (PQstatus(conn->conn_) != CONNECTION_OK) {
    return cs::fail(Errc::unavailable, "the database is unavailable",
                    std::string("connect: ") + PQerrorMessage(conn->conn_));
  }
  // Notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
  PQsetNoticeProcessor(conn->conn_, ignore_notice, nullptr);
  return conn;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::revive() {
  if (PQstatus(conn_) == CONNECTION_OK) return true;
  PQreset(conn_);
  statements_.clear();  // a new server session has no prepared statements
  return PQstatus(conn_) == CONNECTION_OK;
}

Error PgConnection::error_from(PGresult* res, std::string_view context) const {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* msg = res ? PQresultErrorMessage(res) : nullptr;
  std::string detail = std::string(context) + ": " + (msg && *msg ? msg : PQerrorMessage(conn_));
  if (state) detail += std::string(" (sqlstate ") + state + ")";
  if (state && std::string_view(state) == "23505") {
    return Error(Errc::conflict, "the record already exists", std::move(detail));
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Error(Errc::unavailable, "the database is unavailable", std::move(detail));
  }
  return Error(Errc::internal, kPublicDbError, std::move(detail));
}

Result<PGresult*> PgConnection::run(std::string_view sql, Params params) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it == statements_.end()) {
    std::string name = "s" + std::to_string(statements_.size() + 1);
    PGresult* prep = PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr);
    ResultGuard guard{prep};
    if (PQresultStatus(prep) != PGRES_COMMAND_OK) return cs::fail(error_from(prep, "prepare"));
    it = statements_.emplace(std::move(key), std::move(name)).first;
  }

  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<int> lengths(params.size(), 0);
  std::vector<int> formats(params.size(), 0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i];
    if (std::holds_alternative<std::nullptr_t>(v)) continue;
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      texts[i] = std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      texts[i] = double_text(*d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      values[i] = s->c_str();
      continue;
    } else {
      const auto& b = std::get<Bytes>(v).data;
      values[i] = b.empty() ? "" : reinterpret_cast<const char*>(b.data());
      lengths[i] = static_cast<int>(b.size());
      formats[i] = 1;  // binary: no escaping, no size blow-up
      continue;
    }
    values[i] = texts[i].c_str();
  }
  PGresult* res = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                                 values.data(), lengths.data(), formats.data(), 0);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Error e = error_from(res, "execute");
    PQclear(res);
    return cs::fail(std::move(e));
  }
  return res;
}

Result<std::int64_t> PgConnection::exec(std::string_view sql, Params params) {
  PGresult* res = CS_TRY(run(sql, params));
  ResultGuard guard{res};
  std::string_view tuples = PQcmdTuples(res);
  std::int64_t n = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
  return n;
}

Result<std::vector<Row>> PgConnection::query(std::string_view sql, Params params) {
  PGresult* res = CS_TRY(run(sql, params));
  ResultGuard guard{res};
  int nrows = PQntuples(res);
  int ncols = PQnfields(res);
  std::vector<Row> rows;
  rows.reserve(static_cast<std::size_t>(nrows));
  for (int r = 0; r < nrows; ++r) {
    std::vector<Value> values;
    values.reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c)) {
        values.emplace_back(nullptr);
      } else {
        values.push_back(decode(PQgetvalue(res, r, c), PQgetlength(res, r, c), PQftype(res, c)));
      }
    }
    rows.emplace_back(std::move(values));
  }
  return rows;
}

Status PgConnection::exec_script(std::string_view sql) {
  std::string text(sql);
  PGresult* res = PQexec(conn_, text.c_str());
  ResultGuard guard{res};
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
    return cs::fail(error_from(res, "exec_script"));
  }
  return {};
}

Result<std::int64_t> PgConnection::copy_rows(std::string_view table,
                                             std::span<const std::string_view> columns,
                                             Params values) {
  if (columns.empty() || values.size() % columns.size() != 0) {
    return cs::fail(Errc::internal, kPublicDbError,
                    "copy_rows: " + std::to_string(values.size()) + " values for " +
                        std::to_string(columns.size()) + " columns");
  }
  if (values.empty()) return std::int64_t{0};
  std::string sql = "COPY " + std::string(table) + " (";
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (c) sql += ", ";
    sql += columns[c];
  }
  sql += ") FROM STDIN";
  {
    PGresult* res = PQexec(conn_, sql.c_str());
    ResultGuard guard{res};
    if (PQresultStatus(res) != PGRES_COPY_IN) return cs::fail(error_from(res, "copy"));
  }

  // Big enough that libpq sends full socket buffers, small enough to stay in cache.
  constexpr std::size_t kChunk = 256 * 1024;
  std::string buf;
  buf.reserve(kChunk + 4096);
  bool sent = true;
  for (std::size_t i = 0; i < values.size() && sent; ++i) {
    append_copy_value(buf, values[i]);
    buf += (i + 1) % columns.size() ? '\t' : '\n';
    if (buf.size() >= kChunk || i + 1 == values.size()) {
      sent = PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size())) == 1;
      buf.clear();
    }
  }
  // A failed send lost the connection; ending with an error message makes a live server abort.
  std::string send_error;
  if (!sent) send_error = std::string("copy: sending rows failed: ") + PQerrorMessage(conn_);
  (void)PQputCopyEnd(conn_, sent ? nullptr : "the client could not send every row");

  // The COPY's own result, then the end of the command. The server checks every row (types,
  // encoding, constraints, a partition for it) and answers one error for the whole load.
  std::optional<Error> failure;
  std::int64_t loaded = 0;
  while (PGresult* res = PQgetResult(conn_)) {
    ResultGuard guard{res};
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK) {
      std::string_view tuples = PQcmdTuples(res);
      std::from_chars(tuples.data(), tuples.data() + tuples.size(), loaded);
      continue;
    }
    if (!failure) failure = error_from(res, "copy");
    // Still in COPY state means PQputCopyEnd could not be sent either: nothing more will come.
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) break;
  }
  if (!sent && !failure)
    failure = Error(Errc::unavailable, "the database is unavailable", std::move(send_error));
  if (failure) return cs::fail(std::move(*failure));
  return loaded;
}

Status PgConnection::begin() { return exec_script("BEGIN ISOLATION LEVEL READ COMMITTED"); }
Status PgConnection::commit() {
  // COMMIT of a failed transaction "succeeds" as a rollback; report that as the failure it is.
  bool aborted = PQtransactionStatus(conn_) == PQTRANS_INERROR;
  CS_CHECK(exec_script("COMMIT"));
  if (aborted)
    return cs::fail(Errc::internal, kPublicDbError, "commit of an aborted transaction rolled back");
  return {};
}
Status PgConnection::rollback() {
  if (!in_transaction()) return {};
  return exec_script("ROLLBACK");
}
bool PgConnection::in_transaction() const {
  PGTransactionStatusType st = PQtransactionStatus(conn_);
  return st == PQTRANS_INTRANS || st == PQTRANS_INERROR || st == PQTRANS_ACTIVE;
}

Result<std::unique_ptr<Database>> open_postgres_database(const DatabaseOptions& options) {
  std::string url = options.url;
  auto first = CS_TRY(PgConnection::open(url));  // fail at startup when the server is unreachable
  first.reset();
  auto pool = std::make_unique<ConnectionPool>(
      Backend::postgres, options.pool_size,
      PoolHooks{[url]() -> Result<std::unique_ptr<Connection>> {
                  auto c = CS_TRY(PgConnection::open(url));
                  return std::unique_ptr<Connection>(std::move(c));
                },
                [](Connection& c) { return static_cast<PgConnection&>(c).revive(); }});
  return std::unique_ptr<Database>(std::move(pool));
}

}  // namespace cs::store
