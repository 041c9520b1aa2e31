#include "web/session_cookie.hpp"

#include "identity/directory.hpp"
#include "identity/session_service.hpp"
#include "web/web_context.hpp"

namespace cs::web {

std::string set_cookie(const std::string& name, const std::string& value, bool secure, int max_age) {
  std::string c = name + "=" + value + "; Path=/; HttpOnly; SameSite=Lax";
  if (secure) c += "; Secure";
  if (max_age >= 0) c += "; Max-Age=" + std::to_string(max_age);
  return c;
}

std::string clear_cookie(const std::string& name, bool secure) { return set_cookie(name, "", secure, 0); }

std::optional<SignedIn> current_session(WebContext& ctx, const http::Request& req) {
  CookieNames names(ctx.secure_cookies);
  auto token = req.cookie(names.session);
  if (!token || token->empty()) return std::nullopt;
  auto session = ctx.sessions.resolve(*token);
  if (!session) return std::nullopt;
  auto principal = ctx.directory.load_principal(session->user_id);
  if (!principal) return std::nullopt;
  return SignedIn{std::move(*principal), std::string(*token)};
}

http::Authenticator make_authenticator(WebContext& ctx) {
  return [&ctx](http::Request& req, http::Auth auth) -> Status {
    if (auth == http::Auth::session || auth == http::Auth::session_or_bearer) {
      if (auto who = current_session(ctx, req)) {
        req.principal = std::move(*who);
        return {};
      }
    }
    // Bearer tokens arrive with the OAuth issue; until then no route accepts them.
    return fail(Errc::unauthenticated, "Sign in first, or present a valid credential");
  };
}

}  // namespace cs::web
