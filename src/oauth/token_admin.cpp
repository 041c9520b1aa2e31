// Revocation (RFC 7009), introspection (RFC 7662) and userinfo. Bearer verification for /v1
// is in bearer_verification.cpp.
#include "audit/audit_log.hpp"
#include "crypto/tokens.hpp"
#include "oauth/access_epoch.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/detail/client_auth.hpp"
#include "oauth/detail/grant_access.hpp"
#include "oauth/detail/records.hpp"
#include "store/database.hpp"

namespace cs::oauth {

using detail::params;

namespace {

const std::string kTokenSelect =
    "SELECT t.id, t.kind, t.app_id, t.scopes, t.created_at, t.expires_at, t.chain_expires_at, "
    "t.used_at, t.revoked_at, " +
    std::string(detail::kGrantAccessColumns) + " FROM oauth_tokens t" +
    std::string(detail::kGrantAccessJoin) + "WHERE t.token_hash = $1";
constexpr std::size_t kTokenCols = 9;

bool token_shaped(std::string_view token) {
  return token.starts_with(crypto::kAccessTokenPrefix) ||
         token.starts_with(crypto::kRefreshTokenPrefix);
}

}  // namespace

Status AuthorizationServer::revoke(const ClientCredentials& client, std::string_view token,
                                   std::string_view hint) {
  (void)hint;  // RFC 7009 §2.1: only a lookup optimisation; both kinds share one table.
  auto lease = CS_TRY(db_.connect());
  Micros now = clock_.now();
  auto app =
      CS_TRY(detail::authenticate_audited(*lease, hasher_, audit_, now, client, "revoke", {}));
  if (token.empty()) return fail(Errc::invalid_request, "token is missing");
  if (!token_shaped(token)) return {};  // RFC 7009 §2.2: unknown tokens are not an error
  std::string hash = hasher_.hash(token);
  auto narrowed = access_epoch_->advance_on_exit();
  return store::in_transaction(*lease, [&](store::Connection& c) -> Status {
    auto row = CS_TRY(
        c.query_one("SELECT t.id, t.kind, t.grant_id, t.app_id, g.account_id FROM oauth_tokens t "
                    "JOIN oauth_grants g ON g.id = t.grant_id WHERE t.token_hash = $1",
                    params(hash)));
    // Another client's token is left alone, and the answer does not tell it exists.
    if (!row || row->text(3) != app.app_id) return {};
    std::string kind = row->text(1);
    if (kind == "refresh") {
      // RFC 7009 §2.1: revoking a refresh token ends the grant and its access tokens.
      CS_TRY(detail::revoke_grant_rows(c, row->text(2), now, "refresh_token_revoked"));
    } else {
      CS_TRY(
          c.exec("UPDATE oauth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND "
                 "revoked_at IS NULL",
                 params(now, hash)));
    }
    return detail::record(audit_, c, identity::Actor{"app", app.client_id, {}},
                          {.action = "oauth.token.revoked",
                           .target_type = "oauth_grant",
                           .target_id = row->text(2),
                           .account_id = row->text(4),
                           .partner_org_id = app.partner_org_id,
                           .details = {{"token_id", row->text(0)}, {"kind", kind}}});
  });
}

Result<nlohmann::json> AuthorizationServer::introspect(const ClientCredentials& client,
                                                       std::string_view token) {
  auto lease = CS_TRY(db_.connect());
  Micros now = clock_.now();
  auto app =
      CS_TRY(detail::authenticate_audited(*lease, hasher_, audit_, now, client, "introspect", {}));
  nlohmann::json inactive = {{"active", false}};
  if (token.empty()) return fail(Errc::invalid_request, "token is missing");
  if (!token_shaped(token)) return inactive;
  auto row = CS_TRY(lease->query_one(kTokenSelect, params(hasher_.hash(token))));
  // RFC 7662 §2.2: anything the caller may not know about reads as inactive.
  if (!row || row->text(2) != app.app_id) return inactive;
  auto g = detail::grant_access_from_row(*row, kTokenCols);
  bool refresh = row->text(1) == "refresh";
  bool active = row->is_null(8) && !g.grant_revoked && g.app_active && row->int64(5) > now &&
                (!refresh || (row->is_null(7) && row->int64(6) > now)) && allowed(g.verdict());
  if (!active) return inactive;
  auto scopes = refresh ? split_scopes(row->text(3)) : g.allowed_scopes(split_scopes(row->text(3)));
  return nlohmann::json{{"active", true},
                        {"scope", join_scopes(scopes)},
                        {"client_id", g.client_id},
                        {"token_type", refresh ? "refresh_token" : "Bearer"},
                        {"exp", row->int64(5) / kMicrosPerSecond},
                        {"iat", row->int64(4) / kMicrosPerSecond},
                        {"sub", g.user_id},
                        {"account_id", g.account_id}};
}

Result<nlohmann::json> AuthorizationServer::userinfo(const AccessContext& access) {
  auto user = CS_TRY(directory_.get_user(access.user_id));
  auto account = CS_TRY(directory_.get_account(access.account_id));
  return nlohmann::json{{"sub", user.id},
                        {"email", user.email},
                        {"name", user.name},
                        {"account",
                         {{"id", account.id},
                          {"name", account.name},
                          {"environment", identity::to_string(account.environment)}}}};
}

}  // namespace cs::oauth
