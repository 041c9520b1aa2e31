// The OAuth authorization endpoint as server-rendered pages (issue 3 §2): GET /oauth/authorize
// shows the consent page, POST /oauth/authorize records the decision. RFC 6749 §4.1.2.1 and
// RFC 9700: when the client or its redirect URI cannot be trusted we show an error page and
// never redirect; every other error goes back to the (exactly matching) redirect URI.
#include <array>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "http/middleware.hpp"
#include "identity/directory.hpp"
#include "identity/session_service.hpp"
#include "oauth/access_rule.hpp"
#include "oauth/app.hpp"
#include "oauth/app_service.hpp"
#include "oauth/authorization_server.hpp"
#include "web/account_pages.hpp"
#include "web/form.hpp"
#include "web/page_support.hpp"
#include "web/templates.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

// The authorize parameters the consent form carries to the POST. Anything else in the query is
// ignored, as RFC 6749 §3.1 asks; the GET has already refused duplicates of these.
constexpr std::array<std::string_view, 7> kCarriedParams = {
    "response_type", "client_id",      "redirect_uri",         "scope",
    "state",         "code_challenge", "code_challenge_method"};

http::Response authorize_error_page(int status, const Error& error, std::string partner_name = {}) {
  mstch::map page{{"title", std::string("Cannot connect the app")},
                  {"heading", std::string("This app's request cannot be completed")},
                  {"message", error.message()}};
  if (!partner_name.empty()) page.emplace("partner_name", std::move(partner_name));
  auto res = http::Response::html(status, render_page("authorize_error", page));
  res.set_header("Cache-Control", "no-store");
  return res;
}

http::Response consent_page(WebContext& ctx, const SignedIn& who,
                            const oauth::AuthorizeRequest& request,
                            const std::map<std::string, std::vector<std::string>>& query) {
  const auto& app = request.app;
  std::string partner_name = "an unknown partner";
  if (auto org = ctx.directory.get_partner_org(app.partner_org_id)) partner_name = org->name;

  auto page = signed_in_context(ctx, who, "Connect " + app.name);
  page.emplace("app_name", app.name);
  page.emplace("app_description", app.description);
  page.emplace("partner_name", partner_name);
  page.emplace("certified", app.certified.has_value());
  page.emplace("pending", app.has_pending_version());
  page.emplace("redirect_uri", request.redirect_uri);

  mstch::array scopes;
  for (const auto& s : request.scopes) {
    auto description = oauth::scope_description(s);
    scopes.emplace_back(mstch::map{
        {"name", s}, {"description", std::string(description.empty() ? s : description)}});
  }
  page.emplace("scopes", scopes);

  mstch::array accounts;
  mstch::array blocked;
  for (const auto& account : ctx.authz.consent_accounts(who.principal, request)) {
    accounts.emplace_back(
        mstch::map{{"id", account.id},
                   {"name", account.name},
                   {"environment", std::string(identity::to_string(account.environment))}});
    oauth::AccessInputs inputs{account.environment, account.partner_org_id,
                               account.allow_uncertified_apps, app.partner_org_id,
                               app.effective_version(account.environment).certification};
    if (!oauth::allowed(oauth::decide_access(inputs)))
      blocked.emplace_back(mstch::map{{"name", account.name}});
  }
  page.emplace("has_accounts", !accounts.empty());
  page.emplace("accounts", accounts);
  page.emplace("has_blocked", !blocked.empty());
  page.emplace("blocked", blocked);

  mstch::array params;
  for (auto name : kCarriedParams) {
    auto it = query.find(std::string(name));
    if (it == query.end() || it->second.empty()) continue;
    params.emplace_back(mstch::map{{"name", std::string(name)}, {"value", it->second.front()}});
  }
  page.emplace("params", params);

  auto res = http::Response::html(200, render_page("authorize", page));
  res.set_header("Content-Security-Policy", csp_allowing_form_redirect(std::string(http::kDefaultCsp), request.redirect_uri));
  res.set_header("Cache-Control", "no-store");
  return res;
}

http::Response get_authorize(WebContext& ctx, const http::Request& req) {
  auto query = parse_urlencoded(req.query);
  if (!query) {
    return authorize_error_page(
        400, Error(Errc::invalid_request, "The request's parameters are not validly encoded."));
  }
  auto checked = ctx.authz.check_authorize(oauth::AuthorizeParams{*query});
  if (!checked) {
    // RFC 6749 §4.1.2.1: only after the client and its redirect URI matched exactly.
    if (checked.error().redirect)
      return http::Response::redirect(303, oauth::error_redirect_url(checked.error()));
    return authorize_error_page(400, checked.error().error);
  }
  auto who = current_session(ctx, req);
  if (!who) {
    // The login page only follows local paths; this one is, and it brings the user back here.
    std::string back = "/oauth/authorize";
    if (!req.query.empty()) back += "?" + req.query;
    return http::Response::redirect(303, "/login?next=" + url_encode(back));
  }
  return consent_page(ctx, *who, *checked, *query);
}

http::Response post_authorize(WebContext& ctx, const http::Request& req) {
  auto form = parse_form(req);
  if (!form) return authorize_error_page(form.error().http_status(), form.error());
  auto who = current_session(ctx, req);
  if (!who || !ctx.sessions.verify_csrf(who->session_token, form_value(*form, "csrf_token"))) {
    // Nothing is issued: the decision did not provably come from this user's consent page.
    return error_page(403, "Your consent form expired",
                      "The form could not be verified, so nothing was shared with the app. "
                      "Go back to the app and start the connection again.");
  }
  std::map<std::string, std::vector<std::string>> carried;
  for (auto name : kCarriedParams) {
    auto it = form->find(std::string(name));
    if (it != form->end()) carried[std::string(name)].push_back(it->second);
  }
  auto checked = ctx.authz.check_authorize(oauth::AuthorizeParams{carried});
  if (!checked) {
    if (checked.error().redirect)
      return http::Response::redirect(303, oauth::error_redirect_url(checked.error()));
    return authorize_error_page(400, checked.error().error);
  }
  std::string decision = form_value(*form, "decision");
  if (decision == "deny") {
    auto denied = ctx.authz.deny(who->principal, *checked, request_context(req));
    if (!denied) return authorize_error_page(denied.error().http_status(), denied.error());
    return http::Response::redirect(303, *denied);
  }
  if (decision != "approve") {
    return authorize_error_page(
        400, Error(Errc::invalid_request, "Choose Allow or Deny on the consent page."));
  }
  auto approved = ctx.authz.approve(who->principal, *checked, form_value(*form, "account_id"),
                                    request_context(req));
  if (!approved) {
    const auto& e = approved.error();
    if (e.errc() == Errc::internal || e.errc() == Errc::unavailable) {
      spdlog::error("authorize approve failed request_id={} detail={}", req.request_id, e.detail());
    }
    // Another tenant's account, or one the user may not connect: an error page, not a redirect,
    // so the client learns nothing about accounts it was not given.
    return authorize_error_page(
        e.http_status() >= 500 ? e.http_status() : 400,
        e.errc() == Errc::not_found
            ? Error(Errc::not_found, "That account is not one you can connect to this app.")
            : e);
  }
  return http::Response::redirect(303, *approved);
}

}  // namespace

void register_oauth_pages(http::Router& router, WebContext& ctx) {
  http::RouteOptions form_post;
  form_post.max_body = 16 * 1024;
  router.add("GET", "/oauth/authorize",
             [&ctx](http::Request& req) { return get_authorize(ctx, req); });
  router.add("POST", "/oauth/authorize", form_post,
             [&ctx](http::Request& req) { return post_authorize(ctx, req); });
  register_account_pages(router, ctx);
}

}  // namespace cs::web
