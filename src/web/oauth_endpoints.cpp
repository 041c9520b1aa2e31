// The OAuth 2.0 endpoints that clients call directly (not the browser): server metadata
// (RFC 8414), token (RFC 6749 §3.2), revocation (RFC 7009), introspection (RFC 7662) and
// userinfo. They parse the form, authenticate the client's transport-level credentials, call one
// AuthorizationServer function and render RFC 6749 §5.2 errors; every rule lives in src/oauth.
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "crypto/primitives.hpp"
#include "oauth/app.hpp"
#include "oauth/authorization_server.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/form.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

// Token requests are a handful of short fields; nothing legitimate comes near this.
constexpr std::size_t kMaxOAuthBody = 16 * 1024;

// RFC 6749 §5.2: the `error` values a client is prepared for. Service errors outside the OAuth
// vocabulary fold into the nearest one, and internal failures become `server_error` with no
// detail (the detail goes to the log).
http::Response oauth_error(const Error& e, std::string_view request_id) {
  std::string code;
  int status = 400;
  switch (e.errc()) {
    case Errc::oauth_invalid_client:
      code = "invalid_client";
      status = 401;
      break;
    case Errc::oauth_invalid_grant:
    case Errc::oauth_unauthorized_client:
    case Errc::oauth_unsupported_grant_type:
    case Errc::oauth_invalid_scope:
    case Errc::oauth_access_denied:
      code = std::string(e.code());
      status = e.errc() == Errc::oauth_access_denied ? 403 : 400;
      break;
    case Errc::unsupported_media_type:
      code = "invalid_request";
      status = 415;
      break;
    case Errc::payload_too_large:
      code = "invalid_request";
      status = 413;
      break;
    case Errc::internal:
    case Errc::unavailable:
      code = e.errc() == Errc::internal ? "server_error" : "temporarily_unavailable";
      status = e.http_status();
      break;
    default:  // invalid_request, validation_failed, invalid_utf8, not_found, ...
      code = "invalid_request";
      break;
  }
  nlohmann::json body = {{"error", code}};
  bool hide = e.errc() == Errc::internal || e.errc() == Errc::unavailable;
  body["error_description"] = hide ? std::string("The server could not complete the request") : e.message();
  auto res = http::Response::json(status, body);
  res.set_header("Cache-Control", "no-store");
  res.set_header("Pragma", "no-cache");
  if (status == 401) res.set_header("WWW-Authenticate", "Basic realm=\"countersign\"");
  if (!e.detail().empty()) {
    spdlog::warn("request_id={} code={} detail={}", request_id, e.code(), e.detail());
  }
  return res;
}

// RFC 6749 §2.3.1: client_id and secret are form-urlencoded before they go into Basic.
Result<std::pair<std::string, std::string>> basic_credentials(std::string_view header) {
  auto invalid = [] { return fail(Errc::oauth_invalid_client, "The Basic credentials are malformed"); };
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() <= kScheme.size() || !http::iequals(header.substr(0, kScheme.size()), kScheme)) {
    return invalid();
  }
  auto encoded = header.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  auto raw = crypto::base64_decode(encoded);
  if (!raw) return invalid();
  std::string_view text(reinterpret_cast<const char*>(raw->data()), raw->size());
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return invalid();
  auto id = http::percent_decode(text.substr(0, colon), true);
  auto secret = http::percent_decode(text.substr(colon + 1), true);
  if (!id || !secret || id->empty()) return invalid();
  return std::pair{std::move(*id), std::move(*secret)};
}

// The three methods of RFC 8414 token_endpoint_auth_methods_supported. Whether the method fits
// the client (a public client must not present a secret, a confidential one must) is the
// service's decision (AppService::authenticate_client).
Result<oauth::ClientCredentials> client_credentials(const http::Request& req, const Form& form) {
  auto body_id = form.find("client_id");
  auto body_secret = form.find("client_secret");
  if (auto header = req.header("Authorization")) {
    auto [id, secret] = CS_TRY(basic_credentials(*header));
    // RFC 6749 §2.3: a client must not use more than one authentication method per request.
    if (body_secret != form.end()) {
      return fail(Errc::invalid_request, "Use either HTTP Basic or client_secret in the body, not both");
    }
    if (body_id != form.end() && body_id->second != id) {
      return fail(Errc::invalid_request, "client_id in the body does not match the Basic credentials");
    }
    return oauth::ClientCredentials{std::move(id), std::move(secret), "client_secret_basic"};
  }
  if (body_id == form.end() || body_id->second.empty()) {
    return fail(Errc::oauth_invalid_client, "Client authentication is required");
  }
  if (body_secret != form.end()) {
    return oauth::ClientCredentials{body_id->second, body_secret->second, "client_secret_post"};
  }
  return oauth::ClientCredentials{body_id->second, std::nullopt, "none"};
}

Result<Form> oauth_form(const http::Request& req) {
  auto form = parse_form(req);
  if (!form && form.error().errc() == Errc::invalid_request) {
    // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
    return fail(Errc::invalid_request, form.error().message());
  }
  return form;
}

http::Response no_store_json(int status, const nlohmann::json& body) {
  auto res = http::Response::json(status, body);
  res.set_header("Cache-Control", "no-store");
  res.set_header("Pragma", "no-cache");
  return res;
}

nlohmann::json server_metadata(const WebContext& ctx) {
  std::string base = ctx.issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  nlohmann::json scopes = nlohmann::json::array();
  for (const auto& s : oauth::scope_catalogue()) scopes.push_back(std::string(s.name));
  const nlohmann::json client_auth = {"client_secret_basic", "client_secret_post", "none"};
  return {
      {"issuer", base},
      {"authorization_endpoint", base + "/oauth/authorize"},
      {"token_endpoint", base + "/oauth/token"},
      {"revocation_endpoint", base + "/oauth/revoke"},
      {"introspection_endpoint", base + "/oauth/introspect"},
      {"userinfo_endpoint", base + "/oauth/userinfo"},
      {"response_types_supported", {"code"}},
      {"response_modes_supported", {"query"}},
      {"grant_types_supported", {"authorization_code", "refresh_token"}},
      {"code_challenge_methods_supported", {"S256"}},
      {"scopes_supported", scopes},
      {"token_endpoint_auth_methods_supported", client_auth},
      {"revocation_endpoint_auth_methods_supported", client_auth},
      {"introspection_endpoint_auth_methods_supported", client_auth},
      {"service_documentation", base + "/v1/openapi.json"},
  };
}

nlohmann::json token_body(const oauth::TokenResponse& t) {
  nlohmann::json body = {{"access_token", t.access_token}, {"token_type", t.token_type},
                         {"expires_in", t.expires_in},     {"scope", t.scope},
                         {"account_id", t.account_id}};
  if (!t.refresh_token.empty()) body["refresh_token"] = t.refresh_token;
  return body;
}

// What the token, revocation and introspection endpoints all start with: the form body and
// the client's credentials; the latter two also need a `token` parameter.
Result<std::pair<Form, oauth::ClientCredentials>> client_call(const http::Request& req, bool needs_token = false) {
  auto form = CS_TRY(oauth_form(req));
  auto client = CS_TRY(client_credentials(req, form));
  if (needs_token && form_value(form, "token").empty()) return fail(Errc::invalid_request, "token is required");
  return std::pair{std::move(form), std::move(client)};
}

}  // namespace

void register_oauth_endpoints(http::Router& router, WebContext& ctx) {
  const http::RouteOptions form_route{.max_body = kMaxOAuthBody};

  router.add("GET", "/.well-known/oauth-authorization-server", http::RouteOptions{.blocking = false},
             [&ctx](http::Request&) {
               auto res = http::Response::json(200, server_metadata(ctx));
               res.set_header("Cache-Control", "public, max-age=3600");
               return res;
             });

  router.add("POST", "/oauth/token", form_route, [&ctx](http::Request& req) {
    auto call = client_call(req);
    if (!call) return oauth_error(call.error(), req.request_id);
    auto& [form, client] = *call;
    oauth::TokenRequest request;
    request.grant_type = form_value(form, "grant_type");
    request.code = form_value(form, "code");
    request.redirect_uri = form_value(form, "redirect_uri");
    request.code_verifier = form_value(form, "code_verifier");
    request.refresh_token = form_value(form, "refresh_token");
    request.scope = form_value(form, "scope");
    request.client = std::move(client);
    if (request.grant_type.empty()) {
      return oauth_error(Error(Errc::invalid_request, "grant_type is required"), req.request_id);
    }
    auto issued = ctx.authz.token(request, audit_context(req));
    if (!issued) return oauth_error(issued.error(), req.request_id);
    return no_store_json(200, token_body(*issued));
  });

  router.add("POST", "/oauth/revoke", form_route, [&ctx](http::Request& req) {
    auto call = client_call(req, /*needs_token=*/true);
    if (!call) return oauth_error(call.error(), req.request_id);
    auto& [form, client] = *call;
    auto token = form_value(form, "token");
    auto revoked = ctx.authz.revoke(client, token, form_value(form, "token_type_hint"));
    if (!revoked) return oauth_error(revoked.error(), req.request_id);
    // RFC 7009 §2.2: 200 whether or not the token was known.
    auto res = http::Response::json(200, nlohmann::json::object());
    res.set_header("Cache-Control", "no-store");
    return res;
  });

  router.add("POST", "/oauth/introspect", form_route, [&ctx](http::Request& req) {
    auto call = client_call(req, /*needs_token=*/true);
    if (!call) return oauth_error(call.error(), req.request_id);
    auto& [form, client] = *call;
    auto token = form_value(form, "token");
    auto answer = ctx.authz.introspect(client, token);
    if (!answer) return oauth_error(answer.error(), req.request_id);
    return no_store_json(200, *answer);
  });

  router.add("GET", "/oauth/userinfo", [&ctx](http::Request& req) {
    auto caller = authenticate_api(ctx, req, {.scope = "user:read", .bearer = true, .session = false});
    if (!caller) return std::move(caller.error());
    auto info = ctx.authz.userinfo(*caller->token);
    if (!info) return bearer_refusal(info.error(), "user:read", req.request_id);
    auto res = http::Response::json(200, *info);
    res.set_header("Cache-Control", "no-store");
    return res;
  });
}

}  // namespace cs::web
