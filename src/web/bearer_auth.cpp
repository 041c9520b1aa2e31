#include "web/bearer_auth.hpp"

#include "identity/session_service.hpp"
#include "web/calllog_observer.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

bool is_safe_method(std::string_view method) { return method == "GET" || method == "HEAD"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> bearer_token(const http::Request& req) {
  auto value = req.header("Authorization");
  if (!value) return std::nullopt;
  auto v = trim(*value);
  constexpr std::string_view kScheme = "Bearer";
  if (v.size() <= kScheme.size() || !http::iequals(v.substr(0, kScheme.size()), kScheme) ||
      (v[kScheme.size()] != ' ' && v[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  return trim(v.substr(kScheme.size()));
}

http::Response bearer_refusal(const Error& error, std::string_view scope, std::string_view request_id) {
  std::string challenge = "Bearer realm=\"countersign\"";
  if (error.errc() == Errc::invalid_token) {
    challenge += ", error=\"invalid_token\"";
  } else if (error.errc() == Errc::insufficient_scope) {
    challenge += ", error=\"insufficient_scope\", scope=\"" + std::string(scope) + "\"";
  } else if (error.errc() != Errc::unauthenticated) {
    // app_not_certified and the like: the token is fine, the account refuses the app. No
    // challenge — presenting another credential would not help.
    return http::Response::problem(error, request_id);
  }
  return http::Response::problem(error, request_id, {{"WWW-Authenticate", std::move(challenge)}});
}

tl::expected<ApiCaller, http::Response> authenticate_api(WebContext& ctx, http::Request& req,
                                                         const ApiAuth& auth) {
  bool has_authorization = req.header("Authorization").has_value();
  if (auth.bearer && has_authorization) {
    auto token = bearer_token(req);
    if (!token || token->empty()) {
      return tl::unexpected(bearer_refusal(
          Error(Errc::invalid_token, "The Authorization header must be \"Bearer <access token>\""), auth.scope,
          req.request_id));
    }
    oauth::AccessContext refused_caller;
    auto access = ctx.authz.verify_bearer(*token, auth.scope, &refused_caller);
    if (!access) {
      // A token that verified but was refused (insufficient_scope, app_not_certified) still
      // proves which app called: the refusal goes into that app's call log (issue 5).
      if (!refused_caller.app_id.empty()) attribute_refused_call(ctx, req, refused_caller);
      return tl::unexpected(bearer_refusal(access.error(), auth.scope, req.request_id));
    }
    if (auto refused = admit_app_call(ctx, req, *access)) return tl::unexpected(std::move(*refused));
    return ApiCaller{std::move(*access), std::nullopt};
  }
  if (auth.session && !has_authorization) {
    if (auto who = current_session(ctx, req)) {
      if (!is_safe_method(req.method)) {
        auto presented = req.header(kCsrfHeader).value_or("");
        if (presented.empty() || !ctx.sessions.verify_csrf(who->session_token, presented)) {
          return tl::unexpected(http::Response::problem(
              Error(Errc::csrf_failed, "The X-CSRF-Token header is missing or wrong"), req.request_id));
        }
      }
      return ApiCaller{std::nullopt, std::move(*who)};
    }
  }
  if (auth.bearer) {
    // RFC 6750 §3.1: no credentials at all → the bare challenge, without an error attribute.
    return tl::unexpected(http::Response::problem(
        Error(Errc::invalid_token, auth.session ? "Present an access token or sign in" : "Present an access token"),
        req.request_id, {{"WWW-Authenticate", "Bearer realm=\"countersign\""}}));
  }
  return tl::unexpected(
      http::Response::problem(Error(Errc::unauthenticated, "Sign in first"), req.request_id));
}

}  // namespace cs::web
