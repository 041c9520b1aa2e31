// Bearer verification for /v1 (RFC 6750; issue 3 §3), the hot path of every API call, and the
// AuthorizationServer's wiring of its verification cache.
#include <algorithm>

#include "crypto/tokens.hpp"
#include "oauth/access_epoch.hpp"
#include "oauth/app_service.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/detail/grant_access.hpp"
#include "oauth/detail/records.hpp"
#include "oauth/verification_cache.hpp"
#include "store/database.hpp"

namespace cs::oauth {

using detail::params;

namespace {

// One indexed read: token -> grant -> app -> account -> effective version (whose id the call
// log records).
const std::string kBearerSelect = "SELECT t.id, t.kind, t.scopes, t.expires_at, t.revoked_at, v.id, " +
                                  std::string(detail::kGrantAccessColumns) +
                                  " FROM oauth_tokens t" + std::string(detail::kGrantAccessJoin) +
                                  "WHERE t.token_hash = $1";
constexpr std::size_t kBearerCols = 6;

// Who is calling, as the call log attributes it (also for a refusal of a verified token).
void describe_caller(AccessContext& out, const detail::GrantAccess& g, std::string version_id) {
  out.grant_id = g.grant_id;
  out.app_id = g.app_id;
  out.client_id = g.client_id;
  out.user_id = g.user_id;
  out.account_id = g.account_id;
  out.partner_org_id = g.inputs.app_partner_org_id;
  out.app_version_id = std::move(version_id);
  out.production = g.inputs.environment == identity::Environment::production;
}

tl::unexpected<Error> invalid_token(std::string detail) {
  return fail(Errc::invalid_token, "The access token is invalid, expired or revoked",
              std::move(detail));
}

// A refusal hands the caller to `refused_caller` (when given) for the call log's attribution.
Result<AccessContext> require_scope(AccessContext access, std::string_view required_scope,
                                    AccessContext* refused_caller) {
  if (!required_scope.empty() &&
      std::find(access.scopes.begin(), access.scopes.end(), required_scope) == access.scopes.end()) {
    if (refused_caller) *refused_caller = std::move(access);
    return fail(Errc::insufficient_scope,
                "The access token does not grant the scope " + std::string(required_scope));
  }
  return access;
}

}  // namespace

AuthorizationServer::AuthorizationServer(store::Database& db, const Clock& clock,
                                         audit::AuditLog& audit, const crypto::TokenHasher& hasher,
                                         AppService& apps, identity::Directory& directory)
    : db_(db),
      clock_(clock),
      audit_(audit),
      hasher_(hasher),
      apps_(apps),
      directory_(directory),
      access_epoch_(apps.access_epoch()),
      verifications_(std::make_unique<VerificationCache>(*access_epoch_)) {
  // Turning "allow uncertified apps" off must stop uncertified apps' tokens on the very next
  // call. The listener holds the epoch, not this server, so it never dangles.
  directory_.on_access_setting_changed(
      [epoch = access_epoch_](std::string_view) { epoch->advance(); });
}

AuthorizationServer::~AuthorizationServer() = default;

Result<AccessContext> AuthorizationServer::verify_bearer(std::string_view token,
                                                         std::string_view required_scope,
                                                         AccessContext* refused_caller) {
  if (!token.starts_with(crypto::kAccessTokenPrefix)) return invalid_token("not an access token");
  std::string hash = hasher_.hash(token);
  Micros now = clock_.now();
  if (auto hit = verifications_->find(hash, now))
    return require_scope(std::move(*hit), required_scope, refused_caller);

  // Read the epoch before the database: a change committed after this point advances it and
  // the entry below is never served.
  std::uint64_t epoch = verifications_->epoch();
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(lease->query_one(kBearerSelect, params(hash)));
  if (!row || row->text(1) != "access") return invalid_token("unknown token");
  auto g = detail::grant_access_from_row(*row, kBearerCols);
  Micros expires_at = row->int64(3);
  if (!row->is_null(4)) return invalid_token("token revoked");
  if (expires_at <= now) return invalid_token("token expired");
  if (g.grant_revoked) return invalid_token("grant revoked");
  if (!g.app_active) return invalid_token("app disabled");
  if (!allowed(g.verdict())) {
    if (refused_caller) describe_caller(*refused_caller, g, row->text(5));
    return fail(Errc::app_not_certified, std::string(not_certified_message()),
                "access rule refused app " + g.app_id + " on account " + g.account_id);
  }
  AccessContext out;
  out.scopes = g.allowed_scopes(split_scopes(row->text(2)));
  out.token_id = row->text(0);
  describe_caller(out, g, row->text(5));
  verifications_->insert(hash, out, expires_at, now, epoch);
  auto checked = require_scope(std::move(out), required_scope, refused_caller);
  // last_used_at has a one-minute resolution; a cache hit skips this, a miss (at least once a
  // second per token) keeps it current.
  if (checked) CS_CHECK(detail::touch_grant(*lease, g, now));
  return checked;
}

}  // namespace cs::oauth
