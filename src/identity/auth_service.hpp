// Signing in with e-mail and password (issue 2 §5): Argon2id verification, session rotation,
// throttling and temporary lockout, all audited.
//
// What a caller can learn about whether an e-mail address has a user: nothing.
//   * A wrong password and an unknown address both answer Errc::unauthenticated "Email or
//     password is incorrect", and an unknown address still costs one Argon2 verification.
//   * Lockout applies to unknown addresses too: after max_failures_per_user failures the
//     address answers Errc::account_locked ("temporarily locked") for lockout_duration, exactly
//     as a real user's would. The lock state of an unknown address lives in login_failures.
//   * Only someone who presents the right password learns that a user is disabled.
// Per IP, more than max_failures_per_ip failures within ip_window answer
// Errc::too_many_requests before any password is checked.
//
// Locked and throttled answers carry retry_at so the web layer can send Retry-After.
#pragma once

#include <optional>
#include <string>

#include <tl/expected.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/session_service.hpp"

namespace cs::store {
class Database;
}
namespace cs::audit {
class AuditLog;
}
namespace cs::crypto {
class PasswordHasher;
}

namespace cs::identity {

struct LoginOptions {
  int max_failures_per_user = 5;  // consecutive failures before a lockout
  Micros lockout_duration = 15LL * 60 * kMicrosPerSecond;
  int max_failures_per_ip = 20;  // failures from one address within ip_window
  Micros ip_window = 15LL * 60 * kMicrosPerSecond;
  // Throttle records older than this are purged (purge_throttle_records).
  Micros throttle_retention = 24LL * 3600 * kMicrosPerSecond;
};

struct LoginRequest {
  std::string email;
  std::string password;
  std::string ip;
  std::string user_agent;
  std::string request_id;
  // The session the browser presented on the login form, if any: always revoked on success, so
  // a session id fixed by an attacker before login is worthless afterwards.
  std::string previous_session_token;
};

struct LoginSuccess {
  std::string user_id;
  NewSession session;  // session.token goes into the cookie; it is not stored anywhere
};

struct LoginFailure {
  Error error;
  std::optional<Micros> retry_at;  // for account_locked and too_many_requests
};

using LoginResult = tl::expected<LoginSuccess, LoginFailure>;

class AuthService {
 public:
  AuthService(store::Database& db, const Clock& clock, audit::AuditLog& audit,
              const crypto::PasswordHasher& hasher, SessionService& sessions,
              LoginOptions options = {});

  const LoginOptions& options() const { return options_; }

  // Runs Argon2: call on the worker pool, never on an io thread.
  LoginResult login(const LoginRequest& request);

  // Deletes throttle records that can no longer matter; for a periodic job.
  Result<std::int64_t> purge_throttle_records();

 private:
  struct Credentials;  // the user row login needs
  LoginResult record_failure(const LoginRequest& request, const std::string& email,
                             const std::optional<Credentials>& user, const char* reason);
  LoginResult reject_locked(const LoginRequest& request, const std::string& email,
                            const std::optional<Credentials>& user, Micros until);
  LoginResult succeed(const LoginRequest& request, const Credentials& user);

  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  const crypto::PasswordHasher& hasher_;
  SessionService& sessions_;
  LoginOptions options_;
};

}  // namespace cs::identity
