// Account settings (issue 3 §4: Security Settings with "Allow uncertified partner applications
// to access data from this account") with the account's connected apps, and the user's own
// connections (§2 "Connections"). Every form is CSRF-protected and answers with a 303 back to
// its page (post/redirect/get), which then shows a confirmation.
#include "web/account_pages.hpp"

#include <charconv>
#include <string>

#include <spdlog/spdlog.h>

#include "identity/directory.hpp"
#include "identity/policy.hpp"
#include "identity/session_service.hpp"
#include "oauth/app.hpp"
#include "oauth/authorization_server.hpp"
#include "web/form.hpp"
#include "web/page_support.hpp"
#include "web/templates.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

http::Response not_found_page() {
  return error_page(404, "Page not found",
                    "There is no such page, or you do not have access to it.");
}

http::Response csrf_page() {
  return error_page(
      403, "Your form expired",
      "The form could not be verified, so nothing was changed. Reload the page and try again.");
}

http::Response internal_page(const http::Request& req, const Error& e) {
  spdlog::error("page failed request_id={} code={} detail={}", req.request_id, e.code(),
                e.detail());
  return error_page(e.http_status() >= 500 ? e.http_status() : 400, "Something went wrong",
                    e.message());
}

http::Response sign_in_first(const http::Request& req) {
  std::string back = req.path;
  if (!req.query.empty()) back += "?" + req.query;
  return http::Response::redirect(303, "/login?next=" + url_encode(back));
}

mstch::array connection_items(const std::vector<oauth::GrantSummary>& grants) {
  mstch::array items;
  for (const auto& g : grants) {
    std::string scopes;
    for (const auto& s : g.scopes) {
      auto description = oauth::scope_description(s);
      if (!scopes.empty()) scopes += "; ";
      scopes += description.empty() ? s : std::string(description);
    }
    items.emplace_back(mstch::map{
        {"grant_id", g.id},
        {"app_name", g.app_name},
        {"partner_name", g.partner_org_name},
        {"user", g.user_email},
        {"account", g.account_name},
        {"scopes", scopes},
        {"created", display_time(g.created_at)},
        {"last_used", g.last_used_at ? display_time(*g.last_used_at) : std::string("Never")}});
  }
  return items;
}

// Confirmation messages come from a fixed set keyed by the redirect's query, so nothing a link
// carries is ever echoed into the page.
std::string settings_confirmation(const http::Request& req) {
  auto saved = req.query_param("saved");
  if (saved == "on")
    return "Security settings saved: uncertified partner applications may now access this account.";
  if (saved == "off") {
    std::string msg =
        "Security settings saved: uncertified partner applications may not access this account.";
    std::int64_t ended = 0;
    auto n = req.query_param("ended").value_or("0");
    std::from_chars(n.data(), n.data() + n.size(), ended);
    if (ended > 0) {
      msg += " " + std::to_string(ended) + (ended == 1 ? " connection" : " connections") +
             " of uncertified apps ended.";
    }
    return msg;
  }
  if (req.query_param("revoked") == "1")
    return "The connection was revoked. The app's access ended at once.";
  return {};
}

http::Response settings_page(WebContext& ctx, const http::Request& req, const SignedIn& who,
                             const std::string& account_id) {
  // Account admins only; anyone else gets the same 404 as for an unknown account.
  if (!identity::decide(who.principal, identity::Action::account_manage_settings,
                        identity::Resource::account(account_id))) {
    return not_found_page();
  }
  auto account = ctx.directory.get_account(account_id);
  if (!account)
    return account.error().errc() == Errc::not_found ? not_found_page()
                                                     : internal_page(req, account.error());
  auto connections = ctx.authz.list_account_connections(who.principal, account_id);
  if (!connections) return internal_page(req, connections.error());

  auto page = signed_in_context(ctx, who, account->name + " settings");
  page.emplace("account_id", account->id);
  page.emplace("account_name", account->name);
  page.emplace("environment", std::string(identity::to_string(account->environment)));
  page.emplace("sandbox", account->environment == identity::Environment::sandbox);
  page.emplace("allow_uncertified", account->allow_uncertified_apps);
  if (account->partner_org_id) {
    if (auto org = ctx.directory.get_partner_org(*account->partner_org_id)) {
      page.emplace("has_owner", true);
      page.emplace("owner_name", org->name);
    }
  }
  auto confirmation = settings_confirmation(req);
  if (!confirmation.empty()) page.emplace("confirmation", confirmation);
  auto items = connection_items(*connections);
  page.emplace("has_connections", !items.empty());
  page.emplace("connections", items);
  auto res = http::Response::html(200, render_page("account_settings", page));
  res.set_header("Cache-Control", "no-store");
  return res;
}

// The form POSTs: a session, a valid form and its CSRF token, or an error page. nullopt-like
// contract: on failure `error` holds the response to send.
struct VerifiedPost {
  std::optional<SignedIn> who;
  std::optional<http::Response> error;
  Form form;
};

VerifiedPost verify_post(WebContext& ctx, const http::Request& req) {
  VerifiedPost out;
  auto form = parse_form(req);
  if (!form) {
    out.error = error_page(form.error().http_status(), "The form could not be read",
                           form.error().message());
    return out;
  }
  out.form = std::move(*form);
  out.who = current_session(ctx, req);
  if (!out.who) {
    out.error = http::Response::redirect(303, "/login");
    return out;
  }
  if (!ctx.sessions.verify_csrf(out.who->session_token, form_value(out.form, "csrf_token")))
    out.error = csrf_page();
  return out;
}

http::Response post_security(WebContext& ctx, const http::Request& req) {
  auto post = verify_post(ctx, req);
  if (post.error) return std::move(*post.error);
  std::string account_id(req.param("id"));
  // An unchecked checkbox is simply absent from the form.
  std::string value = form_value(post.form, "allow_uncertified_apps");
  if (!value.empty() && value != "on") {
    return error_page(400, "The form could not be read",
                      "Unexpected value for the security setting.");
  }
  bool allow = value == "on";
  auto account = ctx.directory.set_allow_uncertified_apps(post.who->principal, account_id, allow,
                                                          request_context(req));
  if (!account) {
    auto errc = account.error().errc();
    if (errc == Errc::not_found || errc == Errc::forbidden) return not_found_page();
    return internal_page(req, account.error());
  }
  std::string location =
      "/accounts/" + url_encode(account_id) + "/settings?saved=" + (allow ? "on" : "off");
  if (!allow) {
    // DESIGN.md "Access rule": turning the setting off takes effect at once. verify_bearer reads
    // the setting on every call already; this also ends the grants so no refresh revives them.
    auto ended = ctx.authz.revoke_uncertified_grants(
        account_id, identity::Actor::user(post.who->principal.user_id, request_context(req)));
    if (!ended) return internal_page(req, ended.error());
    location += "&ended=" + std::to_string(*ended);
  }
  return http::Response::redirect(303, location);
}

http::Response post_account_revoke(WebContext& ctx, const http::Request& req) {
  auto post = verify_post(ctx, req);
  if (post.error) return std::move(*post.error);
  std::string account_id(req.param("id"));
  std::string grant_id(req.param("grant_id"));
  if (!identity::decide(post.who->principal, identity::Action::connection_manage,
                        identity::Resource::account(account_id))) {
    return not_found_page();
  }
  // The grant must belong to the account in the URL, not just to some account this admin has.
  auto connections = ctx.authz.list_account_connections(post.who->principal, account_id);
  if (!connections)
    return connections.error().errc() == Errc::not_found ? not_found_page()
                                                         : internal_page(req, connections.error());
  bool found = false;
  for (const auto& g : *connections) found = found || g.id == grant_id;
  if (!found) return not_found_page();
  auto revoked = ctx.authz.revoke_grant(post.who->principal, grant_id, request_context(req));
  if (!revoked)
    return revoked.error().errc() == Errc::not_found ? not_found_page()
                                                     : internal_page(req, revoked.error());
  return http::Response::redirect(303,
                                  "/accounts/" + url_encode(account_id) + "/settings?revoked=1");
}

http::Response user_connections_page(WebContext& ctx, const http::Request& req,
                                     const SignedIn& who) {
  auto grants = ctx.authz.list_user_grants(who.principal);
  if (!grants) return internal_page(req, grants.error());
  auto page = signed_in_context(ctx, who, "Connected apps");
  if (req.query_param("revoked") == "1") {
    page.emplace("confirmation",
                 std::string("The connection was revoked. The app's access ended at once."));
  }
  auto items = connection_items(*grants);
  page.emplace("has_connections", !items.empty());
  page.emplace("connections", items);
  auto res = http::Response::html(200, render_page("connections", page));
  res.set_header("Cache-Control", "no-store");
  return res;
}

http::Response post_user_revoke(WebContext& ctx, const http::Request& req) {
  auto post = verify_post(ctx, req);
  if (post.error) return std::move(*post.error);
  std::string grant_id(req.param("grant_id"));
  // Only the user's own grants are revocable here (admins use the account settings page).
  auto grants = ctx.authz.list_user_grants(post.who->principal);
  if (!grants) return internal_page(req, grants.error());
  bool found = false;
  for (const auto& g : *grants) found = found || g.id == grant_id;
  if (!found) return not_found_page();
  auto revoked = ctx.authz.revoke_grant(post.who->principal, grant_id, request_context(req));
  if (!revoked)
    return revoked.error().errc() == Errc::not_found ? not_found_page()
                                                     : internal_page(req, revoked.error());
  return http::Response::redirect(303, "/connections?revoked=1");
}

}  // namespace

void register_account_pages(http::Router& router, WebContext& ctx) {
  http::RouteOptions form_post;
  form_post.max_body = 16 * 1024;

  router.add("GET", "/accounts/{id}/settings", [&ctx](http::Request& req) {
    auto who = current_session(ctx, req);
    if (!who) return sign_in_first(req);
    return settings_page(ctx, req, *who, std::string(req.param("id")));
  });
  router.add("POST", "/accounts/{id}/settings/security", form_post,
             [&ctx](http::Request& req) { return post_security(ctx, req); });
  router.add("POST", "/accounts/{id}/connections/{grant_id}/revoke", form_post,
             [&ctx](http::Request& req) { return post_account_revoke(ctx, req); });

  router.add("GET", "/connections", [&ctx](http::Request& req) {
    auto who = current_session(ctx, req);
    if (!who) return sign_in_first(req);
    return user_connections_page(ctx, req, *who);
  });
  router.add("POST", "/connections/{grant_id}/revoke", form_post,
             [&ctx](http::Request& req) { return post_user_revoke(ctx, req); });
}

}  // namespace cs::web
