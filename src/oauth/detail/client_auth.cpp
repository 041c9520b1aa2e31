#include "oauth/detail/client_auth.hpp"

#include "core/ids.hpp"
#include "crypto/primitives.hpp"
#include "crypto/tokens.hpp"
#include "oauth/detail/records.hpp"
#include "store/database.hpp"

namespace cs::oauth::detail {
namespace {
constexpr Micros kLastUsedResolution = 60 * kMicrosPerSecond;
}

tl::unexpected<Error> invalid_client(std::string detail) {
  return fail(Errc::oauth_invalid_client, "Client authentication failed", std::move(detail));
}

Result<AuthenticatedClient> authenticate(store::Connection& conn, const crypto::TokenHasher& hasher,
                                         Micros now, std::string_view client_id,
                                         std::optional<std::string_view> secret) {
  // Hash before knowing whether the client exists, so timing does not tell.
  std::string presented = hasher.hash(secret.value_or(std::string_view{}));
  if (!is_valid_id(client_id, "ik")) return invalid_client("malformed client_id");
  auto rows = CS_TRY(
      conn.query("SELECT a.id, a.client_type, a.status, a.partner_org_id, s.id, s.secret_hash, "
                 "s.last_used_at FROM apps a LEFT JOIN app_secrets s ON s.app_id = a.id AND "
                 "s.revoked_at IS NULL WHERE a.client_id = $1",
                 params(client_id)));
  if (rows.empty()) return invalid_client("unknown client_id");
  const auto& first = rows.front();
  AuthenticatedClient out{first.text(0), std::string(client_id), first.text(3),
                          parse_client_type(first.text(1)).value()};
  bool matched = false;
  std::optional<std::size_t> matched_row;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].is_null(5)) continue;
    bool eq = crypto::constant_time_equal(presented, rows[i].text(5));
    matched = matched || eq;
    if (eq) matched_row = i;
  }
  if (first.text(2) != "active") return invalid_client("app disabled");
  if (out.client_type == ClientType::public_client) {
    // RFC 6749 §2.1: a public client cannot keep a secret; one that sends one is misconfigured.
    if (secret) return invalid_client("secret presented by a public client");
    return out;
  }
  if (!secret || secret->empty() || !matched) return invalid_client("wrong or missing secret");
  auto last = rows[*matched_row].opt_int64(6);
  if (!last || *last < now - kLastUsedResolution) {
    CS_TRY(conn.exec("UPDATE app_secrets SET last_used_at = $1 WHERE id = $2",
                     params(now, rows[*matched_row].text(4))));
  }
  return out;
}

Result<AuthenticatedClient> authenticate_audited(store::Connection& conn,
                                                 const crypto::TokenHasher& hasher,
                                                 audit::AuditLog& audit, Micros now,
                                                 const ClientCredentials& client,
                                                 std::string_view endpoint,
                                                 const identity::RequestContext& ctx) {
  std::optional<std::string_view> secret;
  if (client.client_secret) secret = *client.client_secret;
  auto result = authenticate(conn, hasher, now, client.client_id, secret);
  if (result) return result;
  // The client_id is not secret; the presented secret is never recorded.
  identity::Actor actor{"app", is_valid_id(client.client_id, "ik") ? client.client_id : "", ctx};
  CS_CHECK(store::in_transaction(conn, [&](store::Connection& c) -> Status {
    return record(audit, c, actor,
                  {.action = "oauth.client.auth_failed",
                   .target_type = "client",
                   .target_id = actor.id,
                   .details = {{"endpoint", std::string(endpoint)},
                               {"method", client.method},
                               {"reason", result.error().detail()}}});
  }));
  return result;
}

}  // namespace cs::oauth::detail
