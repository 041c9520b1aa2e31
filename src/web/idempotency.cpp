#include "web/idempotency.hpp"

#include <spdlog/spdlog.h>

#include "crypto/primitives.hpp"
#include "store/job_queue.hpp"
#include "store/params.hpp"
#include "web/bearer_auth.hpp"
#include "web/web_context.hpp"

namespace cs::web {

namespace {

// An in-flight row older than this belongs to a request that died (crash, restart) without
// recording its answer; a retry may take the key over instead of waiting out the 24 h.
constexpr Micros kAbandonedAfter = 5LL * 60 * kMicrosPerSecond;

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (unsigned char c : key) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Method and route take part in the hash: the same key sent to another endpoint is a reuse.
std::string request_hash(const http::Request& req) {
  std::string material = req.method;
  material += '\n';
  material += req.path;
  material += '\n';
  material += req.body;
  return crypto::sha256_hex(std::string_view(material));
}

struct Stored {
  std::string request_hash;
  std::string state;
  std::optional<std::int64_t> status;
  std::optional<std::string> content_type;
  std::optional<std::string> body;
  Micros created_at = 0;
};

Result<std::optional<Stored>> load(store::Connection& conn, std::string_view scope, std::string_view key) {
  auto row = CS_TRY(conn.query_one(
      "SELECT request_hash, state, response_status, content_type, response_body, created_at "
      "FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
      store::params(scope, key)));
  if (!row) return std::optional<Stored>{};
  return std::optional<Stored>(Stored{row->text(0), row->text(1), row->opt_int64(2), row->opt_text(3),
                                      row->opt_text(4), row->int64(5)});
}

// Claims the key for this request. Answers true when claimed, false when a row already exists
// (which the caller then inspects).
Result<bool> try_claim(store::Connection& conn, std::string_view scope, std::string_view key,
                       const std::string& hash, Micros now) {
  auto inserted = conn.exec(
      "INSERT INTO idempotency_keys (scope, idem_key, request_hash, state, created_at) "
      "VALUES ($1, $2, $3, 'in_flight', $4)",
      store::params(scope, key, hash, now));
  if (inserted) return true;
  if (inserted.error().errc() == Errc::conflict) return false;
  return fail(std::move(inserted).error());
}

bool storable(int status) { return status < 500 && status != 429; }

}  // namespace

std::string idempotency_scope(const ApiCaller& caller, std::string_view account_id) {
  if (caller.is_token()) return "app:" + caller.token->app_id + ":" + caller.token->account_id;
  return "user:" + caller.session->principal.user_id + ":" + std::string(account_id);
}

http::Response idempotent(WebContext& ctx, const http::Request& req, std::string_view caller_scope,
                          const std::function<http::Response()>& create) {
  return idempotent(ctx.db, req, caller_scope, create);
}

http::Response idempotent(store::Database& db, const http::Request& req, std::string_view caller_scope,
                          const std::function<http::Response()>& create) {
  auto header = req.header(kIdempotencyKeyHeader);
  if (!header) return create();
  std::string key(*header);
  if (!valid_key(key)) {
    return http::Response::problem(
        Error(Errc::invalid_request, "Idempotency-Key must be 1 to 255 printable ASCII characters")
            .with_field(std::string(kIdempotencyKeyHeader)),
        req.request_id);
  }
  Micros now = req.received_at != 0 ? req.received_at : store::system_clock().now();
  std::string hash = request_hash(req);
  auto internal = [&](const Error& e) {
    spdlog::error("idempotency store failed: {} (request {})", e.detail(), req.request_id);
    return http::Response::problem(Error(Errc::internal, "Internal error"), req.request_id);
  };

  {
    auto lease = db.connect();
    if (!lease) return internal(lease.error());
    auto& conn = **lease;
    // At most two rounds: the second follows the removal of an expired or abandoned row.
    for (int round = 0;; ++round) {
      auto claimed = try_claim(conn, caller_scope, key, hash, now);
      if (!claimed) return internal(claimed.error());
      if (*claimed) break;
      auto existing = load(conn, caller_scope, key);
      if (!existing) return internal(existing.error());
      if (!*existing) {
        if (round < 2) continue;  // removed between our insert and select
        return internal(Error(Errc::internal, "idempotency row vanished"));
      }
      const Stored& s = **existing;
      bool expired = s.created_at <= now - kIdempotencyWindow;
      bool abandoned = s.state == "in_flight" && s.created_at <= now - kAbandonedAfter;
      if ((expired || abandoned) && round < 2) {
        auto removed = conn.exec("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND created_at = $3",
                                 store::params(caller_scope, key, s.created_at));
        if (!removed) return internal(removed.error());
        continue;
      }
      if (s.request_hash != hash) {
        return http::Response::problem(
            Error(Errc::idempotency_key_reused, "This Idempotency-Key was already used with a different request")
                .with_field(std::string(kIdempotencyKeyHeader)),
            req.request_id);
      }
      if (s.state != "done") {
        return http::Response::problem(
            Error(Errc::conflict, "A request with this Idempotency-Key is still being processed; retry shortly"),
            req.request_id);
      }
      http::Response replay;
      replay.status = static_cast<int>(s.status.value_or(200));
      replay.body = s.body.value_or("");
      if (s.content_type) replay.set_header("Content-Type", *s.content_type);
      replay.set_header(std::string(kIdempotentReplayedHeader), "true");
      return replay;
    }
  }  // the connection goes back to the pool while create() runs (it borrows its own)

  http::Response response = create();

  auto lease = db.connect();
  if (!lease) {
    spdlog::error("idempotency: cannot record the response: {}", lease.error().detail());
    return response;
  }
  Status recorded;
  if (storable(response.status)) {
    std::string content_type(response.header("Content-Type").value_or(""));
    auto done = (*lease)->exec(
        "UPDATE idempotency_keys SET state = 'done', response_status = $3, content_type = $4, response_body = $5 "
        "WHERE scope = $1 AND idem_key = $2",
        store::params(caller_scope, key, std::int64_t{response.status}, content_type, response.body));
    if (!done) recorded = fail(std::move(done).error());
  } else {
    auto released = (*lease)->exec("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
                                   store::params(caller_scope, key));
    if (!released) recorded = fail(std::move(released).error());
  }
  if (!recorded) spdlog::error("idempotency: cannot record the response: {}", recorded.error().detail());
  return response;
}

Result<std::int64_t> purge_idempotency_keys(store::Database& db, Micros now) {
  auto lease = CS_TRY(db.connect());
  return lease->exec(
      "DELETE FROM idempotency_keys WHERE created_at <= $1 OR (state = 'in_flight' AND created_at <= $2)",
      store::params(now - kIdempotencyWindow, now - kAbandonedAfter));
}

}  // namespace cs::web
