#include "calllog/redaction.hpp"

#include <array>
#include <optional>

#include <nlohmann/json.hpp>

#include "crypto/primitives.hpp"
#include "crypto/tokens.hpp"

namespace cs::calllog {
namespace {

constexpr std::string_view kEncodedRedacted = "%5BREDACTED%5D";

// Lower case, '-' as '_': "Client-Secret" and "client_secret" are one name.
std::string fold(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-') c = '_';
  }
  return out;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_token_char(char c) { return is_alnum(c) || c == '-' || c == '_'; }

// Offset of the first token prefix in `text` that starts a word, or npos.
std::size_t find_token(std::string_view text) {
  std::size_t best = std::string_view::npos;
  for (auto prefix : crypto::kTokenPrefixes) {
    for (std::size_t at = text.find(prefix); at != std::string_view::npos;
         at = text.find(prefix, at + 1)) {
      if (at == 0 || !is_alnum(text[at - 1])) {
        if (at < best) best = at;
        break;
      }
    }
  }
  return best;
}

// In text that is not valid JSON (a truncated or malformed body): the string values of
// `"secret_name": "..."` pairs.
std::string scrub_json_like_fields(std::string_view text) {
  std::string out;
  std::size_t copied = 0, i = 0;
  auto string_end = [&](std::size_t open) {  // index of the closing quote, or npos
    for (std::size_t k = open + 1; k < text.size(); ++k) {
      if (text[k] == '\\') {
        ++k;
      } else if (text[k] == '"') {
        return k;
      }
    }
    return std::string_view::npos;
  };
  while ((i = text.find('"', i)) != std::string_view::npos) {
    auto key_end = string_end(i);
    if (key_end == std::string_view::npos) break;
    auto key = text.substr(i + 1, key_end - i - 1);
    auto k = key_end + 1;
    while (k < text.size() &&
           (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r'))
      ++k;
    if (k < text.size() && text[k] == ':' && is_secret_name(key)) {
      ++k;
      while (k < text.size() &&
             (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r'))
        ++k;
      if (k < text.size() && text[k] == '"') {
        auto value_end = string_end(k);
        out.append(text.substr(copied, k + 1 - copied));
        out.append(kRedacted);
        if (value_end == std::string_view::npos) return out + "\"";  // cut inside the secret
        copied = value_end;
        i = value_end + 1;
        continue;
      }
    }
    i = key_end + 1;
  }
  out.append(text.substr(copied));
  return out;
}

// Replaces every token (prefix plus its characters) inside free text.
std::string scrub_tokens(std::string_view text) {
  std::string out;
  for (;;) {
    auto at = find_token(text);
    if (at == std::string_view::npos) break;
    out.append(text.substr(0, at));
    out.append(kRedacted);
    std::size_t end = at;
    while (end < text.size() && is_token_char(text[end])) ++end;
    text.remove_prefix(end);
  }
  out.append(text);
  return out;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    if (c == 0) return false;
    i += n;
  }
  return true;
}

// `code` in JSON is the problem+json error code (an OAuth authorization code travels in query
// strings and form bodies, and always carries cs_ac_): JSON keeps it unless it holds a token.
bool is_secret_json_key(std::string_view key) { return is_secret_name(key) && fold(key) != "code"; }

void redact_json(nlohmann::ordered_json& v) {
  if (v.is_object()) {
    for (auto& [key, value] : v.items()) {
      if (is_secret_json_key(key) && !value.is_null()) {
        value = std::string(kRedacted);
      } else {
        redact_json(value);
      }
    }
  } else if (v.is_array()) {
    for (auto& item : v) redact_json(item);
  } else if (v.is_string() && holds_token(v.get_ref<const std::string&>())) {
    v = std::string(kRedacted);
  }
}

std::string binary_note(std::string_view content_type, std::string_view body) {
  return "[binary body omitted: " + std::to_string(body.size()) + " bytes" +
         (content_type.empty() ? std::string() : ", " + std::string(content_type)) + ", sha256 " +
         crypto::sha256_hex(body) + "]";
}

bool is_binary_type(std::string_view type) {
  for (std::string_view t :
       {"application/pdf", "application/octet-stream", "application/zip", "image/", "video/",
        "audio/", "multipart/", "font/", "application/x-pkcs12"}) {
    if (type.starts_with(t)) return true;
  }
  return false;
}

// The cookies of a Cookie or Set-Cookie value, each value redacted (Set-Cookie attributes after
// the first ';' are kept: they are not secret and say how the cookie was scoped).
std::string redact_cookies(std::string_view value, bool set_cookie) {
  std::string out;
  std::size_t pos = 0;
  bool first = true;
  while (pos <= value.size()) {
    auto semi = value.find(';', pos);
    auto part =
        value.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
    if (!first) out += ';';
    auto eq = part.find('=');
    if ((first || !set_cookie) && eq != std::string_view::npos) {
      out.append(part.substr(0, eq + 1));
      out.append(kRedacted);
    } else if (!set_cookie || !first) {
      out.append(holds_token(part) ? std::string(kRedacted) : std::string(part));
    } else {
      out.append(kRedacted);
    }
    first = false;
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  return out;
}

}  // namespace

bool is_secret_name(std::string_view raw) {
  std::string name = fold(raw);
  if (name.starts_with("x_")) name.erase(0, 2);
  static constexpr std::array<std::string_view, 13> kNames = {
      "client_secret",  "access_token",     "refresh_token", "id_token", "code",
      "code_verifier",  "password",         "passwd",        "secret",   "signing_secret",
      "webhook_secret", "client_assertion", "authorization"};
  for (auto n : kNames) {
    if (name == n) return true;
  }
  return name.ends_with("_password") || name.starts_with("password_") || name.ends_with("_secret");
}

bool holds_token(std::string_view value) { return find_token(value) != std::string_view::npos; }

TraceHeaders redact_headers(const TraceHeaders& headers) {
  TraceHeaders out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    std::string n = fold(name);
    if (n == "authorization" || n == "proxy_authorization") {
      // Keep the scheme: "Bearer" vs "Basic" is useful in a review, the credential is not.
      auto space = value.find(' ');
      out.emplace_back(name, space == std::string::npos
                                 ? std::string(kRedacted)
                                 : value.substr(0, space + 1) + std::string(kRedacted));
    } else if (n == "cookie" || n == "set_cookie") {
      out.emplace_back(name, redact_cookies(value, n == "set_cookie"));
    } else if (is_secret_name(name) || holds_token(value)) {
      out.emplace_back(name, std::string(kRedacted));
    } else {
      out.emplace_back(name, value);
    }
  }
  return out;
}

std::string redact_query(std::string_view query) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    auto pair =
        query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (pos != 0) out += '&';
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    auto decoded_key = percent_decode(key).value_or(std::string(key));
    if (eq == std::string_view::npos) {
      out.append(holds_token(decoded_key) ? std::string(kEncodedRedacted) : std::string(pair));
    } else {
      auto value = pair.substr(eq + 1);
      // An undecodable value is judged as written: a token survives a bad escape elsewhere.
      auto decoded = percent_decode(value).value_or(std::string(value));
      bool secret = (is_secret_name(decoded_key) && !decoded.empty()) || holds_token(decoded) ||
                    holds_token(value);
      out.append(key);
      out += '=';
      out.append(secret ? kEncodedRedacted : value);
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

std::string redact_target(std::string_view target) {
  auto q = target.find('?');
  auto path = target.substr(0, q);
  std::string out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto segment =
        path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    auto decoded = percent_decode(segment).value_or(std::string(segment));
    out.append(holds_token(decoded) || holds_token(segment) ? kEncodedRedacted : segment);
    if (slash == std::string_view::npos) break;
    out += '/';
    pos = slash + 1;
  }
  if (q != std::string_view::npos) {
    out += '?';
    out += redact_query(target.substr(q + 1));
  }
  return out;
}

std::string truncate_body(std::string body, std::size_t limit) {
  if (body.size() <= limit) return body;
  std::size_t total = body.size();
  std::size_t cut = limit;
  // Never split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  body.resize(cut);
  body += "\n[truncated by Countersign: " + std::to_string(cut) + " of " + std::to_string(total) +
          " bytes kept]";
  return body;
}

std::string redact_body(std::string_view content_type, std::string_view body) {
  if (body.empty()) return {};
  std::string type = fold(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  while (!type.empty() && type.front() == ' ') type.erase(0, 1);
  for (auto& c : type) {
    if (c == '_') c = '-';  // fold() maps '-' to '_'; media types keep their '-'
  }
  if (is_binary_type(type) || !valid_utf8(body)) return binary_note(type, body);
  if (type == "application/x-www-form-urlencoded") return truncate_body(redact_query(body));
  bool json_type = type.ends_with("json") || type.ends_with("+json");
  if (json_type || type.empty()) {
    auto parsed = nlohmann::ordered_json::parse(body, nullptr, false);
    if (!parsed.is_discarded()) {
      redact_json(parsed);
      return truncate_body(parsed.dump());
    }
  }
  // Text we cannot parse (or a JSON body that is not JSON): the tokens at least go.
  return truncate_body(scrub_tokens(scrub_json_like_fields(body)));
}

}  // namespace cs::calllog
