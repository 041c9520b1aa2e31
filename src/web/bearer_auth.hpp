// Who is calling the JSON API: an OAuth bearer token (partner apps acting for a customer) or a
// session cookie (the partner console and the account pages). The routes under /v1 and
// /oauth/userinfo register as http::Auth::none and authenticate here themselves, because the
// answer depends on the route's scope and RFC 6750 wants `WWW-Authenticate` on every refusal,
// which the server-wide Authenticator cannot express.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "http/request.hpp"
#include "http/response.hpp"
#include "oauth/authorization_server.hpp"
#include "web/session_cookie.hpp"

namespace cs::web {

struct WebContext;

// Exactly one of the two is set.
struct ApiCaller {
  std::optional<oauth::AccessContext> token;
  std::optional<SignedIn> session;

  bool is_token() const { return token.has_value(); }
};

// What a route accepts. `scope` is the OAuth scope a bearer token must carry.
struct ApiAuth {
  std::string_view scope;
  bool bearer = true;
  bool session = false;
};

inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// The token of an `Authorization: Bearer ...` header (scheme case-insensitive); nullopt when
// the header is absent or uses another scheme.
std::optional<std::string_view> bearer_token(const http::Request& req);

// Resolves the caller, or the finished refusal:
//  * a bearer token is checked with AuthorizationServer::verify_bearer for `auth.scope` (expiry,
//    revocation, scope and the access rule on every call): 401 invalid_token / 403
//    insufficient_scope / 403 app_not_certified, with `WWW-Authenticate: Bearer ...`;
//  * a session cookie counts only where `auth.session`; an unsafe method (anything but GET and
//    HEAD) must then carry `X-CSRF-Token` equal to SessionService::csrf_token(session), else
//    403 csrf_failed — a cookie alone must never be enough to change anything;
//  * with neither: 401 (invalid_token on routes that take tokens, unauthenticated otherwise).
// An Authorization header wins over a cookie: a request that presents a bad token is refused
// even if it also carries a good session.
// A verified token makes the request an app call (issue 5): it is attributed to the app for the
// call log (req.attribution), counted against the app's rate limits on that account (429
// rate_limited + Retry-After when used up) and, for envelope status reads, checked against the
// polling rule (calllog/polling_rule.hpp).
tl::expected<ApiCaller, http::Response> authenticate_api(WebContext& ctx, http::Request& req,
                                                         const ApiAuth& auth);

// An RFC 6750 refusal: problem+json plus `WWW-Authenticate: Bearer realm="countersign"`, with
// error="invalid_token" or error="insufficient_scope", scope="<scope>" when the error says so.
http::Response bearer_refusal(const Error& error, std::string_view scope, std::string_view request_id);

}  // namespace cs::web
