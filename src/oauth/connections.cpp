// Connections (grants) as account admins and users see them (issue 3 §2 "Connections", §4).
#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "identity/policy.hpp"
#include "oauth/access_epoch.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/detail/grant_access.hpp"
#include "oauth/detail/records.hpp"
#include "store/database.hpp"

namespace cs::oauth {

using detail::params;

namespace {

identity::Resource connection_on(std::string account_id) {
  return {identity::ResourceType::connection, std::move(account_id), {}};
}

Result<std::vector<GrantSummary>> list_where(store::Database& db, std::string_view where,
                                             std::string_view key) {
  auto lease = CS_TRY(db.connect());
  auto rows = CS_TRY(lease->query(detail::kGrantSelect + std::string(where) +
                                      " AND g.revoked_at IS NULL ORDER BY g.created_at, g.id",
                                  params(key)));
  std::vector<GrantSummary> out;
  for (const auto& r : rows) out.push_back(detail::grant_from_row(r));
  return out;
}

}  // namespace

Result<std::vector<GrantSummary>> AuthorizationServer::list_account_connections(
    const identity::Principal& principal, std::string_view account_id) {
  CS_CHECK(identity::require(principal, identity::Action::connection_manage,
                             connection_on(std::string(account_id))));
  return list_where(db_, "WHERE g.account_id = $1", account_id);
}

Result<std::vector<GrantSummary>> AuthorizationServer::list_user_grants(
    const identity::Principal& principal) {
  return list_where(db_, "WHERE g.user_id = $1", principal.user_id);
}

Status AuthorizationServer::revoke_grant(const identity::Principal& principal,
                                         std::string_view grant_id,
                                         const identity::RequestContext& ctx) {
  if (!is_valid_id(grant_id, "grt")) return detail::not_found("Connection");
  Micros now = clock_.now();
  auto narrowed = access_epoch_->advance_on_exit();
  return store::transact(db_, [&](store::Connection& conn) -> Status {
    auto row = CS_TRY(conn.query_one(
        "SELECT g.user_id, g.account_id, g.app_id, a.partner_org_id FROM oauth_grants g "
        "JOIN apps a ON a.id = g.app_id WHERE g.id = $1 AND g.revoked_at IS NULL",
        params(grant_id)));
    if (!row) return detail::not_found("Connection");
    if (row->text(0) != principal.user_id) {
      CS_CHECK(identity::require(principal, identity::Action::connection_manage,
                                 connection_on(row->text(1))));
    }
    CS_TRY(detail::revoke_grant_rows(conn, grant_id, now, "revoked_by_user"));
    return detail::record(audit_, conn, identity::Actor::user(principal.user_id, ctx),
                          {.action = "oauth.grant.revoked",
                           .target_type = "oauth_grant",
                           .target_id = std::string(grant_id),
                           .account_id = row->text(1),
                           .partner_org_id = row->text(3),
                           .details = {{"app_id", row->text(2)}, {"reason", "revoked_by_user"}}});
  });
}

Result<std::int64_t> AuthorizationServer::revoke_uncertified_grants(std::string_view account_id,
                                                                    const identity::Actor& actor) {
  if (!is_valid_id(account_id, "acc")) return detail::not_found("Account");
  Micros now = clock_.now();
  auto narrowed = access_epoch_->advance_on_exit();
  return store::transact(db_, [&](store::Connection& conn) -> Result<std::int64_t> {
    // The same row the token paths read, with the setting taken as OFF: what would the rule
    // say without it?
    auto rows = CS_TRY(
        conn.query("SELECT " + std::string(detail::kGrantAccessColumns) +
                       " FROM (SELECT id AS grant_id FROM oauth_grants WHERE account_id = $1 AND "
                       "revoked_at IS NULL) t" +
                       std::string(detail::kGrantAccessJoin),
                   params(account_id)));
    std::int64_t ended = 0;
    for (const auto& r : rows) {
      auto g = detail::grant_access_from_row(r, 0);
      g.inputs.allow_uncertified_apps = false;
      if (allowed(g.verdict())) continue;
      ended += CS_TRY(detail::revoke_grant_rows(conn, g.grant_id, now, "uncertified_app"));
      CS_CHECK(detail::record(audit_, conn, actor,
                              {.action = "oauth.grant.revoked",
                               .target_type = "oauth_grant",
                               .target_id = g.grant_id,
                               .account_id = g.account_id,
                               .partner_org_id = g.inputs.app_partner_org_id,
                               .details = {{"app_id", g.app_id}, {"reason", "uncertified_app"}}}));
    }
    return ended;
  });
}

Result<std::int64_t> AuthorizationServer::purge_expired(Micros retention) {
  std::vector<store::Value> cutoff{clock_.now() - retention};
  return store::transact(db_, [&](store::Connection& c) -> Result<std::int64_t> {
    auto tokens = CS_TRY(c.exec("DELETE FROM oauth_tokens WHERE expires_at < $1", cutoff));
    auto codes = CS_TRY(c.exec("DELETE FROM oauth_codes WHERE expires_at < $1", cutoff));
    return tokens + codes;
  });
}

}  // namespace cs::oauth
