// What the web layer needs from the rest of the server. Routes only parse, authorise, call one
// service function and render (CRAFT.md "Keep I/O apart from the decision").
#pragma once

#include <functional>
#include <string>

#include "http/metrics.hpp"
#include "http/router.hpp"
#include "store/database.hpp"

namespace cs::identity {
class Directory;
class AuthService;
class SessionService;
}  // namespace cs::identity

namespace cs::oauth {
class AppService;
class AuthorizationServer;
}  // namespace cs::oauth

namespace cs::web {

struct WebContext {
  store::Database& db;
  http::Metrics& metrics;
  identity::Directory& directory;
  identity::AuthService& auth;
  identity::SessionService& sessions;
  oauth::AppService& apps;
  oauth::AuthorizationServer& authz;
  std::string issuer;  // the public base URL: OAuth issuer and absolute endpoint URLs
  // Cookies get `Secure` and the `__Host-` prefix when the server is reached over TLS (directly
  // or, per public_url, through a TLS-terminating proxy).
  bool secure_cookies = false;
};

// GET /healthz (liveness), GET /readyz (database reachable, migrations current), GET /metrics.
void register_ops_routes(http::Router& router, WebContext& ctx);

// GET/POST /login, POST /logout, GET / (the signed-in home), GET /static/{name}.
void register_page_routes(http::Router& router, WebContext& ctx);

// The OAuth 2.0 endpoints: /.well-known/oauth-authorization-server, POST /oauth/token,
// /oauth/revoke, /oauth/introspect, GET /oauth/userinfo (src/web/oauth_endpoints.cpp).
void register_oauth_endpoints(http::Router& router, WebContext& ctx);

// The JSON API under /v1: apps, accounts, users, security settings (src/web/api_routes.cpp).
void register_api_routes(http::Router& router, WebContext& ctx);

// The OAuth and account pages: /oauth/authorize (consent), account settings with Security
// Settings and connections, the user's own connections (src/web/oauth_pages.cpp).
void register_oauth_pages(http::Router& router, WebContext& ctx);

// Resolves the principal of routes that declare Auth::session (the session cookie).
http::Authenticator make_authenticator(WebContext& ctx);

}  // namespace cs::web
