// Session and pre-session cookies, and resolving the signed-in principal of a request.
#pragma once

#include <optional>
#include <string>

#include "http/request.hpp"
#include "identity/principal.hpp"

namespace cs::web {

struct WebContext;

// `__Host-` prefixed names under TLS (the browser then insists on Secure, Path=/ and no Domain).
struct CookieNames {
  explicit CookieNames(bool secure)
      : session(secure ? "__Host-cs_session" : "cs_session"),
        presession(secure ? "__Host-cs_presession" : "cs_presession") {}
  std::string session;
  std::string presession;
};

// "name=value; Path=/; HttpOnly; SameSite=Lax[; Secure][; Max-Age=N]". max_age < 0: a browser
// session cookie (the server-side session decides the lifetime).
std::string set_cookie(const std::string& name, const std::string& value, bool secure, int max_age = -1);
std::string clear_cookie(const std::string& name, bool secure);

// What Auth::session routes find in Request::principal.
struct SignedIn {
  identity::Principal principal;
  std::string session_token;
};

// The signed-in user of this request, if its session cookie names a live session.
std::optional<SignedIn> current_session(WebContext& ctx, const http::Request& req);

}  // namespace cs::web
