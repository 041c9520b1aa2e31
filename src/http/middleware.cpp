#include "http/middleware.hpp"

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
    if (!res.header("Content-Security-Policy")) {
      res.set_header("Content-Security-Policy", std::string(kDefaultCsp));
    }
    res.set_header("X-Frame-Options", "DENY");
  }
  if (tls) res.set_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
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
