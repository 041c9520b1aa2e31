// The server-rendered pages of the foundation: sign in, sign out, and the signed-in home.
// Forms carry CSRF tokens: before sign-in the token is bound to a random pre-session cookie,
// after sign-in to the session itself (identity::SessionService::csrf_token).
#include <algorithm>
#include <string>

#include <spdlog/spdlog.h>

#include "crypto/primitives.hpp"
#include "crypto/tokens.hpp"
#include "identity/auth_service.hpp"
#include "identity/directory.hpp"
#include "identity/session_service.hpp"
#include "web/form.hpp"
#include "web/session_cookie.hpp"
#include "web/templates.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

// Only local paths are accepted as a post-login destination: no scheme, no host, no
// protocol-relative "//evil" and no backslash tricks (open-redirect protection).
std::string safe_next(const std::string& next) {
  if (next.empty() || next.size() > 4096 || next[0] != '/') return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
  for (char c : next) {
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return "/";
  }
  return next;
}

mstch::map page_context(std::string title) { return mstch::map{{"title", std::move(title)}}; }

// Renders the sign-in form; issues a pre-session cookie when the browser has none, so the
// form's CSRF token has something to be bound to.
http::Response login_page(WebContext& ctx, const http::Request& req, int status, const std::string& error,
                          const std::string& email, const std::string& next) {
  CookieNames names(ctx.secure_cookies);
  std::string binding(req.cookie(names.presession).value_or(""));
  bool fresh = binding.size() < 32 || binding.size() > 64;
  if (fresh) binding = crypto::base64url_encode(crypto::random_bytes(32));
  auto page = page_context("Sign in");
  page.emplace("csrf_token", ctx.sessions.csrf_token(binding));
  page.emplace("next", safe_next(next));
  page.emplace("email", email);
  if (!error.empty()) page.emplace("error", error);
  auto res = http::Response::html(status, render_page("login", page));
  if (fresh) res.headers.emplace_back("Set-Cookie", set_cookie(names.presession, binding, ctx.secure_cookies, 3600));
  return res;
}

http::Response home_page(WebContext& ctx, const http::Request& req, const SignedIn& who) {
  auto user = ctx.directory.get_user(who.principal.user_id);
  if (!user) return http::Response::problem(user.error(), req.request_id);
  auto page = page_context("Home");
  page.emplace("signed_in", true);
  page.emplace("user_email", user->email);
  page.emplace("user_name", user->name);
  page.emplace("csrf_token", ctx.sessions.csrf_token(who.session_token));

  mstch::array staff;
  for (auto role : who.principal.staff_roles) staff.emplace_back(std::string(identity::to_string(role)));
  page.emplace("has_staff_roles", !staff.empty());
  page.emplace("staff_roles", staff);

  mstch::array accounts;
  for (const auto& [account_id, role] : who.principal.account_roles) {
    auto account = ctx.directory.get_account(account_id);
    if (!account) continue;
    accounts.emplace_back(mstch::map{{"id", account->id},
                                     {"name", account->name},
                                     {"environment", std::string(identity::to_string(account->environment))},
                                     {"role", std::string(identity::to_string(role))},
                                     {"is_admin", role == identity::AccountRole::admin}});
  }
  page.emplace("has_accounts", !accounts.empty());
  page.emplace("accounts", accounts);

  mstch::array partners;
  for (const auto& [partner_id, role] : who.principal.partner_roles) {
    auto org = ctx.directory.get_partner_org(partner_id);
    if (!org) continue;
    partners.emplace_back(mstch::map{{"name", org->name}, {"role", std::string(identity::to_string(role))}});
  }
  page.emplace("has_partners", !partners.empty());
  page.emplace("partners", partners);
  return http::Response::html(200, render_page("home", page));
}

}  // namespace

void register_page_routes(http::Router& router, WebContext& ctx) {
  router.add("GET", "/static/{name}", http::RouteOptions{.blocking = false}, [](http::Request& req) {
    auto asset = static_asset(req.param("name"));
    if (!asset) return http::Response::problem(Error(Errc::not_found, "No such file"), req.request_id);
    http::Response res;
    res.body = std::string(asset->body);
    res.set_header("Content-Type", std::string(asset->content_type));
    res.set_header("Cache-Control", "public, max-age=3600");
    return res;
  });

  router.add("GET", "/login", [&ctx](http::Request& req) {
    if (current_session(ctx, req)) return http::Response::redirect(303, "/");
    return login_page(ctx, req, 200, {}, {}, req.query_param("next").value_or("/"));
  });

  router.add("POST", "/login", http::RouteOptions{.max_body = 16 * 1024}, [&ctx](http::Request& req) {
    CookieNames names(ctx.secure_cookies);
    auto form = parse_form(req);
    if (!form) return http::Response::problem(form.error(), req.request_id);
    std::string email = form_value(*form, "email");
    std::string next = form_value(*form, "next");
    std::string binding(req.cookie(names.presession).value_or(""));
    if (binding.empty() || !ctx.sessions.verify_csrf(binding, form_value(*form, "csrf_token"))) {
      return login_page(ctx, req, 403, "Your sign-in form expired. Please try again.", email, next);
    }
    identity::LoginRequest login{email,
                                 form_value(*form, "password"),
                                 req.remote_ip,
                                 std::string(req.header("User-Agent").value_or("")),
                                 req.request_id,
                                 std::string(req.cookie(names.session).value_or(""))};
    auto result = ctx.auth.login(login);
    if (!result) {
      const auto& e = result.error().error;
      if (e.errc() == Errc::account_locked || e.errc() == Errc::too_many_requests) {
        auto res = login_page(ctx, req, 429, e.message(), email, next);
        Micros wait = result.error().retry_at.value_or(req.received_at) - req.received_at;
        res.set_header("Retry-After", std::to_string(std::max<Micros>(1, wait / kMicrosPerSecond + 1)));
        return res;
      }
      if (e.errc() == Errc::unauthenticated || e.errc() == Errc::validation_failed) {
        return login_page(ctx, req, 401, "Email or password is incorrect.", email, next);
      }
      if (e.errc() == Errc::forbidden) return login_page(ctx, req, 403, e.message(), email, next);
      spdlog::error("login failed internally request_id={} detail={}", req.request_id, e.detail());
      return http::Response::problem(e, req.request_id);
    }
    auto res = http::Response::redirect(303, safe_next(next));
    // Session rotation: a new token on every sign-in; the pre-session cookie is spent.
    res.headers.emplace_back("Set-Cookie", set_cookie(names.session, result->session.token, ctx.secure_cookies));
    res.headers.emplace_back("Set-Cookie", clear_cookie(names.presession, ctx.secure_cookies));
    return res;
  });

  router.add("POST", "/logout", http::RouteOptions{.max_body = 16 * 1024}, [&ctx](http::Request& req) {
    CookieNames names(ctx.secure_cookies);
    auto who = current_session(ctx, req);
    auto form = parse_form(req);
    if (!form) return http::Response::problem(form.error(), req.request_id);
    if (!who) return http::Response::redirect(303, "/login");
    if (!ctx.sessions.verify_csrf(who->session_token, form_value(*form, "csrf_token"))) {
      return http::Response::problem(Error(Errc::csrf_failed, "The form's CSRF token is missing or wrong"),
                                     req.request_id);
    }
    auto revoked = ctx.sessions.revoke(who->session_token);
    if (!revoked) return http::Response::problem(revoked.error(), req.request_id);
    auto res = http::Response::redirect(303, "/login");
    res.headers.emplace_back("Set-Cookie", clear_cookie(names.session, ctx.secure_cookies));
    return res;
  });

  router.add("GET", "/", [&ctx](http::Request& req) {
    auto who = current_session(ctx, req);
    if (!who) return http::Response::redirect(303, "/login");
    return home_page(ctx, req, *who);
  });

  register_signing_pages(router, ctx);
}

}  // namespace cs::web
