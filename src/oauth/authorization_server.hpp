// The OAuth 2.0 authorization server (issue 3 §2, §3): authorization code with PKCE, refresh
// token rotation with reuse detection, RFC 7009 revocation, RFC 7662 introspection, bearer
// verification for /v1, connections, userinfo.
//
// Storage: codes and tokens exist only as HMAC-SHA256 hashes (crypto::TokenHasher). Codes live
// 60 s and are single use; access tokens 1 hour; refresh tokens 60 days after their last use
// and one year after the first token of their chain at most. Security-relevant failures (code
// replay, refresh reuse, consent refused, failed client authentication) are audited.
//
// No HTTP types here: the web layer parses requests into these structs and renders results.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "identity/directory.hpp"
#include "identity/principal.hpp"
#include "oauth/app.hpp"

namespace cs::store {
class Database;
}
namespace cs::audit {
class AuditLog;
}
namespace cs::crypto {
class TokenHasher;
}

namespace cs::oauth {

class AppService;
class AccessEpoch;
class VerificationCache;

inline constexpr Micros kCodeLifetime = 60 * kMicrosPerSecond;
inline constexpr Micros kAccessTokenLifetime = 3600 * kMicrosPerSecond;
inline constexpr Micros kRefreshIdleLifetime = 60LL * 24 * 3600 * kMicrosPerSecond;
inline constexpr Micros kRefreshMaxLifetime = 365LL * 24 * 3600 * kMicrosPerSecond;
inline constexpr std::size_t kMaxStateLength = 512;

// The raw query of GET /oauth/authorize: every value of every parameter, so duplicates can be
// refused.
struct AuthorizeParams {
  std::map<std::string, std::vector<std::string>> query;
};

struct AuthorizeRequest {
  App app;
  std::string redirect_uri;
  std::string state;
  std::string code_challenge;         // empty when the client sent none (confidential only)
  std::string code_challenge_method;  // "S256" or empty
  std::vector<std::string> scopes;    // sorted, unique
};

// redirect == false: show an error page and NEVER redirect (unknown client, bad redirect URI).
// redirect == true: send the error to redirect_uri (see error_redirect_url).
struct AuthorizeError {
  bool redirect = false;
  Error error;
  std::string redirect_uri;  // set when redirect
  std::string state;         // echoed when redirect (empty when the state itself was invalid)
};

// `redirect_uri` + error=<code>&error_description=<message>&state=<state>.
std::string error_redirect_url(const AuthorizeError& e);

struct ClientCredentials {
  std::string client_id;
  std::optional<std::string> client_secret;
  std::string method;  // client_secret_basic | client_secret_post | none
};

struct TokenRequest {
  std::string grant_type;
  std::string code;
  std::string redirect_uri;
  std::string code_verifier;
  std::string refresh_token;
  std::string scope;
  ClientCredentials client;
};

struct TokenResponse {
  std::string access_token;  // cs_at_...
  std::string token_type = "Bearer";
  std::int64_t expires_in = 3600;
  std::string refresh_token;  // cs_rt_..., only with offline_access
  std::string scope;          // space-joined
  std::string account_id;
};

struct AccessContext {
  std::string token_id;  // tok_...
  std::string grant_id;
  std::string app_id;
  std::string client_id;
  std::string user_id;
  std::string account_id;
  std::vector<std::string> scopes;  // token scopes still allowed by the app's effective version
  // Read in the same row as the access rule, for the call log and the rate limiter (issue 5):
  // the app's partner org, the effective version (production: the certified one when there is
  // one) and whether the account is a production account.
  std::string partner_org_id;
  std::string app_version_id;
  bool production = false;
};

class AuthorizationServer {
 public:
  AuthorizationServer(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                      const crypto::TokenHasher& hasher, AppService& apps,
                      identity::Directory& directory);
  ~AuthorizationServer();
  AuthorizationServer(const AuthorizationServer&) = delete;
  AuthorizationServer& operator=(const AuthorizationServer&) = delete;

  // --- authorization endpoint ---
  tl::expected<AuthorizeRequest, AuthorizeError> check_authorize(const AuthorizeParams& params);
  // The user's accounts where their role permits the requested scopes (admin: any scope;
  // sender: anything but webhook:manage), ordered by name.
  std::vector<identity::Account> consent_accounts(const identity::Principal& principal,
                                                  const AuthorizeRequest& request);
  // The consent decision "approve". Returns the URL to redirect the browser to: with code and
  // state, or with error=invalid_scope / error=access_denied (the access rule; audited
  // oauth.authorize.denied). Errors (show a page, never redirect): not_found for an account not
  // in consent_accounts, oauth_invalid_client for a disabled app, invalid_request for a redirect
  // URI the account's environment does not register.
  Result<std::string> approve(const identity::Principal& principal, const AuthorizeRequest& request,
                              std::string_view account_id, const identity::RequestContext& ctx);
  // The consent decision "deny": error=access_denied&state=... Pure; deny() also audits.
  std::string deny_redirect(const AuthorizeRequest& request);
  Result<std::string> deny(const identity::Principal& principal, const AuthorizeRequest& request,
                           const identity::RequestContext& ctx);

  // --- token endpoint (RFC 6749 §4.1.3, §6) ---
  Result<TokenResponse> token(const TokenRequest& request, const identity::RequestContext& ctx);

  // --- RFC 7009 / RFC 7662 (client authentication required: oauth_invalid_client) ---
  // Unknown tokens and other clients' tokens answer success and are left alone.
  Status revoke(const ClientCredentials& client, std::string_view token, std::string_view hint);
  Result<nlohmann::json> introspect(const ClientCredentials& client, std::string_view token);

  // --- resource servers (/v1) ---
  // invalid_token, app_not_certified (current certification + current account setting), then
  // insufficient_scope. An empty required_scope requires none. A success is remembered for at
  // most 1 s and until anything in this process could narrow access (verification_cache.hpp,
  // access_epoch.hpp); every refusal is decided from the database.
  // `refused_caller`, when given, receives who presented a token that verified but was refused
  // (app_not_certified, insufficient_scope), so the call log can attribute the refusal (issue 5).
  Result<AccessContext> verify_bearer(std::string_view token, std::string_view required_scope,
                                      AccessContext* refused_caller = nullptr);
  // {sub, email, name, account: {id, name, environment}}
  Result<nlohmann::json> userinfo(const AccessContext& access);

  // --- connections ---
  // Account admins (connection_manage): every active grant on the account.
  Result<std::vector<GrantSummary>> list_account_connections(const identity::Principal& principal,
                                                             std::string_view account_id);
  Result<std::vector<GrantSummary>> list_user_grants(const identity::Principal& principal);
  // The grant's own user, or an admin of its account. Its tokens stop working at once.
  Status revoke_grant(const identity::Principal& principal, std::string_view grant_id,
                      const identity::RequestContext& ctx);
  // When an admin turns allow_uncertified_apps off: ends every grant on that (production)
  // account held by an app whose effective version is not certified and that is not the
  // account's own partner org's app. Returns how many grants ended. Audited.
  Result<std::int64_t> revoke_uncertified_grants(std::string_view account_id,
                                                 const identity::Actor& actor);

  // --- maintenance ---
  // Deletes codes and tokens that expired more than `retention` ago; returns the rows removed.
  // Until then an expired code or used refresh token still counts as a replay (and revokes).
  Result<std::int64_t> purge_expired(Micros retention);

 private:
  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  const crypto::TokenHasher& hasher_;
  AppService& apps_;
  identity::Directory& directory_;
  std::shared_ptr<AccessEpoch> access_epoch_;  // AppService's, shared
  std::unique_ptr<VerificationCache> verifications_;
};

}  // namespace cs::oauth
