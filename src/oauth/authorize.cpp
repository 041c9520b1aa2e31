// The authorization endpoint: request validation, the consent decision, codes (RFC 6749 §4.1;
// RFC 7636; RFC 9700 §2.1 and §4.1).
#include <algorithm>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "crypto/tokens.hpp"
#include "identity/policy.hpp"
#include "oauth/access_rule.hpp"
#include "oauth/app_service.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/detail/pkce.hpp"
#include "oauth/detail/records.hpp"
#include "store/database.hpp"

namespace cs::oauth {

using detail::params;

namespace {

tl::unexpected<AuthorizeError> page_error(Errc errc, std::string message) {
  return tl::unexpected(AuthorizeError{false, Error(errc, std::move(message)), {}, {}});
}

std::string append_query(std::string_view uri,
                         std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string out(uri);
  char sep = out.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : kv) {
    if (v.empty() && k == "state") continue;
    out += sep;
    out += k;
    out += '=';
    out += detail::url_encode(v);
    sep = '&';
  }
  return out;
}

}  // namespace

std::string error_redirect_url(const AuthorizeError& e) {
  return append_query(
      e.redirect_uri,
      {{"error", e.error.code()}, {"error_description", e.error.message()}, {"state", e.state}});
}

tl::expected<AuthorizeRequest, AuthorizeError> AuthorizationServer::check_authorize(
    const AuthorizeParams& p) {
  auto values = [&](const char* name) -> const std::vector<std::string>* {
    auto it = p.query.find(name);
    return it == p.query.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto one = [&](const char* name) -> std::string {
    auto* v = values(name);
    return v ? v->front() : std::string();
  };

  // Until client and redirect URI are established, nothing may be sent anywhere: an attacker
  // could otherwise use us as an open redirector (RFC 9700 §4.11).
  auto* client_ids = values("client_id");
  if (!client_ids || client_ids->front().empty())
    return page_error(Errc::invalid_request, "The request has no client_id");
  if (client_ids->size() > 1)
    return page_error(Errc::invalid_request, "The request repeats client_id");
  auto app = apps_.find_by_client_id(client_ids->front());
  if (!app) {
    if (app.error().errc() != Errc::not_found)
      return tl::unexpected(AuthorizeError{false, std::move(app).error(), {}, {}});
    return page_error(Errc::oauth_invalid_client, "Unknown client");
  }
  if (app->status != AppStatus::active)
    return page_error(Errc::oauth_invalid_client, "This app is disabled");
  auto* redirects = values("redirect_uri");
  if (!redirects || redirects->front().empty())
    return page_error(Errc::invalid_request, "The request has no redirect_uri");
  if (redirects->size() > 1)
    return page_error(Errc::invalid_request, "The request repeats redirect_uri");
  const std::string& redirect_uri = redirects->front();
  // The environment is not known yet: accept what either configuration registers; approve()
  // checks the chosen account's effective version.
  bool registered = app->current.config.has_redirect_uri(redirect_uri) ||
                    (app->certified && app->certified->config.has_redirect_uri(redirect_uri));
  if (!registered)
    return page_error(Errc::invalid_request,
                      "The redirect_uri does not match a redirect URI registered for this app");

  AuthorizeError redirect_error{true, Error(Errc::invalid_request, ""), redirect_uri, {}};
  auto to_client = [&](Errc errc, std::string message) {
    redirect_error.error = Error(errc, std::move(message));
    return tl::unexpected(redirect_error);
  };
  auto* states = values("state");
  if (states && states->size() > 1) return to_client(Errc::invalid_request, "state is repeated");
  std::string state = one("state");
  if (state.size() > kMaxStateLength)
    return to_client(Errc::invalid_request, "state is longer than 512 characters");
  redirect_error.state = state;
  for (const auto& [name, vals] : p.query) {
    if (vals.size() > 1) return to_client(Errc::invalid_request, name + " is repeated");
  }
  std::string response_type = one("response_type");
  if (response_type.empty()) return to_client(Errc::invalid_request, "response_type is missing");
  if (response_type != "code")
    return to_client(Errc::oauth_unsupported_response_type, "Only response_type=code is supported");

  auto scopes = split_scopes(one("scope"));
  if (scopes.empty()) return to_client(Errc::oauth_invalid_scope, "scope is missing");
  for (const auto& s : scopes) {
    if (!is_known_scope(s)) return to_client(Errc::oauth_invalid_scope, "Unknown scope: " + s);
    if (!app->current.config.allows_scope(s))
      return to_client(Errc::oauth_invalid_scope, "The app may not request the scope " + s);
  }

  std::string challenge = one("code_challenge");
  std::string method = one("code_challenge_method");
  if (!method.empty() && method != "S256")
    return to_client(Errc::invalid_request, "code_challenge_method must be S256");
  if (!challenge.empty() && method.empty())
    // RFC 7636 §4.3 defaults to "plain", which we refuse.
    return to_client(Errc::invalid_request, "code_challenge_method must be S256");
  if (challenge.empty() && !method.empty())
    return to_client(Errc::invalid_request, "code_challenge is missing");
  if (!challenge.empty() && !detail::is_pkce_value(challenge))
    return to_client(Errc::invalid_request, "code_challenge is malformed");
  if (challenge.empty() && app->client_type == ClientType::public_client)
    return to_client(Errc::invalid_request, "PKCE (code_challenge with S256) is required");

  AuthorizeRequest out;
  out.app = std::move(*app);
  out.redirect_uri = redirect_uri;
  out.state = std::move(state);
  out.code_challenge = std::move(challenge);
  out.code_challenge_method = std::move(method);
  out.scopes = std::move(scopes);
  return out;
}

std::vector<identity::Account> AuthorizationServer::consent_accounts(
    const identity::Principal& principal, const AuthorizeRequest& request) {
  bool needs_admin = std::find(request.scopes.begin(), request.scopes.end(), "webhook:manage") !=
                     request.scopes.end();
  std::vector<identity::Account> out;
  for (const auto& [account_id, role] : principal.account_roles) {
    if (needs_admin && role != identity::AccountRole::admin) continue;
    auto account = directory_.get_account(account_id);
    if (account) out.push_back(std::move(*account));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.id) < std::tie(b.name, b.id);
  });
  return out;
}

Result<std::string> AuthorizationServer::approve(const identity::Principal& principal,
                                                 const AuthorizeRequest& request,
                                                 std::string_view account_id,
                                                 const identity::RequestContext& ctx) {
  // Re-read the app: it may have been disabled or changed since the consent page was shown.
  App app = CS_TRY(apps_.find_by_id(request.app.id));
  if (app.status != AppStatus::active)
    return fail(Errc::oauth_invalid_client, "This app is disabled");
  auto accounts = consent_accounts(principal, request);
  auto it = std::find_if(accounts.begin(), accounts.end(),
                         [&](const auto& a) { return a.id == account_id; });
  if (it == accounts.end()) return detail::not_found("Account");
  const identity::Account& account = *it;
  const AppVersion& effective = app.effective_version(account.environment);
  if (!effective.config.has_redirect_uri(request.redirect_uri))
    return fail(Errc::invalid_request,
                "The redirect_uri is not registered for this account's environment");
  AuthorizeError to_client{true, Error(Errc::oauth_invalid_scope, ""), request.redirect_uri,
                           request.state};
  for (const auto& s : request.scopes) {
    if (!effective.config.allows_scope(s)) {
      to_client.error = Error(Errc::oauth_invalid_scope,
                              "The app may not request the scope " + s + " for this account");
      return error_redirect_url(to_client);
    }
  }
  auto actor = identity::Actor::user(principal.user_id, ctx);
  AccessVerdict verdict =
      decide_access({account.environment, account.partner_org_id, account.allow_uncertified_apps,
                     app.partner_org_id, effective.certification});
  if (!allowed(verdict)) {
    auto lease = CS_TRY(db_.connect());
    CS_CHECK(store::in_transaction(*lease, [&](store::Connection& conn) -> Status {
      return detail::record(audit_, conn, actor,
                            {.action = "oauth.authorize.denied",
                             .target_type = "app",
                             .target_id = app.id,
                             .account_id = account.id,
                             .partner_org_id = app.partner_org_id,
                             .details = {{"reason", to_string(verdict)},
                                         {"version", effective.number},
                                         {"certification", to_string(effective.certification)}}});
    }));
    to_client.error = Error(Errc::oauth_access_denied, std::string(not_certified_message()));
    return error_redirect_url(to_client);
  }

  Micros now = clock_.now();
  std::string code = crypto::generate_token(crypto::kAuthCodePrefix);
  return store::transact(db_, [&](store::Connection& conn) -> Result<std::string> {
    auto existing = CS_TRY(
        conn.query_one("SELECT id, scopes FROM oauth_grants WHERE app_id = $1 AND user_id = $2 AND "
                       "account_id = $3 AND revoked_at IS NULL",
                       params(app.id, principal.user_id, account.id)));
    std::string grant_id;
    std::vector<std::string> granted = request.scopes;
    if (existing) {
      // A second consent extends the connection rather than creating another one.
      grant_id = existing->text(0);
      for (auto& s : split_scopes(existing->text(1))) granted.push_back(std::move(s));
      granted = split_scopes(join_scopes(granted));
      CS_TRY(conn.exec("UPDATE oauth_grants SET scopes = $1, updated_at = $2 WHERE id = $3",
                       params(join_scopes(granted), now, grant_id)));
    } else {
      grant_id = new_id("grt");
      CS_TRY(conn.exec(
          "INSERT INTO oauth_grants (id, app_id, user_id, account_id, scopes, created_at, "
          "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
          params(grant_id, app.id, principal.user_id, account.id, join_scopes(granted), now)));
    }
    CS_TRY(conn.exec(
        "INSERT INTO oauth_codes (code_hash, grant_id, app_id, user_id, account_id, "
        "redirect_uri, code_challenge, code_challenge_method, scopes, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        params(hasher_.hash(code), grant_id, app.id, principal.user_id, account.id,
               request.redirect_uri, request.code_challenge, request.code_challenge_method,
               join_scopes(request.scopes), now, now + kCodeLifetime)));
    CS_CHECK(detail::record(
        audit_, conn, actor,
        {.action = "oauth.grant.approved",
         .target_type = "oauth_grant",
         .target_id = grant_id,
         .account_id = account.id,
         .partner_org_id = app.partner_org_id,
         .details = {
             {"app_id", app.id}, {"scopes", request.scopes}, {"access", to_string(verdict)}}}));
    return append_query(request.redirect_uri, {{"code", code}, {"state", request.state}});
  });
}

std::string AuthorizationServer::deny_redirect(const AuthorizeRequest& request) {
  return append_query(request.redirect_uri, {{"error", "access_denied"},
                                             {"error_description", "The user denied the request"},
                                             {"state", request.state}});
}

Result<std::string> AuthorizationServer::deny(const identity::Principal& principal,
                                              const AuthorizeRequest& request,
                                              const identity::RequestContext& ctx) {
  auto lease = CS_TRY(db_.connect());
  CS_CHECK(store::in_transaction(*lease, [&](store::Connection& conn) -> Status {
    return detail::record(audit_, conn, identity::Actor::user(principal.user_id, ctx),
                          {.action = "oauth.consent.denied",
                           .target_type = "app",
                           .target_id = request.app.id,
                           .partner_org_id = request.app.partner_org_id,
                           .details = {{"scopes", request.scopes}}});
  }));
  return deny_redirect(request);
}

}  // namespace cs::oauth
