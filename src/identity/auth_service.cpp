#include "identity/auth_service.hpp"

#include "core/utf8.hpp"
#include "crypto/password.hpp"
#include "crypto/primitives.hpp"
#include "identity/detail/records.hpp"
#include "identity/validation.hpp"
#include "store/database.hpp"

namespace cs::identity {

using detail::params;

struct AuthService::Credentials {
  std::string id;
  std::string password_hash;
  std::string status;
  std::optional<Micros> locked_until;
};

namespace {

constexpr const char* kBadCredentials = "Email or password is incorrect";
constexpr const char* kLocked =
    "Too many failed sign-in attempts. This account is temporarily locked; try again later.";
constexpr const char* kThrottled =
    "Too many failed sign-in attempts from your network; try again later.";

std::string ip_key(std::string_view ip) { return "ip:" + std::string(ip); }
// Unknown addresses are keyed by digest so attacker-chosen strings are not stored as keys.
std::string email_key(std::string_view email) { return "email:" + crypto::sha256_hex(email); }
std::string lock_key(std::string_view email) { return "lock:" + email_key(email); }

tl::unexpected<LoginFailure> failure(Errc errc, std::string message,
                                     std::optional<Micros> retry_at = std::nullopt) {
  return tl::unexpected(LoginFailure{Error(errc, std::move(message)), retry_at});
}
tl::unexpected<LoginFailure> failure(Error e) {
  return tl::unexpected(LoginFailure{std::move(e), std::nullopt});
}

Actor attempt_actor(const LoginRequest& r) { return Actor{"anonymous", "", {r.ip, r.request_id}}; }

detail::AuditRecord login_record(std::string action, const std::string& email,
                                 const std::string& user_id,
                                 nlohmann::json details = nlohmann::json::object()) {
  details["email"] = email;
  return {.action = std::move(action),
          .target_type = user_id.empty() ? "email" : "user",
          .target_id = user_id,
          .details = std::move(details)};
}

}  // namespace

AuthService::AuthService(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                         const crypto::PasswordHasher& hasher, SessionService& sessions,
                         LoginOptions options)
    : db_(db),
      clock_(clock),
      audit_(audit),
      hasher_(hasher),
      sessions_(sessions),
      options_(options) {}

LoginResult AuthService::login(const LoginRequest& request) {
  // Anything that cannot be an address is looked up like an unknown one (same work, same answer).
  std::string email = to_storable_utf8(normalize_email(request.email), kMaxEmailBytes + 1);
  Micros now = clock_.now();
  std::optional<Credentials> user;
  std::optional<Micros> locked_until;
  {
    auto lease = db_.connect();
    if (!lease) return failure(std::move(lease).error());
    store::Connection& conn = **lease;
    if (!request.ip.empty()) {
      // The oldest failure that keeps the count at the limit decides when the address may retry.
      auto rows = conn.query(
          "SELECT at FROM login_failures WHERE throttle_key = $1 AND at > $2 "
          "ORDER BY at DESC LIMIT 1 OFFSET $3",
          params(ip_key(request.ip), now - options_.ip_window,
                 std::int64_t{options_.max_failures_per_ip - 1}));
      if (!rows) return failure(std::move(rows).error());
      if (!rows->empty()) {
        Micros retry_at = rows->front().int64(0) + options_.ip_window;
        // One audit entry per address and window, not one per refused attempt: throttled
        // requests cost no Argon2, so auditing each would let anyone grow the log at will.
        auto audited = store::in_transaction(conn, [&](store::Connection& c) -> Status {
          std::string marker = "audited:" + ip_key(request.ip);
          auto seen = CS_TRY(c.query_one("SELECT at FROM login_failures WHERE throttle_key = $1 AND at > $2 LIMIT 1",
                                         params(marker, now - options_.ip_window)));
          if (seen) return {};
          CS_TRY(c.exec("INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)", params(marker, now)));
          return detail::record(
              audit_, c, attempt_actor(request),
              login_record("user.login.failed", email, "", {{"reason", "ip_throttled"}}));
        });
        if (!audited) return failure(std::move(audited).error());
        return failure(Errc::too_many_requests, kThrottled, retry_at);
      }
    }
    auto row =
        conn.query_one("SELECT id, password_hash, status, locked_until FROM users WHERE email = $1",
                       params(email));
    if (!row) return failure(std::move(row).error());
    if (*row) {
      user = Credentials{(*row)->text(0), (*row)->text(1), (*row)->text(2), (*row)->opt_int64(3)};
      locked_until = user->locked_until;
    } else {
      auto lock =
          conn.query_one("SELECT MAX(at) FROM login_failures WHERE throttle_key = $1 AND at > $2",
                         params(lock_key(email), now));
      if (!lock) return failure(std::move(lock).error());
      if (*lock) locked_until = (*lock)->opt_int64(0);
    }
  }
  if (locked_until && *locked_until > now)
    return reject_locked(request, email, user, *locked_until);

  if (!user) {
    hasher_.dummy_verify(request.password);
    return record_failure(request, email, user, "unknown_email");
  }
  if (!hasher_.verify(user->password_hash, request.password))
    return record_failure(request, email, user, "bad_password");
  if (user->status != "active") {
    auto audited = store::transact(db_, [&](store::Connection& conn) {
      return detail::record(
          audit_, conn, attempt_actor(request),
          login_record("user.login.failed", email, user->id, {{"reason", "disabled"}}));
    });
    if (!audited) return failure(std::move(audited).error());
    return failure(Errc::forbidden, "This user account is disabled");
  }
  return succeed(request, *user);
}

LoginResult AuthService::reject_locked(const LoginRequest& request, const std::string& email,
                                       const std::optional<Credentials>& user, Micros until) {
  auto audited = store::transact(db_, [&](store::Connection& conn) {
    return detail::record(audit_, conn, attempt_actor(request),
                          login_record("user.login.failed", email, user ? user->id : "",
                                       {{"reason", "locked"}, {"locked_until", until}}));
  });
  if (!audited) return failure(std::move(audited).error());
  return failure(Errc::account_locked, kLocked, until);
}

LoginResult AuthService::record_failure(const LoginRequest& request, const std::string& email,
                                        const std::optional<Credentials>& user,
                                        const char* reason) {
  Micros now = clock_.now();
  Micros lock_until = now + options_.lockout_duration;
  auto locked = store::transact(db_, [&](store::Connection& conn) -> Result<bool> {
    if (!request.ip.empty()) {
      CS_TRY(conn.exec("DELETE FROM login_failures WHERE throttle_key = $1 AND at <= $2",
                       params(ip_key(request.ip), now - options_.ip_window)));
      CS_TRY(conn.exec("INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)",
                       params(ip_key(request.ip), now)));
    }
    std::int64_t failures = 0;
    if (user) {
      auto row = CS_TRY(conn.query_one(
          "UPDATE users SET failed_login_count = failed_login_count + 1, updated_at = $1 "
          "WHERE id = $2 RETURNING failed_login_count",
          params(now, user->id)));
      if (!row) return fail(Errc::unauthenticated, kBadCredentials, "user vanished during login");
      failures = row->int64(0);
    } else {
      CS_TRY(conn.exec("INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)",
                       params(email_key(email), now)));
      auto row = CS_TRY(conn.query_one(
          "SELECT COUNT(*) FROM login_failures WHERE throttle_key = $1", params(email_key(email))));
      failures = row ? row->int64(0) : 0;
    }
    const std::string user_id = user ? user->id : "";
    CS_CHECK(
        detail::record(audit_, conn, attempt_actor(request),
                       login_record("user.login.failed", email, user_id,
                                    {{"reason", reason}, {"consecutive_failures", failures}})));
    if (failures < options_.max_failures_per_user) return false;
    // The lock starts the count afresh, as it does for a real user.
    if (user) {
      CS_TRY(conn.exec("UPDATE users SET failed_login_count = 0, locked_until = $1 WHERE id = $2",
                       params(lock_until, user->id)));
    } else {
      CS_TRY(conn.exec("DELETE FROM login_failures WHERE throttle_key = $1",
                       params(email_key(email))));
      CS_TRY(conn.exec("INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)",
                       params(lock_key(email), lock_until)));
    }
    CS_CHECK(detail::record(
        audit_, conn, attempt_actor(request),
        login_record("user.locked", email, user_id, {{"locked_until", lock_until}})));
    return true;
  });
  if (!locked) return failure(std::move(locked).error());
  if (*locked) return failure(Errc::account_locked, kLocked, lock_until);
  return failure(Errc::unauthenticated, kBadCredentials);
}

LoginResult AuthService::succeed(const LoginRequest& request, const Credentials& user) {
  // Argon2 again outside the transaction: parameters changed since this hash was made.
  std::optional<std::string> new_hash;
  if (hasher_.needs_rehash(user.password_hash)) {
    auto h = hasher_.hash(request.password);
    if (h) new_hash = std::move(*h);  // a failed rehash must not block the login; next time
  }
  Micros now = clock_.now();
  auto result = store::transact(db_, [&](store::Connection& conn) -> Result<LoginSuccess> {
    // Re-checked under the write: a lock set by a concurrent failure since the read wins.
    auto updated = CS_TRY(conn.exec(
        "UPDATE users SET failed_login_count = 0, locked_until = NULL, last_login_at = $1, "
        "updated_at = $1 WHERE id = $2 AND status = 'active' "
        "AND (locked_until IS NULL OR locked_until <= $1)",
        params(now, user.id)));
    if (updated == 0) return fail(Errc::account_locked, kLocked);
    if (new_hash) {
      // Only replaces the hash that was verified, never a password changed meanwhile.
      CS_TRY(conn.exec("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3",
                       params(*new_hash, user.id, user.password_hash)));
    }
    if (!request.previous_session_token.empty()) {
      CS_TRY(sessions_.revoke(conn, request.previous_session_token));
    }
    LoginSuccess out{user.id,
                     CS_TRY(sessions_.create(conn, user.id, request.ip, request.user_agent))};
    CS_CHECK(detail::record(audit_, conn, Actor::user(user.id, {request.ip, request.request_id}),
                            {.action = "user.login.succeeded",
                             .target_type = "user",
                             .target_id = user.id,
                             .details = {{"password_rehashed", new_hash.has_value()}}}));
    return out;
  });
  if (!result) {
    std::optional<Micros> retry;
    if (result.error().errc() == Errc::account_locked) retry = now + options_.lockout_duration;
    return tl::unexpected(LoginFailure{std::move(result).error(), retry});
  }
  return std::move(*result);
}

Result<std::int64_t> AuthService::purge_throttle_records() {
  auto lease = CS_TRY(db_.connect());
  return lease->exec("DELETE FROM login_failures WHERE at <= $1",
                     params(clock_.now() - options_.throttle_retention));
}

}  // namespace cs::identity
