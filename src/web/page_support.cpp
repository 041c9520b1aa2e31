#include "web/page_support.hpp"

#include <cctype>

#include "identity/directory.hpp"
#include "identity/session_service.hpp"
#include "web/templates.hpp"
#include "web/web_context.hpp"

namespace cs::web {

mstch::map signed_in_context(WebContext& ctx, const SignedIn& who, std::string title) {
  mstch::map page{{"title", std::move(title)},
                  {"signed_in", true},
                  {"csrf_token", ctx.sessions.csrf_token(who.session_token)}};
  if (auto user = ctx.directory.get_user(who.principal.user_id)) {
    page.emplace("user_email", user->email);
    page.emplace("user_name", user->name);
  }
  return page;
}

http::Response error_page(int status, std::string heading, std::string message) {
  mstch::map page{
      {"title", heading}, {"heading", std::move(heading)}, {"message", std::move(message)}};
  auto res = http::Response::html(status, render_page("error", page));
  res.set_header("Cache-Control", "no-store");
  return res;
}

std::string url_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() * 3);
  for (unsigned char c : in) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string append_query(std::string base,
                         const std::vector<std::pair<std::string, std::string>>& params) {
  char sep = base.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : params) {
    base.push_back(sep);
    base += url_encode(name);
    base.push_back('=');
    base += url_encode(value);
    sep = '&';
  }
  return base;
}

identity::RequestContext request_context(const http::Request& req) {
  return {req.remote_ip, req.request_id};
}

std::string display_time(Micros t) {
  if (t == 0) return {};
  // "2026-11-23T04:06:26.123456Z" -> "2026-11-23 04:06 UTC"
  auto s = format_rfc3339(t);
  if (s.size() < 16) return s;
  return s.substr(0, 10) + " " + s.substr(11, 5) + " UTC";
}

std::string csp_allowing_form_redirect(std::string csp, std::string_view url) {
  std::string origin;
  auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    auto path = url.find_first_of("/?#", scheme_end + 3);
    origin = std::string(url.substr(0, path));
  }
  // The URL was validated where it was registered; this keeps anything odd out of the header.
  for (char c : origin) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '/' || c == '.' || c == '-' ||
              c == '[' || c == ']';
    if (!ok) return csp;
  }
  auto pos = csp.find("form-action 'self'");
  if (!origin.empty() && pos != std::string::npos) {
    csp.insert(pos + std::string_view("form-action 'self'").size(), " " + origin);
  }
  return csp;
}

}  // namespace cs::web
