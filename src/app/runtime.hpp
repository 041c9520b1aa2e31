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
#include "identity/auth_service.hpp"
#include "identity/directory.hpp"
#include "identity/session_service.hpp"
#include "oauth/app_service.hpp"
#include "oauth/authorization_server.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"

namespace cs::app {

struct Runtime {
  Runtime(Config config, crypto::KeyRing keys, std::unique_ptr<store::Database> db);

  Config config;
  SystemClock clock;
  crypto::KeyRing keys;
  std::unique_ptr<store::Database> db;
  store::FileBlobStore blobs;
  crypto::PasswordHasher passwords;
  crypto::FieldCipher cipher;
  audit::AuditLog audit;
  identity::Directory directory;
  identity::SessionService sessions;
  identity::AuthService auth;
  crypto::TokenHasher tokens;
  oauth::AppService apps;
  oauth::AuthorizationServer authz;
};

// Loads (or, on first run, creates) the key ring, opens the database and applies pending
// migrations. Fails with a message fit for the operator.
Result<std::unique_ptr<Runtime>> open_runtime(const Config& config);

// The Argon2id parameters for the configured profile.
crypto::PasswordParams password_params(const Config& config);

}  // namespace cs::app
