// Configuration: defaults < TOML file < COUNTERSIGN_* environment < command-line flags
// (DESIGN.md "Configuration"). With no configuration at all, `countersign serve` runs on
// SQLite under ./data and creates its keys there on first run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cs::app {

struct Config {
  // [server]
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  std::string public_url;                 // default: http(s)://<listen>
  int io_threads = 0;                     // 0 = number of cores
  int worker_threads = 0;                 // 0 = max(4, 2 x cores)
  std::string tls_cert_file;
  std::string tls_key_file;
  // Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed; empty: the
  // TCP peer is the client.
  std::string trusted_proxies;
  // [storage]
  std::filesystem::path data_dir = "./data";
  std::string database_url;  // default: sqlite file <data_dir>/countersign.db
  int database_pool_size = 16;
  std::int64_t blob_max_bytes = 64LL * 1024 * 1024;
  // [keys]
  std::filesystem::path key_file;  // default: <data_dir>/master-keys.json
  std::string master_keys;         // a key ring value instead of a file (COUNTERSIGN_MASTER_KEYS)
  // [security]
  std::string password_profile = "interactive";  // or "minimal" (tests, demos on tiny machines)
  // [limits]
  std::int64_t header_limit_bytes = 16 * 1024;
  std::int64_t json_body_limit_bytes = 1024 * 1024;
  std::int64_t header_timeout_ms = 5000;
  std::int64_t body_timeout_ms = 10000;
  std::int64_t write_timeout_ms = 30000;  // a client that stops reading its response
  std::int64_t keepalive_idle_timeout_ms = 30000;
  std::int64_t max_connections = 10000;
  std::int64_t shutdown_grace_ms = 10000;
  // [jobs]
  int job_workers = 2;
  std::int64_t maintenance_interval_ms = 10 * 60 * 1000;  // session and throttle-record purges
  // [log]
  std::string log_level = "info";
  bool access_log = true;

  std::string host() const;
  std::uint16_t port() const;
  std::string effective_database_url() const;
  std::filesystem::path effective_key_file() const;
  std::string effective_public_url() const;
  std::vector<std::string> trusted_proxy_list() const;
};

// Reads a TOML file into `config`; unknown keys are an error (a typo must not be ignored).
Status apply_toml_file(Config& config, const std::filesystem::path& file);
// Applies COUNTERSIGN_* variables from `env` (name -> value).
Status apply_environment(Config& config, const std::map<std::string, std::string>& env);
// Snapshot of this process's COUNTERSIGN_* environment.
std::map<std::string, std::string> process_environment();
// Checks values that cannot be checked per field (listen syntax, TLS pair, ranges).
Status validate(const Config& config);

}  // namespace cs::app
