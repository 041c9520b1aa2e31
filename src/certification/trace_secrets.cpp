#include "certification/trace_secrets.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "core/utf8.hpp"
#include "crypto/tokens.hpp"

namespace cs::certification::detail {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

namespace {

constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMinTokenChars = 8;  // after the prefix; shorter is a placeholder or a doc
constexpr std::array<std::string_view, 6> kSecretFields = {"client_secret", "access_token", "refresh_token",
                                                           "password",      "code_verifier", "secret"};
constexpr std::array<std::string_view, 6> kRedactionWords = {"redacted", "filtered", "removed",
                                                             "masked",   "hidden",   "omitted"};


bool is_secret_field(std::string_view name) {
  auto n = lower(detail::xml_local_name(name));
  std::replace(n.begin(), n.end(), '-', '_');
  if (n.starts_with("x_")) n.erase(0, 2);
  return std::find(kSecretFields.begin(), kSecretFields.end(), n) != kSecretFields.end();
}

bool is_redacted(std::string_view raw) {
  auto v = trim(raw);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = trim(v.substr(1, v.size() - 2));
  if (v.empty()) return true;
  const auto low = lower(v);
  for (const auto word : kRedactionWords)
    if (low.find(word) != std::string::npos) return true;
  if ((v.starts_with('<') && v.ends_with('>')) || (v.starts_with("{{") && v.ends_with("}}")) ||
      (v.starts_with("${") && v.ends_with('}')))
    return true;
  std::string rest(v);
  for (const std::string_view mark : {"\u2022", "\u2026"})
    for (auto at = rest.find(mark); at != std::string::npos; at = rest.find(mark)) rest.erase(at, mark.size());
  return rest.find_first_not_of("*xX#.-_ ") == std::string::npos;
}

bool token_char(char c, bool base64_standard) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
         (base64_standard && (c == '+' || c == '/' || c == '='));
}

// The first live Countersign token inside free text (headers, URL paths, bodies), if any.
std::string_view find_live_token(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((text[i] != 'c' && text[i] != 'w') || (i > 0 && token_char(text[i - 1], false))) continue;
    const auto rest = text.substr(i);
    if (!crypto::has_countersign_token_prefix(rest)) continue;
    std::size_t prefix_end = 0;
    for (const auto prefix : crypto::kTokenPrefixes)
      if (rest.starts_with(prefix)) prefix_end = prefix.size();
    // Webhook secrets are standard base64 (+ / =); the other tokens base64url.
    const bool whsec = rest.starts_with(crypto::kWebhookSecretPrefix);
    std::size_t end = prefix_end;
    while (end < rest.size() && token_char(rest[end], whsec)) ++end;
    const auto value = rest.substr(prefix_end, end - prefix_end);
    if (value.size() >= kMinTokenChars && !is_redacted(value)) return rest.substr(0, end);
  }
  return {};
}

std::string preview_of(std::string_view secret) {
  const auto clean = to_storable_utf8(secret);
  std::size_t code_points = 0;
  for (const char c : clean) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  const std::size_t keep = std::min<std::size_t>(6, code_points / 3);
  std::size_t bytes = 0;
  for (std::size_t seen = 0; bytes < clean.size(); ++bytes) {
    if ((static_cast<unsigned char>(clean[bytes]) & 0xC0) != 0x80 && seen++ == keep) break;
  }
  return clean.substr(0, bytes) + "\u2026";
}

bool has_element_child(const pugi::xml_node& node) {
  for (auto c = node.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) return true;
  return false;
}

int hex_value(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else out += s[i];
  }
  return out;
}

// Collects findings for one side of one exchange; one finding per location.
class SecretScanner {
 public:
  SecretScanner(TraceReport& report, std::size_t entry, TraceSide side)
      : report_(report), entry_(entry), side_(side) {}

  void found(SecretKind kind, SecretPlace place, std::string_view location, std::string_view secret) {
    auto name = to_storable_utf8(location, kMaxNameBytes);
    // Findings arrive in entry order: only this entry's tail can hold the same location.
    for (auto f = report_.secrets.rbegin(); f != report_.secrets.rend() && f->entry == entry_; ++f)
      if (f->side == side_ && f->place == place && f->name == name) return;
    if (report_.secrets.size() >= kMaxSecretFindings) {
      ++report_.secrets_omitted;
      return;
    }
    report_.secrets.push_back({kind, entry_, side_, place, std::move(name), preview_of(secret)});
  }

  // A named value: a secret when its name says so, else whatever token it holds.
  void value(SecretPlace place, std::string_view field, std::string_view location, std::string_view v) {
    if (is_secret_field(field) && !is_redacted(v)) return found(SecretKind::secret_field, place, location, trim(v));
    if (const auto token = find_live_token(v); !token.empty())
      found(SecretKind::countersign_token, place, location, token);
  }

  void text(SecretPlace place, std::string_view location, std::string_view v) {
    if (const auto token = find_live_token(v); !token.empty())
      found(SecretKind::countersign_token, place, location, token);
  }

  void authorization(SecretPlace place, std::string_view location, std::string_view v) {
    const auto t = trim(v);
    const auto space = t.find(' ');
    const auto scheme = lower(t.substr(0, space));
    const auto credentials = space == std::string_view::npos ? std::string_view{} : trim(t.substr(space + 1));
    if (scheme == "bearer" || scheme == "basic") {
      if (!is_redacted(credentials))
        found(scheme == "bearer" ? SecretKind::bearer_token : SecretKind::basic_credentials, place, location,
              credentials);
      return;
    }
    text(place, location, v);
  }

  void cookie(std::string_view name, std::string_view v) {
    if (!is_redacted(v)) found(SecretKind::cookie, SecretPlace::cookie, name, v);
  }

  void cookie_header(std::string_view header, bool set_cookie) {
    while (!header.empty()) {
      const auto semi = header.find(';');
      const auto pair = trim(header.substr(0, semi));
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos) cookie(trim(pair.substr(0, eq)), trim(pair.substr(eq + 1)));
      if (set_cookie || semi == std::string_view::npos) break;  // Set-Cookie: the rest are attributes
      header.remove_prefix(semi + 1);
    }
  }

  // application/x-www-form-urlencoded, in a body or a URL query.
  void encoded_pairs(SecretPlace place, std::string_view encoded) {
    while (!encoded.empty()) {
      const auto amp = encoded.find('&');
      const auto pair = encoded.substr(0, amp);
      const auto eq = pair.find('=');
      const auto name = percent_decode(pair.substr(0, eq));
      if (eq != std::string_view::npos) value(place, name, name, percent_decode(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      encoded.remove_prefix(amp + 1);
    }
  }

  void header(std::string_view name, std::string_view v) {
    const auto n = lower(name);
    if (n == "authorization" || n == "proxy-authorization") authorization(SecretPlace::header, name, v);
    else if (n == "cookie") cookie_header(v, false);
    else if (n == "set-cookie") cookie_header(v, true);
    else value(SecretPlace::header, name, name, v);
  }

  // Depth is bounded by kMaxTraceNesting before this is called.
  void json(const nlohmann::json& v, const std::string& pointer) {
    if (v.is_object()) {
      for (const auto& [key, child] : v.items()) {
        const auto path = pointer + "/" + escape_pointer(key);
        if (child.is_string() || child.is_number()) {
          const auto scalar = child.is_string() ? child.get<std::string>() : child.dump();
          if (lower(key) == "authorization") authorization(SecretPlace::body, path, scalar);
          else value(SecretPlace::body, key, path, scalar);
        } else {
          json(child, path);
        }
      }
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i) json(v[i], pointer + "/" + std::to_string(i));
    } else if (v.is_string()) {
      text(SecretPlace::body, pointer.empty() ? "/" : pointer, v.get_ref<const std::string&>());
    }
  }

  void xml(const pugi::xml_node& node, const std::string& path) {
    for (auto c = node.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
        text(SecretPlace::body, path.empty() ? "/" : path, c.value());
        continue;
      }
      if (c.type() != pugi::node_element) continue;
      const auto child_path = path + "/" + c.name();
      for (const auto a : c.attributes()) value(SecretPlace::body, a.name(), child_path + "/@" + a.name(), a.value());
      if (is_secret_field(c.name()) && !has_element_child(c) && !is_redacted(c.text().get())) {
        found(SecretKind::secret_field, SecretPlace::body, child_path, trim(c.text().get()));
        continue;
      }
      xml(c, child_path);
    }
  }

 private:
  static std::string escape_pointer(std::string_view key) {
    std::string out;
    for (const char c : key) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    return out;
  }

  TraceReport& report_;
  std::size_t entry_;
  TraceSide side_;
};

std::string side_label(std::size_t entry, TraceSide side) {
  return "entry " + std::to_string(entry) + " " + std::string(to_string(side)) + " body";
}

Status scan_body(SecretScanner& scan, const TraceMessage& msg, std::size_t entry, TraceSide side) {
  for (const auto& [name, v] : msg.form_params) scan.value(SecretPlace::form, name, name, v);
  const auto body = trim(msg.body);
  if (body.empty()) return {};
  if (body.front() == '{' || body.front() == '[') {
    if (detail::json_too_deep(body, kMaxTraceNesting))
      return fail(Errc::validation_failed, side_label(entry, side) + " is nested deeper than " +
                                               std::to_string(kMaxTraceNesting) + " levels");
    const auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded()) {
      scan.json(doc, "");
      return {};
    }
  } else if (body.front() == '<') {
    pugi::xml_document doc;
    if (doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_fragment)) {
      if (detail::xml_depth(doc) > kMaxTraceNesting)
        return fail(Errc::validation_failed, side_label(entry, side) + " is nested deeper than " +
                                                 std::to_string(kMaxTraceNesting) + " levels");
      scan.xml(doc, "");
      return {};
    }
  } else if (lower(msg.mime_type).find("x-www-form-urlencoded") != std::string::npos ||
             (body.find('=') != std::string_view::npos &&
              std::none_of(body.begin(), body.end(), [](unsigned char c) { return std::isspace(c); }))) {
    scan.encoded_pairs(SecretPlace::form, body);
    return {};
  }
  scan.text(SecretPlace::body, "", body);
  return {};
}

}  // namespace

Status scan_message(TraceReport& report, const TraceMessage& msg, std::string_view url, std::size_t entry,
                    TraceSide side) {
  SecretScanner scan(report, entry, side);
  if (side == TraceSide::request) {
    const auto parts = split_url(url);
    scan.text(SecretPlace::url, "path", percent_decode(parts.path));
    scan.encoded_pairs(SecretPlace::query, parts.query);
  }
  for (const auto& [name, v] : msg.headers) scan.header(name, v);
  for (const auto& [name, v] : msg.cookies) scan.cookie(name, v);
  return scan_body(scan, msg, entry, side);
}

}  // namespace cs::certification::detail
