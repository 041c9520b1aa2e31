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
  // [esign] (issue 4)
  std::int64_t esign_max_document_bytes = 25LL * 1024 * 1024;  // per uploaded PDF
  // [smtp] (issue 4 §3). An empty host means no SMTP: messages are written as .eml files under
  // outbox_dir (the demo mode). The password is not configuration: `countersign smtp
  // set-password` stores it encrypted in the database.
  std::string smtp_host;
  std::int64_t smtp_port = 587;
  std::string smtp_tls = "starttls";  // starttls | tls | none
  std::string smtp_user;
  std::string smtp_from = "Countersign <no-reply@countersign.localhost>";
  std::filesystem::path smtp_outbox_dir;  // default: <data_dir>/outbox
  // [webhooks] (issue 4 §4)
  bool webhooks_allow_private_targets = false;  // loopback/private/link-local targets (tests, demo)
  std::int64_t webhooks_timeout_ms = 10000;
  // Delays between delivery attempts ("5s,5m,2h"); empty: the standard ~3-day schedule.
  std::string webhooks_retry_schedule;
  // [calllog] (issue 5)
  std::int64_t calllog_queue_capacity = 65536;  // entries waiting for the batching writer
  std::int64_t calllog_retention_days = 90;
  bool calllog_record = true;  // false: /v1 and /oauth calls are not recorded (benchmarks only)
  // [ratelimit] (issue 5 §4): defaults; staff can override per app
  std::int64_t ratelimit_hourly = 3000;
  std::int64_t ratelimit_burst_production = 500;  // per 30 s
  std::int64_t ratelimit_burst_sandbox = 200;     // per 30 s
  std::string polling_enforcement = "record";     // record | reject
  // [certification] (issue 6): the certification team's business calendar and artifact limits
  std::string certification_time_zone = "UTC";  // IANA name, e.g. "America/Los_Angeles"
  std::string certification_weekend = "sat,sun";  // ISO weekday names
  std::filesystem::path certification_holidays_file;  // one YYYY-MM-DD per line; empty: none
  std::int64_t certification_video_max_bytes = 4718592;  // 4.5 MB per flow video (the vendors' rule)
  std::int64_t certification_recording_max_bytes = 256LL * 1024 * 1024;  // meeting recordings
  std::int64_t certification_artifact_max_bytes = 25LL * 1024 * 1024;  // traces, reports, other files
  // [seal] (issue 7): the platform's document-sealing identity
  std::filesystem::path seal_pkcs12_file;  // empty: Countersign's own CA, created on first run
  std::string seal_tsa_url;                // RFC 3161 time-stamp authority; empty: none
  // [log]
  std::string log_level = "info";
  bool access_log = true;
  // [testing] A file holding a whole number of seconds the server's clock runs ahead of the
  // system clock (re-read when the file changes). Empty: the system clock. End-to-end tests
  // only; the server logs a warning at start when it is set.
  std::string testing_clock_offset_file;

  std::string host() const;
  std::uint16_t port() const;
  std::string effective_database_url() const;
  std::filesystem::path effective_key_file() const;
  std::string effective_public_url() const;
  std::vector<std::string> trusted_proxy_list() const;
  std::filesystem::path effective_outbox_dir() const;
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
