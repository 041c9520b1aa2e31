#include "app/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>

#include <toml++/toml.h>

#include "events/webhook_types.hpp"

extern char** environ;

namespace cs::app {
namespace {

Error config_error(std::string message) { return Error(Errc::validation_failed, std::move(message)); }

// One row per setting: its TOML path, its environment variable, and how to set it from text.
struct Setting {
  std::string_view toml_path;  // "server.listen"
  std::string_view env;        // "COUNTERSIGN_LISTEN"
  std::function<Status(Config&, std::string_view)> set;
};

Status parse_int(std::string_view text, std::int64_t& out, std::string_view name) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return tl::unexpected(config_error(std::string(name) + " must be an integer"));
  }
  out = v;
  return {};
}

Status parse_bool(std::string_view text, bool& out, std::string_view name) {
  if (text == "true" || text == "1" || text == "yes") {
    out = true;
  } else if (text == "false" || text == "0" || text == "no") {
    out = false;
  } else {
    return tl::unexpected(config_error(std::string(name) + " must be true or false"));
  }
  return {};
}

template <class T>
Setting text_setting(std::string_view path, std::string_view env, T Config::*member) {
  return {path, env, [member](Config& c, std::string_view v) -> Status {
            c.*member = T(std::string(v));
            return {};
          }};
}

Setting int_setting(std::string_view path, std::string_view env, std::int64_t Config::*member) {
  return {path, env, [member, path](Config& c, std::string_view v) {
            return parse_int(v, c.*member, path);
          }};
}

Setting small_int_setting(std::string_view path, std::string_view env, int Config::*member) {
  return {path, env, [member, path](Config& c, std::string_view v) -> Status {
            std::int64_t n = 0;
            CS_CHECK(parse_int(v, n, path));
            if (n < 0 || n > 4096) return tl::unexpected(config_error(std::string(path) + " is out of range"));
            c.*member = static_cast<int>(n);
            return {};
          }};
}

Setting bool_setting(std::string_view path, std::string_view env, bool Config::*member) {
  return {path, env, [member, path](Config& c, std::string_view v) {
            return parse_bool(v, c.*member, path);
          }};
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = {
      text_setting("server.listen", "COUNTERSIGN_LISTEN", &Config::listen),
      text_setting("server.public_url", "COUNTERSIGN_PUBLIC_URL", &Config::public_url),
      small_int_setting("server.io_threads", "COUNTERSIGN_IO_THREADS", &Config::io_threads),
      small_int_setting("server.worker_threads", "COUNTERSIGN_WORKER_THREADS", &Config::worker_threads),
      text_setting("server.tls_cert_file", "COUNTERSIGN_TLS_CERT_FILE", &Config::tls_cert_file),
      text_setting("server.tls_key_file", "COUNTERSIGN_TLS_KEY_FILE", &Config::tls_key_file),
      text_setting("server.trusted_proxies", "COUNTERSIGN_TRUSTED_PROXIES", &Config::trusted_proxies),
      text_setting("storage.data_dir", "COUNTERSIGN_DATA_DIR", &Config::data_dir),
      text_setting("storage.database_url", "COUNTERSIGN_DATABASE_URL", &Config::database_url),
      small_int_setting("storage.pool_size", "COUNTERSIGN_DATABASE_POOL_SIZE", &Config::database_pool_size),
      int_setting("storage.blob_max_bytes", "COUNTERSIGN_BLOB_MAX_BYTES", &Config::blob_max_bytes),
      text_setting("keys.file", "COUNTERSIGN_KEY_FILE", &Config::key_file),
      text_setting("keys.value", "COUNTERSIGN_MASTER_KEYS", &Config::master_keys),
      text_setting("security.password_profile", "COUNTERSIGN_PASSWORD_PROFILE", &Config::password_profile),
      int_setting("limits.header_bytes", "COUNTERSIGN_HEADER_LIMIT_BYTES", &Config::header_limit_bytes),
      int_setting("limits.json_body_bytes", "COUNTERSIGN_JSON_BODY_LIMIT_BYTES", &Config::json_body_limit_bytes),
      int_setting("limits.header_timeout_ms", "COUNTERSIGN_HEADER_TIMEOUT_MS", &Config::header_timeout_ms),
      int_setting("limits.body_timeout_ms", "COUNTERSIGN_BODY_TIMEOUT_MS", &Config::body_timeout_ms),
      int_setting("limits.write_timeout_ms", "COUNTERSIGN_WRITE_TIMEOUT_MS", &Config::write_timeout_ms),
      int_setting("limits.keepalive_idle_timeout_ms", "COUNTERSIGN_KEEPALIVE_IDLE_TIMEOUT_MS",
                  &Config::keepalive_idle_timeout_ms),
      int_setting("limits.max_connections", "COUNTERSIGN_MAX_CONNECTIONS", &Config::max_connections),
      int_setting("limits.shutdown_grace_ms", "COUNTERSIGN_SHUTDOWN_GRACE_MS", &Config::shutdown_grace_ms),
      small_int_setting("jobs.workers", "COUNTERSIGN_JOB_WORKERS", &Config::job_workers),
      int_setting("jobs.maintenance_interval_ms", "COUNTERSIGN_MAINTENANCE_INTERVAL_MS",
                  &Config::maintenance_interval_ms),
      int_setting("esign.max_document_bytes", "COUNTERSIGN_ESIGN_MAX_DOCUMENT_BYTES", &Config::esign_max_document_bytes),
      text_setting("smtp.host", "COUNTERSIGN_SMTP_HOST", &Config::smtp_host),
      int_setting("smtp.port", "COUNTERSIGN_SMTP_PORT", &Config::smtp_port),
      text_setting("smtp.tls", "COUNTERSIGN_SMTP_TLS", &Config::smtp_tls),
      text_setting("smtp.user", "COUNTERSIGN_SMTP_USER", &Config::smtp_user),
      text_setting("smtp.from", "COUNTERSIGN_SMTP_FROM", &Config::smtp_from),
      text_setting("smtp.outbox_dir", "COUNTERSIGN_SMTP_OUTBOX_DIR", &Config::smtp_outbox_dir),
      bool_setting("webhooks.allow_private_targets", "COUNTERSIGN_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
                   &Config::webhooks_allow_private_targets),
      int_setting("webhooks.timeout_ms", "COUNTERSIGN_WEBHOOKS_TIMEOUT_MS", &Config::webhooks_timeout_ms),
      text_setting("webhooks.retry_schedule", "COUNTERSIGN_WEBHOOKS_RETRY_SCHEDULE", &Config::webhooks_retry_schedule),
      int_setting("calllog.queue_capacity", "COUNTERSIGN_CALLLOG_QUEUE_CAPACITY", &Config::calllog_queue_capacity),
      int_setting("calllog.retention_days", "COUNTERSIGN_CALLLOG_RETENTION_DAYS", &Config::calllog_retention_days),
      bool_setting("calllog.record", "COUNTERSIGN_CALLLOG_RECORD", &Config::calllog_record),
      int_setting("ratelimit.hourly", "COUNTERSIGN_RATELIMIT_HOURLY", &Config::ratelimit_hourly),
      int_setting("ratelimit.burst_production", "COUNTERSIGN_RATELIMIT_BURST_PRODUCTION",
                  &Config::ratelimit_burst_production),
      int_setting("ratelimit.burst_sandbox", "COUNTERSIGN_RATELIMIT_BURST_SANDBOX", &Config::ratelimit_burst_sandbox),
      text_setting("ratelimit.polling_enforcement", "COUNTERSIGN_POLLING_ENFORCEMENT", &Config::polling_enforcement),
      text_setting("certification.time_zone", "COUNTERSIGN_CERTIFICATION_TIME_ZONE", &Config::certification_time_zone),
      text_setting("certification.weekend", "COUNTERSIGN_CERTIFICATION_WEEKEND", &Config::certification_weekend),
      text_setting("certification.holidays_file", "COUNTERSIGN_CERTIFICATION_HOLIDAYS_FILE",
                   &Config::certification_holidays_file),
      int_setting("certification.video_max_bytes", "COUNTERSIGN_CERTIFICATION_VIDEO_MAX_BYTES",
                  &Config::certification_video_max_bytes),
      int_setting("certification.recording_max_bytes", "COUNTERSIGN_CERTIFICATION_RECORDING_MAX_BYTES",
                  &Config::certification_recording_max_bytes),
      int_setting("certification.artifact_max_bytes", "COUNTERSIGN_CERTIFICATION_ARTIFACT_MAX_BYTES",
                  &Config::certification_artifact_max_bytes),
      text_setting("seal.pkcs12_file", "COUNTERSIGN_SEAL_PKCS12_FILE", &Config::seal_pkcs12_file),
      text_setting("seal.tsa_url", "COUNTERSIGN_SEAL_TSA_URL", &Config::seal_tsa_url),
      text_setting("log.level", "COUNTERSIGN_LOG_LEVEL", &Config::log_level),
      bool_setting("log.access_log", "COUNTERSIGN_ACCESS_LOG", &Config::access_log),
      text_setting("testing.clock_offset_file", "COUNTERSIGN_TESTING_CLOCK_OFFSET_FILE",
                   &Config::testing_clock_offset_file),
  };
  return kSettings;
}

std::string node_as_text(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (auto b = node.value_exact<bool>()) return *b ? "true" : "false";
  if (auto i = node.value_exact<std::int64_t>()) return std::to_string(*i);
  return {};
}

}  // namespace

std::string Config::host() const {
  auto colon = listen.rfind(':');
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  return h;
}

std::uint16_t Config::port() const {
  auto colon = listen.rfind(':');
  return static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
}

std::string Config::effective_database_url() const {
  if (!database_url.empty()) return database_url;
  return (data_dir / "countersign.db").string();
}

std::filesystem::path Config::effective_key_file() const {
  return key_file.empty() ? data_dir / "master-keys.json" : key_file;
}

std::string Config::effective_public_url() const {
  if (!public_url.empty()) return public_url;
  bool tls = !tls_cert_file.empty();
  return std::string(tls ? "https://" : "http://") + listen;
}

std::filesystem::path Config::effective_outbox_dir() const {
  return smtp_outbox_dir.empty() ? data_dir / "outbox" : smtp_outbox_dir;
}

std::vector<std::string> Config::trusted_proxy_list() const {
  std::vector<std::string> out;
  std::string_view rest = trusted_proxies;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

Status apply_toml_file(Config& config, const std::filesystem::path& file) {
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return tl::unexpected(config_error("cannot read configuration file " + file.string() + ": " +
                                       std::string(e.description())));
  }
  for (auto& [section, node] : table) {
    const auto* sub = node.as_table();
    if (!sub) return tl::unexpected(config_error("configuration: [" + std::string(section.str()) + "] must be a table"));
    for (auto& [key, value] : *sub) {
      std::string path = std::string(section.str()) + "." + std::string(key.str());
      const Setting* match = nullptr;
      for (const auto& s : settings()) {
        if (s.toml_path == path) match = &s;
      }
      if (!match) return tl::unexpected(config_error("configuration: unknown setting " + path));
      std::string text = node_as_text(value);
      if (text.empty() && !value.is_string()) {
        return tl::unexpected(config_error("configuration: " + path + " has an unsupported type"));
      }
      CS_CHECK(match->set(config, text));
    }
  }
  return {};
}

Status apply_environment(Config& config, const std::map<std::string, std::string>& env) {
  for (const auto& s : settings()) {
    auto it = env.find(std::string(s.env));
    if (it != env.end()) CS_CHECK(s.set(config, it->second));
  }
  return {};
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("COUNTERSIGN_", 0) != 0) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Status validate(const Config& c) {
  auto colon = c.listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == c.listen.size()) {
    return tl::unexpected(config_error("listen must be HOST:PORT, for example 127.0.0.1:8080"));
  }
  std::int64_t port = -1;
  if (!parse_int(std::string_view(c.listen).substr(colon + 1), port, "listen") || port < 0 || port > 65535) {
    return tl::unexpected(config_error("listen has an invalid port"));
  }
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return tl::unexpected(config_error("TLS needs both tls_cert_file and tls_key_file"));
  }
  for (const auto& proxy : c.trusted_proxy_list()) {
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET, proxy.c_str(), buf) != 1 && inet_pton(AF_INET6, proxy.c_str(), buf) != 1) {
      return tl::unexpected(config_error("trusted_proxies: " + proxy + " is not an IP address"));
    }
  }
  if (c.password_profile != "interactive" && c.password_profile != "minimal") {
    return tl::unexpected(config_error("password_profile must be interactive or minimal"));
  }
  if (c.header_limit_bytes < 1024 || c.json_body_limit_bytes < 1024 || c.max_connections < 1 ||
      c.header_timeout_ms < 100 || c.body_timeout_ms < 100 || c.write_timeout_ms < 100 || c.keepalive_idle_timeout_ms < 100 ||
      c.shutdown_grace_ms < 0 || c.maintenance_interval_ms < 1000 || c.database_pool_size < 1 || c.blob_max_bytes < 1) {
    return tl::unexpected(config_error("a limit is out of range"));
  }
  if (c.smtp_tls != "starttls" && c.smtp_tls != "tls" && c.smtp_tls != "none") {
    return tl::unexpected(config_error("smtp.tls must be starttls, tls or none"));
  }
  if (c.smtp_port < 1 || c.smtp_port > 65535) return tl::unexpected(config_error("smtp.port is out of range"));
  if (!c.webhooks_retry_schedule.empty()) {
    if (auto schedule = events::parse_retry_schedule(c.webhooks_retry_schedule); !schedule) {
      return tl::unexpected(config_error(schedule.error().message()));
    }
  }
  if (c.polling_enforcement != "record" && c.polling_enforcement != "reject") {
    return tl::unexpected(config_error("ratelimit.polling_enforcement must be record or reject"));
  }
  if (c.esign_max_document_bytes < 1024 || c.webhooks_timeout_ms < 100 || c.calllog_queue_capacity < 1 ||
      c.calllog_retention_days < 1 || c.ratelimit_hourly < 1 || c.ratelimit_burst_production < 1 ||
      c.ratelimit_burst_sandbox < 1) {
    return tl::unexpected(config_error("an esign, webhooks, calllog or ratelimit setting is out of range"));
  }
  auto level = c.log_level;
  if (level != "trace" && level != "debug" && level != "info" && level != "warn" && level != "error") {
    return tl::unexpected(config_error("log.level must be trace, debug, info, warn or error"));
  }
  return {};
}

}  // namespace cs::app
