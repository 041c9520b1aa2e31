#include "store/migrations.hpp"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <vector>

#include "core/clock.hpp"

namespace cs::store {
namespace {

// Arbitrary, fixed: the key of the PostgreSQL advisory lock held while migrating.
constexpr std::int64_t kMigrationLockKey = 0x63735f6d696772;  // "cs_migr"

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

std::string sha256_hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// "0001_jobs", as the file is named.
std::string label(const Migration& m) {
  std::string v = std::to_string(m.version);
  if (v.size() < 4) v.insert(0, 4 - v.size(), '0');
  return v + "_" + std::string(m.name);
}

Error migration_error(std::string detail) {
  return Error(Errc::internal, "database migration failed", std::move(detail));
}

// Sorted copy; duplicate versions are a build mistake (two engineers picked the same number).
Result<std::vector<Migration>> sorted(std::span<const Migration> migrations) {
  std::vector<Migration> out(migrations.begin(), migrations.end());
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      return cs::fail(
          migration_error("two migrations share version " + std::to_string(out[i].version)));
    }
  }
  return out;
}

Result<bool> table_exists(Connection& conn) {
  std::string_view sql =
      conn.backend() == Backend::sqlite
          ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
          : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name = 'schema_migrations'";
  auto row = CS_TRY(conn.query_one(sql));
  return row.has_value();
}

// version -> checksum of what has been applied.
Result<std::map<int, std::string>> applied(Connection& conn) {
  std::map<int, std::string> out;
  auto rows =
      CS_TRY(conn.query("SELECT version, checksum FROM schema_migrations ORDER BY version"));
  for (const Row& r : rows) out.emplace(static_cast<int>(r.int64(0)), r.text(1));
  return out;
}

Status check_checksums(const std::map<int, std::string>& done,
                       const std::vector<Migration>& known) {
  for (const Migration& m : known) {
    auto it = done.find(m.version);
    if (it != done.end() && it->second != sha256_hex(m.sql)) {
      return cs::fail(migration_error("migration " + label(m) +
                                      " was changed after it was applied (checksum mismatch); "
                                      "add a new migration instead of editing an applied one"));
    }
  }
  return {};
}

Status apply_one(Connection& conn, const Migration& m) {
  return in_transaction(conn, [&](Connection& c) -> Status {
    // Re-checked under the write lock: another process may have applied it meanwhile.
    Value version = std::int64_t{m.version};
    auto existing = CS_TRY(
        c.query_one("SELECT checksum FROM schema_migrations WHERE version = $1", {&version, 1}));
    if (existing) return {};
    if (auto st = c.exec_script(render_migration_sql(m.sql, c.backend())); !st) {
      return cs::fail(migration_error("migration " + label(m) + " failed: " + st.error().detail()));
    }
    Value params[] = {version, std::string(m.name), sha256_hex(m.sql), SystemClock().now()};
    CS_TRY(
        c.exec("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, "
               "$2, $3, $4)",
               params));
    return {};
  });
}

Status migrate_locked(Connection& conn, const std::vector<Migration>& known) {
  CS_CHECK(conn.exec_script(std::string(kCreateTable)));
  auto done = CS_TRY(applied(conn));
  CS_CHECK(check_checksums(done, known));
  for (const Migration& m : known) {
    if (done.count(m.version)) continue;
    CS_CHECK(apply_one(conn, m));
  }
  return {};
}

}  // namespace

std::string render_migration_sql(std::string_view sql, Backend backend) {
  bool sqlite = backend == Backend::sqlite;
  // A line starting with "--@sqlite " or "--@postgres " holds SQL for that backend only (trigger
  // syntax differs); for the other backend it stays a comment. The file text, and so its
  // checksum, is the same for both.
  const std::string_view marker = sqlite ? "--@sqlite " : "--@postgres ";
  std::string out;
  out.reserve(sql.size());
  for (std::size_t pos = 0; pos < sql.size();) {
    std::size_t end = sql.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? sql.size() : end + 1;
    std::string_view line = sql.substr(pos, next - pos);
    if (line.starts_with(marker)) line.remove_prefix(marker.size());
    out += line;
    pos = next;
  }
  replace_all(out, "{{AUTOINCREMENT_PK}}",
              sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                     : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
  replace_all(out, "{{BLOB}}", sqlite ? "BLOB" : "BYTEA");
  return out;
}

Status migrate(Database& db) { return migrate(db, embedded_migrations()); }

Status migrate(Database& db, std::span<const Migration> migrations) {
  auto known = CS_TRY(sorted(migrations));
  auto conn = CS_TRY(db.connect());
  if (conn->backend() != Backend::postgres) return migrate_locked(*conn, known);

  Value key = kMigrationLockKey;
  CS_TRY(conn->query("SELECT pg_advisory_lock($1)", {&key, 1}));
  Status result = migrate_locked(*conn, known);
  auto unlocked = conn->query("SELECT pg_advisory_unlock($1)", {&key, 1});
  if (result && !unlocked) return tl::unexpected(std::move(unlocked).error());
  return result;
}

Result<MigrationStatus> migration_status(Database& db) {
  return migration_status(db, embedded_migrations());
}

Result<MigrationStatus> migration_status(Database& db, std::span<const Migration> migrations) {
  auto known = CS_TRY(sorted(migrations));
  auto conn = CS_TRY(db.connect());
  std::map<int, std::string> done;
  if (CS_TRY(table_exists(*conn))) done = CS_TRY(applied(*conn));
  MigrationStatus st;
  if (!done.empty()) st.current = done.rbegin()->first;
  for (const Migration& m : known) {
    st.latest = std::max(st.latest, m.version);
    if (!done.count(m.version)) ++st.pending;
  }
  return st;
}

}  // namespace cs::store
