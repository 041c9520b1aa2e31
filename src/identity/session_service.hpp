// Server-side web sessions and CSRF tokens (issue 2 §5).
//
// The browser holds a random "cs_ss_..." token in an HttpOnly cookie; the database holds only
// its HMAC-SHA256 under the key ring's token-hash key, so a database leak does not hand out
// sessions. A session ends at the first of: its absolute lifetime, an idle period without a
// request, logout, the user being disabled, or revoke_all_for_user.
//
// CSRF tokens need no storage: csrf_token(binding) is an HMAC of "csrf:" + binding, where the
// binding is the session token for a signed-in user, or a random pre-session cookie value on the
// login form. A forged form from another site cannot know either.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/keyring.hpp"
#include "crypto/tokens.hpp"

namespace cs::store {
class Database;
class Connection;
}  // namespace cs::store

namespace cs::identity {

struct SessionOptions {
  Micros idle_timeout = 12LL * 3600 * kMicrosPerSecond;
  Micros absolute_lifetime = 7LL * 24 * 3600 * kMicrosPerSecond;
  // last_seen_at is written at most this often, so most requests only read.
  Micros touch_interval = 60 * kMicrosPerSecond;
};

struct Session {
  std::string user_id;
  Micros created_at = 0;
  Micros expires_at = 0;    // absolute end
  Micros last_seen_at = 0;  // the idle timeout counts from here
  std::string ip;
  std::string user_agent;

  // When the session ends if no further request arrives.
  Micros idle_expires_at(const SessionOptions& o) const { return last_seen_at + o.idle_timeout; }
};

// A session just created: the token goes to the browser once and is never stored.
struct NewSession {
  std::string token;
  Session session;
};

class SessionService {
 public:
  SessionService(store::Database& db, const Clock& clock,
                 std::span<const std::uint8_t, crypto::kKeyBytes> token_hash_key,
                 SessionOptions options = {});
  ~SessionService();
  SessionService(const SessionService&) = delete;
  SessionService& operator=(const SessionService&) = delete;

  const SessionOptions& options() const { return options_; }

  Result<NewSession> create(std::string_view user_id, std::string_view ip,
                            std::string_view user_agent);
  // The same inside the caller's transaction (login creates the session with its other writes).
  Result<NewSession> create(store::Connection& conn, std::string_view user_id, std::string_view ip,
                            std::string_view user_agent);

  // The live session for a presented token, or Errc::unauthenticated (unknown, malformed,
  // expired, idle too long, revoked, or the user is disabled). Expired rows are deleted.
  Result<Session> resolve(std::string_view token);

  // Logout. Unknown tokens are not an error (logging out twice is fine); returns whether a
  // session ended.
  Result<bool> revoke(std::string_view token);
  Result<bool> revoke(store::Connection& conn, std::string_view token);
  // Ends every session of a user (password change, disabling, "sign out everywhere").
  Result<std::int64_t> revoke_all_for_user(std::string_view user_id);
  // Deletes sessions past their absolute or idle end; for a periodic job.
  Result<std::int64_t> purge_expired();

  // The CSRF token for forms rendered for `binding` (session token or pre-session cookie).
  std::string csrf_token(std::string_view binding) const;
  // Constant-time check of a submitted CSRF token. False for an empty binding or token.
  bool verify_csrf(std::string_view binding, std::string_view presented) const;

 private:
  store::Database& db_;
  const Clock& clock_;
  crypto::TokenHasher hasher_;
  std::array<std::uint8_t, crypto::kKeyBytes> key_;
  SessionOptions options_;
};

}  // namespace cs::identity
