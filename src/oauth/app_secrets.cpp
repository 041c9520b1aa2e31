// AppService: client secrets and client authentication.
#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "crypto/tokens.hpp"
#include "oauth/app_service.hpp"
#include "oauth/detail/client_auth.hpp"
#include "oauth/detail/records.hpp"
#include "store/database.hpp"

namespace cs::oauth {

using detail::params;

Result<NewSecret> AppService::rotate_secret(const identity::Principal& principal,
                                            std::string_view app_id,
                                            const identity::RequestContext& ctx) {
  App app = CS_TRY(load_visible(principal, app_id, true));
  if (app.client_type != ClientType::confidential)
    return fail(Errc::invalid_state, "Public clients have no client secret");
  NewSecret out;
  out.secret = crypto::generate_token(crypto::kClientSecretPrefix);
  out.info.id = new_id("sec");
  out.info.created_at = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<NewSecret> {
    // Rotation keeps at most two secrets active: the new one and the one the partner is
    // migrating away from. Older ones end now, oldest first.
    auto active =
        CS_TRY(conn.query("SELECT id FROM app_secrets WHERE app_id = $1 AND revoked_at IS NULL "
                          "ORDER BY created_at, id",
                          params(app.id)));
    std::vector<std::string> revoked;
    std::size_t keep_old = static_cast<std::size_t>(kMaxActiveSecrets) - 1;
    for (std::size_t i = 0; i + keep_old < active.size(); ++i) revoked.push_back(active[i].text(0));
    for (const auto& id : revoked) {
      CS_TRY(conn.exec("UPDATE app_secrets SET revoked_at = $1 WHERE id = $2",
                       params(out.info.created_at, id)));
    }
    CS_TRY(conn.exec(
        "INSERT INTO app_secrets (id, app_id, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
        params(out.info.id, app.id, hasher_.hash(out.secret), out.info.created_at)));
    CS_CHECK(detail::record(audit_, conn, identity::Actor::user(principal.user_id, ctx),
                            {.action = "app.secret.rotated",
                             .target_type = "app",
                             .target_id = app.id,
                             .partner_org_id = app.partner_org_id,
                             .details = {{"secret_id", out.info.id}, {"revoked", revoked}}}));
    return out;
  });
}

Result<std::vector<SecretInfo>> AppService::list_secrets(const identity::Principal& principal,
                                                         std::string_view app_id) {
  App app = CS_TRY(load_visible(principal, app_id, false));
  auto lease = CS_TRY(db_.connect());
  auto rows = CS_TRY(
      lease->query("SELECT id, created_at, last_used_at FROM app_secrets WHERE app_id = $1 AND "
                   "revoked_at IS NULL ORDER BY created_at, id",
                   params(app.id)));
  std::vector<SecretInfo> out;
  for (const auto& r : rows) out.push_back({r.text(0), r.int64(1), r.opt_int64(2)});
  return out;
}

Status AppService::revoke_secret(const identity::Principal& principal, std::string_view app_id,
                                 std::string_view secret_id, const identity::RequestContext& ctx) {
  App app = CS_TRY(load_visible(principal, app_id, true));
  Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Status {
    auto n =
        CS_TRY(conn.exec("UPDATE app_secrets SET revoked_at = $1 WHERE id = $2 AND app_id = $3 AND "
                         "revoked_at IS NULL",
                         params(now, secret_id, app.id)));
    if (n == 0) return detail::not_found("Secret");
    return detail::record(audit_, conn, identity::Actor::user(principal.user_id, ctx),
                          {.action = "app.secret.revoked",
                           .target_type = "app",
                           .target_id = app.id,
                           .partner_org_id = app.partner_org_id,
                           .details = {{"secret_id", std::string(secret_id)}}});
  });
}

Result<App> AppService::authenticate_client(std::string_view client_id,
                                            std::optional<std::string_view> secret) {
  auto lease = CS_TRY(db_.connect());
  auto client = CS_TRY(detail::authenticate(*lease, hasher_, clock_.now(), client_id, secret));
  return find_by_id(client.app_id);
}

}  // namespace cs::oauth
