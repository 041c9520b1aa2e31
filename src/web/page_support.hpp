// Small pieces shared by the signed-in HTML pages of the OAuth issue: the common page context,
// error pages, URL encoding and query parsing that keeps repeated parameters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mstch/mstch.hpp>

#include "core/error.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "identity/actor.hpp"
#include "web/session_cookie.hpp"

namespace cs::web {

struct WebContext;

// Title, the top bar's signed-in user and a CSRF token bound to the session.
mstch::map signed_in_context(WebContext& ctx, const SignedIn& who, std::string title);

// An HTML error page that never redirects: a heading, a safe public message, a link home.
http::Response error_page(int status, std::string heading, std::string message);

// Percent-encodes everything except RFC 3986 unreserved characters (query values).
std::string url_encode(std::string_view in);

// `base` with `params` appended as a query ('?' or '&' depending on whether base has one).
std::string append_query(std::string base,
                         const std::vector<std::pair<std::string, std::string>>& params);

identity::RequestContext request_context(const http::Request& req);

// Chrome applies form-action to the redirect that follows a form POST, so a page whose form
// answers with a redirect to another site (OAuth consent -> the client's redirect URI; embedded
// signing -> the app's return_url) must allow that origin besides 'self'. `csp` with the origin
// of `url` added to its form-action; unchanged when the URL has no clean origin.
std::string csp_allowing_form_redirect(std::string csp, std::string_view url);

// "2024-05-01 13:45 UTC" for tables; empty for 0.
std::string display_time(Micros t);

}  // namespace cs::web
