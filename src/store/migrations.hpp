// Schema migrations: numbered .sql files in src/store/migrations/ (NNNN_name.sql), embedded into
// the binary at build time. Dropping a new file into that folder is the whole change.
//
// Dialect tokens, replaced per backend before running:
//   {{AUTOINCREMENT_PK}}  INTEGER PRIMARY KEY AUTOINCREMENT | BIGINT GENERATED ALWAYS AS IDENTITY
//   PRIMARY KEY
//   {{BLOB}}              BLOB | BYTEA
// Backend-only lines: a line starting with "--@sqlite " or "--@postgres " runs on that backend
// only (the rest of the line is the SQL); elsewhere it is a comment.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/database.hpp"

namespace cs::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // as written in the file, before dialect tokens are replaced
};

struct MigrationStatus {
  int current = 0;  // highest applied version (0: none)
  int latest = 0;   // highest version this binary knows
  int pending = 0;  // known migrations not applied yet
};

// The migrations compiled into this binary, ordered by version.
std::span<const Migration> embedded_migrations();

// `sql` for `backend`: its backend-only lines kept or left as comments, dialect tokens replaced.
std::string render_migration_sql(std::string_view sql, Backend backend);

// Applies the pending migrations in version order, each in its own transaction, recording
// version, name, sha256 of the file text and applied_at in schema_migrations. Refuses
// (Errc::internal) when an applied migration's text changed since it ran. On PostgreSQL a
// session advisory lock serialises servers that start together.
Status migrate(Database& db);
Status migrate(Database& db, std::span<const Migration> migrations);

Result<MigrationStatus> migration_status(Database& db);
Result<MigrationStatus> migration_status(Database& db, std::span<const Migration> migrations);

}  // namespace cs::store
