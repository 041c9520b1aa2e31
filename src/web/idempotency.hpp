// `Idempotency-Key` on every creating POST (DESIGN.md "Interfaces": "Idempotency-Key is honoured
// on POSTs that create"; issue 4 §1). One helper, called by each creating route after it has
// authenticated the caller and before it does any work:
//
//   auto caller = authenticate_api(...);  if (!caller) return ...;
//   return idempotent(ctx, req, idempotency_scope(*caller), [&] { ...create, render...; });
//
// Rules (the Stripe / IETF draft-ietf-httpapi-idempotency-key-header behaviour partners know):
//  * no header: `create` simply runs;
//  * the key must be 1..255 printable ASCII characters, else 400 invalid_request;
//  * the same caller scope + key with the same method, route and body within 24 h replays the
//    stored first response (status, body, content type) with `Idempotent-Replayed: true`;
//  * the same key with another body (or on another route) answers 422 idempotency_key_reused;
//  * a duplicate that arrives while the first request is still running answers 409 conflict
//    (the client retries later and then gets the replay);
//  * a 5xx (and a 429) is not stored: the key is released so the client can retry.
// Rows live in the `idempotency_keys` table (migration 0005_esign.sql); maintenance purges rows
// older than 24 h (purge_idempotency_keys).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "store/database.hpp"

namespace cs::web {

struct WebContext;
struct ApiCaller;

inline constexpr std::string_view kIdempotencyKeyHeader = "Idempotency-Key";
inline constexpr std::string_view kIdempotentReplayedHeader = "Idempotent-Replayed";
inline constexpr Micros kIdempotencyWindow = 24LL * 3600 * kMicrosPerSecond;

// `app:<app_id>:<account_id>` for a token (its account), `user:<user_id>:<account_id>` for a
// session, where `account_id` is the account the route acts on (sessions span accounts).
std::string idempotency_scope(const ApiCaller& caller, std::string_view account_id = {});

// See the file comment. The time is the request's arrival (req.received_at).
http::Response idempotent(WebContext& ctx, const http::Request& req, std::string_view caller_scope,
                          const std::function<http::Response()>& create);

// The same on a bare database (tests, and routes that hold no WebContext).
http::Response idempotent(store::Database& db, const http::Request& req, std::string_view caller_scope,
                          const std::function<http::Response()>& create);

// Deletes keys older than the 24 h window (and abandoned in-flight rows). Returns rows removed.
Result<std::int64_t> purge_idempotency_keys(store::Database& db, Micros now);

}  // namespace cs::web
