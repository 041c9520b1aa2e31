// What the web layer needs from the rest of the server. Routes only parse, authorise, call one
// service function and render (CRAFT.md "Keep I/O apart from the decision").
#pragma once

#include <cstdint>
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

namespace cs::calllog {
class CallLog;
class TraceCaptures;
}  // namespace cs::calllog

namespace cs::esign {
class EnvelopeService;
class SigningService;
}  // namespace cs::esign

namespace cs::certification {
class EvidenceService;
class RequestService;
class FinalReview;
}  // namespace cs::certification

namespace cs::events {
class WebhookService;
}  // namespace cs::events

namespace cs::directory {
class AppDirectory;
}  // namespace cs::directory

namespace cs::seal {
class SealService;
}  // namespace cs::seal

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
  // The API call log, rate limits and polling rule (issue 5); null: app calls are neither
  // recorded nor limited (tools and tests that build a bare context).
  calllog::CallLog* calllog = nullptr;
  // The envelope API and the signing ceremony (issue 4). Pointers with defaults (not references)
  // so that contexts built without them (tools, tests) still aggregate-initialise; the envelope
  // routes answer 503 when unset.
  esign::EnvelopeService* envelopes = nullptr;
  esign::SigningService* signing = nullptr;
  std::int64_t max_document_bytes = 25LL * 1024 * 1024;  // Config::esign_max_document_bytes
  // /v1/webhooks (issue 4 §4); the routes answer 503 when unset.
  events::WebhookService* webhooks = nullptr;
  // The sealed copies of completed envelopes (issue 7); the seal routes answer 503 when unset.
  seal::SealService* seal = nullptr;
  // Trace capture (issue 5 §3); null: nothing is captured and the trace-capture routes answer 503.
  calllog::TraceCaptures* traces = nullptr;
  // The public app directory and partner listings (issue 6 §7); the directory routes and pages
  // answer 503 when unset.
  directory::AppDirectory* app_directory = nullptr;
  // Certification evidence (issue 6 §2-§4); the evidence routes answer 503 when unset.
  certification::EvidenceService* evidence = nullptr;
  // Certification requests, assignments, findings (issue 6 §2); the request routes answer 503
  // when unset.
  certification::RequestService* cert_requests = nullptr;
  // Final review, the certificate and GET /v1/certification/metrics (issue 6 §2, §5); those
  // routes answer 503 when unset.
  certification::FinalReview* final_review = nullptr;
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

// The signing ceremony (issue 4 §2): /sign/{token} and its forms, the embedded-view redirect,
// and /vendor/{version}/{name} for pdf.js and signature_pad (src/web/signing_pages.cpp).
void register_signing_pages(http::Router& router, WebContext& ctx);

// Resolves the principal of routes that declare Auth::session (the session cookie).
http::Authenticator make_authenticator(WebContext& ctx);

}  // namespace cs::web
