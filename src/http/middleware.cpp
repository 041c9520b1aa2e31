#include "http/middleware.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include <sodium.h>

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

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

std::string access_log_line(const AccessLogEntry& e) {
  auto str = [](std::string_view v) { return std::string(v); };
  nlohmann::json line = {
      {"ts", cs::format_rfc3339(cs::SystemClock().now())},
      {"request_id", str(e.request_id)},
      {"method", str(e.method)},
      {"path", str(e.path)},
      {"route", str(e.route)},
      {"status", e.status},
      {"latency_us", e.latency.count()},
      {"bytes_in", e.bytes_in},
      {"bytes_out", e.bytes_out},
      {"remote_ip", str(e.remote_ip)},
      {"user_agent", str(e.user_agent)},
  };
  // User-Agent and path are attacker-controlled bytes: replace, never throw, in the log.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace http
