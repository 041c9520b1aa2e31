#include "app/runtime.hpp"

#include <filesystem>
#include <system_error>

#include "core/offset_file_clock.hpp"
#include "crypto/primitives.hpp"
#include "seal/seal_job.hpp"
#include "certification/catalogue.hpp"
#include "store/migrations.hpp"

namespace cs::app {

crypto::PasswordParams password_params(const Config& config) {
  return config.password_profile == "minimal" ? crypto::PasswordParams::minimal()
                                              : crypto::PasswordParams::interactive();
}

notify::MailerSettings mailer_settings(const Config& config) {
  notify::MailerSettings s;
  s.smtp_host = config.smtp_host;
  s.smtp_port = static_cast<int>(config.smtp_port);
  s.smtp_tls = notify::parse_smtp_tls(config.smtp_tls).value_or(notify::SmtpTls::starttls);  // validate() checked it
  s.smtp_user = config.smtp_user;
  s.from = config.smtp_from;
  s.outbox_dir = config.effective_outbox_dir();
  return s;
}

events::WebhookOptions webhook_options(const Config& config) {
  events::WebhookOptions o;
  o.allow_private_targets = config.webhooks_allow_private_targets;
  o.timeout = std::chrono::milliseconds(config.webhooks_timeout_ms);
  if (!config.webhooks_retry_schedule.empty()) {
    o.retry_schedule = events::parse_retry_schedule(config.webhooks_retry_schedule).value_or(o.retry_schedule);
  }
  return o;
}

std::unique_ptr<Clock> make_clock(const Config& config) {
  if (config.testing_clock_offset_file.empty()) return std::make_unique<SystemClock>();
  return std::make_unique<OffsetFileClock>(std::filesystem::path(config.testing_clock_offset_file));
}

Runtime::Runtime(Config cfg, crypto::KeyRing ring, std::unique_ptr<store::Database> database)
    : config(std::move(cfg)),
      clock_owner(make_clock(config)),
      clock(*clock_owner),
      keys(std::move(ring)),
      db(std::move(database)),
      blobs(config.data_dir / "blobs", static_cast<std::uint64_t>(config.blob_max_bytes)),
      passwords(password_params(config)),
      cipher(keys),
      mailer(mailer_settings(config), *db, cipher, clock),
      audit(clock),
      directory(*db, clock, audit, passwords),
      sessions(*db, clock, keys.token_hash_key()),
      auth(*db, clock, audit, passwords, sessions),
      tokens(keys),
      apps(*db, clock, audit, tokens),
      authz(*db, clock, audit, tokens, apps, directory),
      webhooks(*db, clock, audit, cipher, directory, webhook_options(config)),
      webhook_dispatcher(*db, clock, audit, cipher, webhook_options(config)),
      envelopes(esign::EsignDeps{*db, blobs, clock, audit, tokens, directory, config.effective_public_url(),
                                 config.esign_max_document_bytes}),
      signing(envelopes),
      seal(*db, blobs, cipher, audit, clock, seal::SealOptions{config.seal_pkcs12_file, config.seal_tsa_url}) {
  envelopes.add_event_listener(seal::seal_on_completion(clock));
}

Result<std::unique_ptr<Runtime>> open_runtime(const Config& config) {
  crypto::init();
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return fail(Errc::internal, "cannot create the data directory " + config.data_dir.string() + ": " + ec.message());
  }
  std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all, ec);  // 0700

  auto keys = config.master_keys.empty() ? crypto::KeyRing::load_or_create(config.effective_key_file())
                                         : crypto::KeyRing::from_value(config.master_keys);
  if (!keys) return fail(keys.error());

  store::DatabaseOptions options;
  options.url = config.effective_database_url();
  options.pool_size = config.database_pool_size;
  auto db = store::open_database(options);
  if (!db) return fail(db.error());
  CS_CHECK(store::migrate(**db));
  auto runtime = std::make_unique<Runtime>(config, std::move(*keys), std::move(*db));
  // Issue 6 §1: every embedded requirements catalogue version is stored once; a published version
  // whose text changed stops the start (publish a new version instead).
  {
    auto lease = runtime->db->connect();
    if (!lease) return fail(lease.error());
    CS_CHECK(certification::store_catalogues(**lease, runtime->clock.now()));
  }
  // After `countersign keys rotate` (another process), values under the new key make the
  // cipher re-read the key file once (rate-limited) instead of failing until a restart.
  if (config.master_keys.empty()) {
    runtime->cipher.enable_reload([file = config.effective_key_file()] { return crypto::KeyRing::load(file); },
                                  runtime->clock);
  }
  return runtime;
}

}  // namespace cs::app
