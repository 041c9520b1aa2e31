// A private PostgreSQL 15 cluster for tests: initdb + pg_ctl on a Unix socket in a fresh temp
// directory (no TCP), fsync off. Works as root (the server runs as `nobody`, since initdb and
// postgres refuse root) and as an ordinary user.
//
// Use PgCluster::shared(): one cluster per test executable, started on first use and stopped
// (directory removed) at process exit. If the cluster cannot start, shared() throws — the
// PostgreSQL tests fail, they are never skipped.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace cs::testing {

class PgCluster {
 public:
  PgCluster();   // initdb + start; throws std::runtime_error with the server log on failure
  ~PgCluster();  // stop + remove
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  static PgCluster& shared();

  // libpq URI for database `dbname` as superuser "postgres".
  std::string url(std::string_view dbname = "postgres") const;
  // CREATE DATABASE `name` (letters, digits, underscore); returns its url. Throws on failure.
  std::string create_database(std::string_view name);
  // A database name not used before in this cluster ("t1", "t2", ...).
  std::string create_fresh_database();

  const std::filesystem::path& socket_dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  int next_db_ = 0;
  bool started_ = false;
};

}  // namespace cs::testing
