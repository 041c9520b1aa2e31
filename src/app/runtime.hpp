// Everything a subcommand needs, opened from the configuration in one place: the key ring,
// the database (migrated), the blob store and the services. `serve` and the operator CLI use
// the same wiring, so the CLI acts on exactly the data a running server sees.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "crypto/field_cipher.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "esign/envelope_service.hpp"
#include "esign/signing_service_impl.hpp"
#include "events/webhook_delivery.hpp"
#include "events/webhook_service.hpp"
#include "identity/auth_service.hpp"
#include "identity/directory.hpp"
#include "identity/session_service.hpp"
#include "notify/mailer.hpp"
#include "oauth/app_service.hpp"
#include "oauth/authorization_server.hpp"
#include "seal/seal_service.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"

namespace cs::app {

struct Runtime {
  Runtime(Config config, crypto::KeyRing keys, std::unique_ptr<store::Database> db);

  Config config;
  // The one clock of every service built here and in `serve`: the system clock, or under
  // `testing.clock_offset_file` (end-to-end tests only) the system clock plus the file's offset.
  std::unique_ptr<Clock> clock_owner;
  const Clock& clock;
  crypto::KeyRing keys;
  std::unique_ptr<store::Database> db;
  store::FileBlobStore blobs;
  crypto::PasswordHasher passwords;
  crypto::FieldCipher cipher;
  notify::Mailer mailer;  // the `email.send` job handler (issue 4 §3)
  audit::AuditLog audit;
  identity::Directory directory;
  identity::SessionService sessions;
  identity::AuthService auth;
  crypto::TokenHasher tokens;
  oauth::AppService apps;
  oauth::AuthorizationServer authz;
  events::WebhookService webhooks;                // /v1/webhooks (issue 4 §4)
  events::WebhookDispatcher webhook_dispatcher;  // the webhook.fanout and webhook.deliver jobs
  esign::EnvelopeService envelopes;   // the envelope API and the envelope.expire job (issue 4)
  esign::SigningServiceImpl signing;  // the signing ceremony's service
  // The envelope.seal job, the sealed copies and `countersign verify` (issue 7); every
  // envelope.completed enqueues envelope.seal in its own transaction (seal/seal_job.hpp).
  seal::SealService seal;
};

// SystemClock, or an OffsetFileClock when `testing.clock_offset_file` is set.
std::unique_ptr<Clock> make_clock(const Config& config);

// Loads (or, on first run, creates) the key ring, opens the database and applies pending
// migrations. Fails with a message fit for the operator.
Result<std::unique_ptr<Runtime>> open_runtime(const Config& config);

// SMTP or demo-outbox delivery settings from the [smtp] configuration (issue 4 §3).
notify::MailerSettings mailer_settings(const Config& config);

// The [webhooks] settings (issue 4 §4); validate() has checked the retry schedule.
events::WebhookOptions webhook_options(const Config& config);

// The Argon2id parameters for the configured profile.
crypto::PasswordParams password_params(const Config& config);

}  // namespace cs::app
