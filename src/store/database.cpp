#include "store/database.hpp"

#include <cstdio>
#include <cstdlib>

#include "store/postgres/pg_connection.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace cs::store {
namespace {

const char* type_name(const Value& v) {
  switch (v.index()) {
    case 0:
      return "null";
    case 1:
      return "int64";
    case 2:
      return "double";
    case 3:
      return "text";
    default:
      return "bytes";
  }
}

// A type mismatch is a bug in the calling repository, not bad input: fail loudly.
[[noreturn]] void type_mismatch(std::size_t i, const Value& v, const char* wanted) {
  std::fprintf(stderr, "cs::store::Row: column %zu is %s, read as %s\n", i, type_name(v), wanted);
  std::abort();
}

template <class T>
const T& get_as(const std::vector<Value>& values, std::size_t i, const char* wanted) {
  const Value& v = values.at(i);
  if (const T* p = std::get_if<T>(&v)) return *p;
  type_mismatch(i, v, wanted);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

bool Row::is_null(std::size_t i) const {
  return std::holds_alternative<std::nullptr_t>(values_.at(i));
}
std::int64_t Row::int64(std::size_t i) const { return get_as<std::int64_t>(values_, i, "int64"); }
double Row::real(std::size_t i) const {
  // An integral column read as a real is a lossless widening both backends produce for
  // numeric expressions, so it is accepted.
  if (const auto* p = std::get_if<std::int64_t>(&values_.at(i))) return static_cast<double>(*p);
  return get_as<double>(values_, i, "double");
}
const std::string& Row::text(std::size_t i) const {
  return get_as<std::string>(values_, i, "text");
}
const Bytes& Row::bytes(std::size_t i) const { return get_as<Bytes>(values_, i, "bytes"); }
std::optional<std::int64_t> Row::opt_int64(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return int64(i);
}
std::optional<std::string> Row::opt_text(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return text(i);
}

Result<std::optional<Row>> Connection::query_one(std::string_view sql, Params params) {
  auto rows = CS_TRY(query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  if (rows.size() > 1) {
    return cs::fail(Errc::internal, "database error",
                    "query_one returned " + std::to_string(rows.size()) + " rows");
  }
  return std::optional<Row>(std::move(rows.front()));
}

Result<std::unique_ptr<Database>> open_database(const DatabaseOptions& options) {
  std::string_view url = options.url;
  if (url.empty())
    return cs::fail(Errc::internal, "database is not configured", "empty database url");
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    return open_postgres_database(options);
  }
  std::string path;
  if (starts_with(url, "sqlite://")) {
    path = url.substr(9);  // "sqlite:///abs/path" keeps its leading slash
  } else if (starts_with(url, "sqlite:")) {
    path = url.substr(7);
  } else if (url.find("://") != std::string_view::npos) {
    return cs::fail(
        Errc::internal, "database is not configured",
        "unsupported database url scheme: " + std::string(url.substr(0, url.find("://"))));
  } else {
    path = url;
  }
  if (path.empty())
    return cs::fail(Errc::internal, "database is not configured", "empty sqlite path");
  return open_sqlite_database(path, options);
}

}  // namespace cs::store
