#include "http/middleware.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include <sodium.h>

#include <array>
#include <cstdint>

#include "core/clock.hpp"

namespace http {
namespace {

// Request ids correlate log lines; they guard nothing, so a per-thread xoshiro256** seeded once
// from libsodium is enough. (cs::new_id draws each character from the kernel: a measurable
// share of a /healthz request.)
class RequestIdGenerator {
 public:
  RequestIdGenerator() { randombytes_buf(state_.data(), sizeof state_); }

  std::string next() {
    static constexpr std::string_view kAlphabet =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string id = "req_";
    std::uint64_t bits = 0;
    for (int i = 0; i < 22; ++i) {
      if (i % 10 == 0) bits = next_u64();  // 10 draws of 6 bits per 64-bit value
      id.push_back(kAlphabet[(bits & 63) % kAlphabet.size()]);
      bits >>= 6;
    }
    return id;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next_u64() {
    auto& s = state_;
    std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  std::array<std::uint64_t, 4> state_{};
};

}  // namespace

bool is_acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string request_id_for(std::optional<std::string_view> client_value) {
  if (client_value && is_acceptable_request_id(*client_value)) return std::string(*client_value);
  thread_local RequestIdGenerator generator;
  return generator.next();
}

void apply_security_headers(Response& res, std::string_view request_id, bool tls) {
  res.set_header("X-Request-Id", std::string(request_id));
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  auto content_type = res.header("Content-Type").value_or("");
  if (content_type.starts_with("application/problem+json")) {
    res.set_header("Cache-Control", "no-store");
  }
  if (content_type.starts_with("text/html")) {
    // Pages carry CSRF tokens and personal data: no browser or proxy may keep a copy.
    if (!res.header("Cache-Control")) res.set_header("Cache-Control", "no-store");
    if (!res.header("Content-Security-Policy")) {
      res.set_header("Content-Security-Policy", std::string(kDefaultCsp));
    }
    res.set_header("X-Frame-Options", "DENY");
  }
  if (tls) res.set_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

namespace {

bool is_ip_literal(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  std::string s(text);
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string_view trim_spaces(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

std::string client_ip(std::string_view peer, std::string_view forwarded_for,
                      const std::vector<std::string>& trusted_proxies) {
  auto trusted = [&](std::string_view ip) {
    return std::find(trusted_proxies.begin(), trusted_proxies.end(), ip) != trusted_proxies.end();
  };
  std::string candidate(peer);
  if (forwarded_for.empty() || !trusted(peer)) return candidate;
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view item = trim_spaces(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (!is_ip_literal(item)) return candidate;
    candidate = std::string(item);
    if (!trusted(item)) return candidate;
  }
  return candidate;
}

namespace {

// Appends `v` as a JSON string. User-Agent and path are attacker-controlled bytes: control
// characters are escaped and invalid UTF-8 becomes U+FFFD, so the line always parses.
void append_json_string(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0;
  while (i < v.size()) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // A well-formed sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) is copied.
    std::size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    bool ok = len != 0 && i + len <= v.size();
    if (ok) {
      auto c1 = static_cast<unsigned char>(v[i + 1]);
      unsigned char lo = 0x80, hi = 0xBF;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
      ok = c1 >= lo && c1 <= hi;
      for (std::size_t k = 2; ok && k < len; ++k) {
        auto ck = static_cast<unsigned char>(v[i + k]);
        ok = ck >= 0x80 && ck <= 0xBF;
      }
    }
    if (ok) {
      out.append(v.data() + i, len);
      i += len;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out.push_back('"');
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(',');
  out.push_back('"');
  out += name;
  out += "\":";
  append_json_string(out, value);
}

void append_field(std::string& out, std::string_view name, long long value) {
  out.push_back(',');
  out.push_back('"');
  out += name;
  out += "\":";
  out += std::to_string(value);
}

}  // namespace

// Built by hand rather than through nlohmann::json: one line per request, on the io thread.
std::string access_log_line(const AccessLogEntry& e) {
  std::string out;
  out.reserve(256 + e.path.size() + e.user_agent.size());
  out += "{\"ts\":";
  append_json_string(out, cs::format_rfc3339(cs::SystemClock().now()));
  append_field(out, "request_id", e.request_id);
  append_field(out, "method", e.method);
  append_field(out, "path", e.path);
  append_field(out, "route", e.route);
  append_field(out, "status", static_cast<long long>(e.status));
  append_field(out, "latency_us", static_cast<long long>(e.latency.count()));
  append_field(out, "bytes_in", static_cast<long long>(e.bytes_in));
  append_field(out, "bytes_out", static_cast<long long>(e.bytes_out));
  append_field(out, "remote_ip", e.remote_ip);
  append_field(out, "user_agent", e.user_agent);
  out.push_back('}');
  return out;
}

}  // namespace http
