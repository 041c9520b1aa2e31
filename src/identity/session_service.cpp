#include "identity/session_service.hpp"

#include <sodium.h>

#include <algorithm>

#include "core/utf8.hpp"
#include "crypto/primitives.hpp"
#include "identity/detail/records.hpp"
#include "store/database.hpp"

namespace cs::identity {

using detail::params;

namespace {

constexpr std::size_t kMaxUserAgent = 512;  // a header, not a place to store megabytes

bool looks_like_session_token(std::string_view token) {
  return token.size() == crypto::kSessionPrefix.size() + crypto::kTokenRandomChars &&
         token.starts_with(crypto::kSessionPrefix);
}

tl::unexpected<Error> no_session() { return fail(Errc::unauthenticated, "Please sign in"); }

}  // namespace

SessionService::SessionService(store::Database& db, const Clock& clock,
                               std::span<const std::uint8_t, crypto::kKeyBytes> token_hash_key,
                               SessionOptions options)
    : db_(db), clock_(clock), hasher_(token_hash_key), options_(options) {
  std::copy(token_hash_key.begin(), token_hash_key.end(), key_.begin());
}

SessionService::~SessionService() { sodium_memzero(key_.data(), key_.size()); }

Result<NewSession> SessionService::create(std::string_view user_id, std::string_view ip,
                                          std::string_view user_agent) {
  return store::transact(
      db_, [&](store::Connection& conn) { return create(conn, user_id, ip, user_agent); });
}

Result<NewSession> SessionService::create(store::Connection& conn, std::string_view user_id,
                                          std::string_view ip, std::string_view user_agent) {
  NewSession out;
  out.token = crypto::generate_token(crypto::kSessionPrefix);
  Micros now = clock_.now();
  out.session = Session{std::string(user_id),
                        now,
                        now + options_.absolute_lifetime,
                        now,
                        std::string(ip),
                        to_storable_utf8(user_agent, kMaxUserAgent)};
  CS_TRY(
      conn.exec("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, "
                "ip, user_agent) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params(hasher_.hash(out.token), out.session.user_id, out.session.created_at,
                       out.session.expires_at, out.session.last_seen_at, out.session.ip,
                       out.session.user_agent)));
  return out;
}

Result<Session> SessionService::resolve(std::string_view token) {
  if (!looks_like_session_token(token)) return no_session();
  std::string token_hash = hasher_.hash(token);
  auto lease = CS_TRY(db_.connect());
  store::Connection& conn = *lease;
  auto row = CS_TRY(conn.query_one(
      "SELECT s.user_id, s.created_at, s.expires_at, s.last_seen_at, s.ip, s.user_agent, u.status "
      "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
      params(token_hash)));
  if (!row) return no_session();
  Session session{row->text(0),  row->int64(1), row->int64(2),
                  row->int64(3), row->text(4),  row->text(5)};
  Micros now = clock_.now();
  if (now >= session.expires_at || now >= session.idle_expires_at(options_)) {
    CS_TRY(conn.exec("DELETE FROM sessions WHERE token_hash = $1", params(token_hash)));
    return no_session();
  }
  if (row->text(6) != "active") return no_session();
  if (now - session.last_seen_at >= options_.touch_interval) {
    CS_TRY(conn.exec("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2",
                     params(now, token_hash)));
    session.last_seen_at = now;
  }
  return session;
}

Result<bool> SessionService::revoke(std::string_view token) {
  auto lease = CS_TRY(db_.connect());
  return revoke(*lease, token);
}

Result<bool> SessionService::revoke(store::Connection& conn, std::string_view token) {
  if (!looks_like_session_token(token)) return false;
  auto n =
      CS_TRY(conn.exec("DELETE FROM sessions WHERE token_hash = $1", params(hasher_.hash(token))));
  return n > 0;
}

Result<std::int64_t> SessionService::revoke_all_for_user(std::string_view user_id) {
  auto lease = CS_TRY(db_.connect());
  return lease->exec("DELETE FROM sessions WHERE user_id = $1", params(user_id));
}

Result<std::int64_t> SessionService::purge_expired() {
  Micros now = clock_.now();
  auto lease = CS_TRY(db_.connect());
  return lease->exec("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
                     params(now, now - options_.idle_timeout));
}

std::string SessionService::csrf_token(std::string_view binding) const {
  return crypto::hmac_hex(key_, "csrf:" + std::string(binding));
}

bool SessionService::verify_csrf(std::string_view binding, std::string_view presented) const {
  if (binding.empty() || presented.empty()) return false;
  return crypto::constant_time_equal(csrf_token(binding), presented);
}

}  // namespace cs::identity
