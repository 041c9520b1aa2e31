// The token endpoint (RFC 6749 §4.1.3 and §6; RFC 7636 §4.6; RFC 9700 §4.14 refresh rotation).
//
// Each grant runs in one short transaction: read the code or refresh token together with its
// grant, app, account and effective version (one indexed row), mark it used with a
// compare-and-set, insert the new tokens. Failures that must leave a trace (a replayed code, a
// reused refresh token) commit their revocation and audit entry and then answer the error.
// A successful rotation commits with relaxed durability (detail/commit_durability.hpp says what
// that trades); everything else commits durably.
#include <algorithm>
#include <variant>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "crypto/tokens.hpp"
#include "oauth/access_epoch.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/detail/client_auth.hpp"
#include "oauth/detail/commit_durability.hpp"
#include "oauth/detail/grant_access.hpp"
#include "oauth/detail/pkce.hpp"
#include "oauth/detail/records.hpp"
#include "store/database.hpp"

namespace cs::oauth {

using detail::params;

namespace {

// A refusal decided inside the transaction, returned after it committed.
using Outcome = std::variant<TokenResponse, Error>;

Error invalid_grant(std::string detail) {
  return Error(Errc::oauth_invalid_grant,
               "The authorization code or refresh token is invalid, expired or revoked",
               std::move(detail));
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Inserts an access token and, with offline_access, a refresh token (one statement).
Result<TokenResponse> issue(store::Connection& conn, const crypto::TokenHasher& hasher,
                            const detail::GrantAccess& g, const std::string& origin_code_hash,
                            const std::optional<std::string>& parent_hash,
                            const std::vector<std::string>& access_scopes,
                            const std::vector<std::string>& refresh_scopes, Micros now,
                            Micros chain_expires_at) {
  TokenResponse r;
  r.access_token = crypto::generate_token(crypto::kAccessTokenPrefix);
  r.expires_in = kAccessTokenLifetime / kMicrosPerSecond;
  r.scope = join_scopes(access_scopes);
  r.account_id = g.account_id;
  std::string access_hash = hasher.hash(r.access_token);
  if (!contains(refresh_scopes, kOfflineAccessScope)) {
    CS_TRY(conn.exec(
        "INSERT INTO oauth_tokens (token_hash, id, kind, grant_id, app_id, origin_code_hash, "
        "parent_hash, scopes, created_at, expires_at, chain_expires_at) "
        "VALUES ($1, $2, 'access', $3, $4, $5, $6, $7, $8, $9, $9)",
        params(access_hash, new_id("tok"), g.grant_id, g.app_id, origin_code_hash, parent_hash,
               r.scope, now, now + kAccessTokenLifetime)));
    return r;
  }
  r.refresh_token = crypto::generate_token(crypto::kRefreshTokenPrefix);
  Micros refresh_expires = std::min(now + kRefreshIdleLifetime, chain_expires_at);
  CS_TRY(conn.exec(
      "INSERT INTO oauth_tokens (token_hash, id, kind, grant_id, app_id, origin_code_hash, "
      "parent_hash, scopes, created_at, expires_at, chain_expires_at) VALUES "
      "($1, $2, 'access', $3, $4, $5, $6, $7, $8, $9, $9), "
      "($10, $11, 'refresh', $3, $4, $5, $6, $12, $8, $13, $14)",
      params(access_hash, new_id("tok"), g.grant_id, g.app_id, origin_code_hash, parent_hash,
             r.scope, now, now + kAccessTokenLifetime, hasher.hash(r.refresh_token), new_id("tok"),
             join_scopes(refresh_scopes), refresh_expires, chain_expires_at)));
  return r;
}

// Every issue re-checks the app and the access rule with the CURRENT state.
std::optional<Error> check_grant(const detail::GrantAccess& g) {
  if (g.grant_revoked) return invalid_grant("grant revoked");
  if (!g.app_active) return invalid_grant("app disabled");
  if (!allowed(g.verdict()))
    return Error(Errc::oauth_invalid_grant, std::string(not_certified_message()),
                 "access rule: not certified");
  return std::nullopt;
}

Result<TokenResponse> finish(Result<Outcome> outcome) {
  if (!outcome) return tl::unexpected(std::move(outcome).error());
  if (auto* err = std::get_if<Error>(&*outcome)) return fail(std::move(*err));
  return std::get<TokenResponse>(std::move(*outcome));
}

const std::string kCodeSelect =
    "SELECT t.app_id, t.redirect_uri, t.code_challenge, t.scopes, "
    "t.expires_at, t.used_at, " +
    std::string(detail::kGrantAccessColumns) + " FROM oauth_codes t" +
    std::string(detail::kGrantAccessJoin) + "WHERE t.code_hash = $1";

const std::string kRefreshSelect =
    "SELECT t.kind, t.app_id, t.origin_code_hash, t.scopes, t.expires_at, t.chain_expires_at, "
    "t.used_at, t.revoked_at, " +
    std::string(detail::kGrantAccessColumns) + " FROM oauth_tokens t" +
    std::string(detail::kGrantAccessJoin) + "WHERE t.token_hash = $1";

}  // namespace

Result<TokenResponse> AuthorizationServer::token(const TokenRequest& req,
                                                 const identity::RequestContext& ctx) {
  if (req.grant_type.empty()) return fail(Errc::invalid_request, "grant_type is missing");
  if (req.grant_type != "authorization_code" && req.grant_type != "refresh_token")
    return fail(Errc::oauth_unsupported_grant_type,
                "Supported grant types: authorization_code, refresh_token");
  auto lease = CS_TRY(db_.connect());
  store::Connection& conn = *lease;
  Micros now = clock_.now();
  auto client =
      CS_TRY(detail::authenticate_audited(conn, hasher_, audit_, now, req.client, "token", ctx));
  identity::Actor actor{"app", client.client_id, ctx};
  // A replay or a reuse revokes tokens: once that committed, the bearer cache must forget them.
  bool narrowed = false;
  auto on_narrowed = access_epoch_->advance_on_exit_if(narrowed);

  if (req.grant_type == "authorization_code") {
    if (req.code.empty()) return fail(Errc::invalid_request, "code is missing");
    if (req.redirect_uri.empty()) return fail(Errc::invalid_request, "redirect_uri is missing");
    if (!req.code.starts_with(crypto::kAuthCodePrefix)) return fail(invalid_grant("not a code"));
    std::string code_hash = hasher_.hash(req.code);
    return finish(store::in_transaction(conn, [&](store::Connection& c) -> Result<Outcome> {
      auto row = CS_TRY(c.query_one(kCodeSelect, params(code_hash)));
      if (!row) return Outcome(invalid_grant("unknown code"));
      auto g = detail::grant_access_from_row(*row, 6);
      if (row->text(0) != client.app_id) {
        CS_CHECK(detail::record(audit_, c, actor,
                                {.action = "oauth.code.wrong_client",
                                 .target_type = "oauth_grant",
                                 .target_id = g.grant_id,
                                 .account_id = g.account_id,
                                 .details = {{"code_app_id", row->text(0)}}}));
        return Outcome(invalid_grant("code of another client"));
      }
      if (!row->is_null(5)) {
        // RFC 6749 §4.1.2: a code used twice revokes what it already produced.
        auto revoked =
            CS_TRY(c.exec("UPDATE oauth_tokens SET revoked_at = $1 WHERE grant_id = $2 AND "
                          "origin_code_hash = $3 AND revoked_at IS NULL",
                          params(now, g.grant_id, code_hash)));
        narrowed = true;
        CS_CHECK(detail::record(audit_, c, actor,
                                {.action = "oauth.code.replayed",
                                 .target_type = "oauth_grant",
                                 .target_id = g.grant_id,
                                 .account_id = g.account_id,
                                 .partner_org_id = g.inputs.app_partner_org_id,
                                 .details = {{"tokens_revoked", revoked}}}));
        return Outcome(invalid_grant("code replayed"));
      }
      if (row->int64(4) <= now) return Outcome(invalid_grant("code expired"));
      if (row->text(1) != req.redirect_uri) return Outcome(invalid_grant("redirect_uri mismatch"));
      const std::string& challenge = row->text(2);
      // RFC 9700 §2.1.1: public clients always prove possession with PKCE.
      if (challenge.empty() && client.client_type == ClientType::public_client)
        return Outcome(invalid_grant("public client without PKCE"));
      if (challenge.empty() ? !req.code_verifier.empty()
                            : !detail::verify_s256(req.code_verifier, challenge))
        return Outcome(invalid_grant("PKCE verification failed"));
      if (auto refused = check_grant(g)) return Outcome(std::move(*refused));
      auto scopes = g.allowed_scopes(split_scopes(row->text(3)));
      if (scopes.empty())
        return Outcome(Error(Errc::oauth_invalid_scope, "No requested scope is still allowed"));
      auto marked = CS_TRY(
          c.exec("UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
                 params(now, code_hash)));
      if (marked != 1) return Outcome(invalid_grant("code used concurrently"));
      auto issued = CS_TRY(issue(c, hasher_, g, code_hash, std::nullopt, scopes, scopes, now,
                                 now + kRefreshMaxLifetime));
      CS_CHECK(detail::touch_grant(c, g, now));
      return Outcome(std::move(issued));
    }));
  }

  // refresh_token
  if (req.refresh_token.empty()) return fail(Errc::invalid_request, "refresh_token is missing");
  if (!req.refresh_token.starts_with(crypto::kRefreshTokenPrefix))
    return fail(invalid_grant("not a refresh token"));
  std::string token_hash = hasher_.hash(req.refresh_token);
  std::vector<std::string> requested = split_scopes(req.scope);
  // A plain rotation commits relaxed (detail/commit_durability.hpp). An attempt that finds it
  // must leave a trace instead (an audit entry, a revocation) rolls back and runs again with a
  // durable commit, so nothing security-relevant is ever written relaxed.
  bool needs_durable_commit = false;
  auto rotate = [&](store::Connection& c, bool relaxed) -> Result<Outcome> {
    auto rerun_durably = [&]() {
      needs_durable_commit = true;
      return tl::unexpected(Error(Errc::internal, "retry", "rerun with a durable commit"));
    };
    auto row = CS_TRY(c.query_one(kRefreshSelect, params(token_hash)));
    if (!row || row->text(0) != "refresh") return Outcome(invalid_grant("unknown refresh token"));
    auto g = detail::grant_access_from_row(*row, 8);
    if (row->text(1) != client.app_id) {
      if (relaxed) return rerun_durably();
      CS_CHECK(detail::record(audit_, c, actor,
                              {.action = "oauth.refresh.wrong_client",
                               .target_type = "oauth_grant",
                               .target_id = g.grant_id,
                               .account_id = g.account_id,
                               .details = {{"token_app_id", row->text(1)}}}));
      return Outcome(invalid_grant("refresh token of another client"));
    }
    if (!row->is_null(7) || g.grant_revoked) return Outcome(invalid_grant("revoked"));
    auto reuse = [&]() -> Result<Outcome> {
      if (relaxed) return rerun_durably();
      // RFC 9700 §4.14.2: a rotated refresh token presented again means it leaked; end the
      // whole grant so neither the attacker nor the legitimate client keeps access.
      CS_TRY(detail::revoke_grant_rows(c, g.grant_id, now, "refresh_token_reused"));
      narrowed = true;
      CS_CHECK(detail::record(audit_, c, actor,
                              {.action = "oauth.refresh.reused",
                               .target_type = "oauth_grant",
                               .target_id = g.grant_id,
                               .account_id = g.account_id,
                               .partner_org_id = g.inputs.app_partner_org_id}));
      return Outcome(invalid_grant("refresh token reused"));
    };
    if (!row->is_null(6)) return reuse();
    if (row->int64(4) <= now || row->int64(5) <= now)
      return Outcome(invalid_grant("refresh token expired"));
    if (auto refused = check_grant(g)) return Outcome(std::move(*refused));
    auto refresh_scopes = split_scopes(row->text(3));
    std::vector<std::string> access_scopes = refresh_scopes;
    if (!requested.empty()) {
      // RFC 6749 §6: the scope may only narrow.
      for (const auto& s : requested)
        if (!contains(refresh_scopes, s))
          return Outcome(Error(Errc::oauth_invalid_scope,
                               "The requested scope exceeds the scope originally granted"));
      access_scopes = requested;
    }
    access_scopes = g.allowed_scopes(access_scopes);
    if (access_scopes.empty())
      return Outcome(Error(Errc::oauth_invalid_scope, "No requested scope is still allowed"));
    auto marked = CS_TRY(
        c.exec("UPDATE oauth_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
               params(now, token_hash)));
    if (marked != 1) return reuse();
    auto issued = CS_TRY(issue(c, hasher_, g, row->text(2), token_hash, access_scopes,
                               refresh_scopes, now, row->int64(5)));
    CS_CHECK(detail::touch_grant(c, g, now));
    return Outcome(std::move(issued));
  };
  // On SQLite, concurrent rotations (and every other writer of the process) take turns in the
  // store's writer queue (store/sqlite/writer_queue.hpp), not in SQLite's sleeping busy handler.
  auto outcome = detail::in_relaxed_transaction(
      conn, [&](store::Connection& c) { return rotate(c, /*relaxed=*/true); });
  if (needs_durable_commit)
    outcome = store::in_transaction(
        conn, [&](store::Connection& c) { return rotate(c, /*relaxed=*/false); });
  return finish(std::move(outcome));
}

}  // namespace cs::oauth
