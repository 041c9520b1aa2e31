#include "oauth/validation.hpp"

#include <algorithm>

#include "core/utf8.hpp"

namespace cs::oauth {
namespace {

tl::unexpected<Error> invalid(std::string message, std::string field) {
  return tl::unexpected(
      Error(Errc::validation_failed, std::move(message)).with_field(std::move(field)));
}

bool is_loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "[::1]" || host == "localhost";
}

// Splits "scheme://authority/rest" and checks the common rules; returns the host or an error
// message.
struct ParsedUri {
  std::string_view scheme, host;
};

std::optional<ParsedUri> parse_absolute(std::string_view uri, std::string& why) {
  if (uri.empty()) return why = "must not be empty", std::nullopt;
  if (uri.size() > kMaxUriLength) return why = "is longer than 2048 characters", std::nullopt;
  for (char ch : uri) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) return why = "must be printable ASCII without spaces", std::nullopt;
  }
  if (uri.find('#') != std::string_view::npos)
    return why = "must not have a fragment", std::nullopt;
  if (uri.find('*') != std::string_view::npos)
    return why = "must not contain wildcards", std::nullopt;
  auto sep = uri.find("://");
  if (sep == std::string_view::npos) return why = "must be an absolute URI", std::nullopt;
  ParsedUri p;
  p.scheme = uri.substr(0, sep);
  auto rest = uri.substr(sep + 3);
  auto end = rest.find_first_of("/?");
  auto authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos)
    return why = "must not contain user information", std::nullopt;
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) return why = "has an invalid host", std::nullopt;
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
  } else if (auto colon = host.find(':'); colon != std::string_view::npos) {
    port = host.substr(colon);
    host = host.substr(0, colon);
  }
  if (!port.empty()) {
    if (port.front() != ':' || port.size() < 2 || port.size() > 6 ||
        !std::all_of(port.begin() + 1, port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return why = "has an invalid port", std::nullopt;
  }
  if (host.empty()) return why = "must name a host", std::nullopt;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '[' || c == ']' || c == ':';
    if (!ok) return why = "has an invalid host", std::nullopt;
  }
  p.host = host;
  return p;
}

}  // namespace

Status validate_redirect_uri(std::string_view uri) {
  std::string why;
  auto parsed = parse_absolute(uri, why);
  if (!parsed) return fail(Errc::validation_failed, "Redirect URI " + why);
  if (parsed->scheme == "https") return {};
  if (parsed->scheme == "http") {
    if (is_loopback_host(parsed->host)) return {};
    return fail(Errc::validation_failed,
                "Redirect URI must use https (http is allowed only for 127.0.0.1, [::1] and "
                "localhost)");
  }
  return fail(Errc::validation_failed, "Redirect URI must use https");
}

Status validate_link(std::string_view url, std::string_view field) {
  if (url.empty()) return {};
  std::string why;
  auto parsed = parse_absolute(url, why);
  if (!parsed) return invalid("Link " + why, std::string(field));
  if (parsed->scheme != "https") return invalid("Link must use https", std::string(field));
  return {};
}

Result<AppConfiguration> validate_configuration(const std::vector<std::string>& scopes,
                                                const std::vector<std::string>& redirect_uris,
                                                const std::vector<std::string>& functions) {
  AppConfiguration c;
  if (scopes.empty()) return invalid("At least one scope is required", "scopes");
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (!is_known_scope(scopes[i])) return invalid("Unknown scope", "scopes/" + std::to_string(i));
    c.scopes.push_back(scopes[i]);
  }
  if (redirect_uris.empty() || redirect_uris.size() > kMaxRedirectUris)
    return invalid("Between 1 and 10 redirect URIs are required", "redirect_uris");
  for (std::size_t i = 0; i < redirect_uris.size(); ++i) {
    auto ok = validate_redirect_uri(redirect_uris[i]);
    if (!ok) return fail(std::move(ok).error().with_field("redirect_uris/" + std::to_string(i)));
    if (!c.has_redirect_uri(redirect_uris[i])) c.redirect_uris.push_back(redirect_uris[i]);
  }
  for (std::size_t i = 0; i < functions.size(); ++i) {
    if (!is_known_function(functions[i]))
      return invalid("Unknown function", "functions/" + std::to_string(i));
    c.functions.push_back(functions[i]);
  }
  for (auto* v : {&c.scopes, &c.functions}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return c;
}

Result<std::string> validate_description(std::string_view text) {
  if (!is_valid_utf8(text)) return invalid("Description must be valid UTF-8", "description");
  std::size_t chars = 0;
  for (char ch : text)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++chars;
  if (chars > kMaxDescriptionChars)
    return invalid("Description is longer than 2000 characters", "description");
  return std::string(text);
}

}  // namespace cs::oauth
