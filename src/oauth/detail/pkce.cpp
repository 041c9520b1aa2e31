#include "oauth/detail/pkce.hpp"

#include <cstdint>
#include <vector>

#include "crypto/primitives.hpp"

namespace cs::oauth::detail {
namespace {
bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}
int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }
}  // namespace

bool is_pkce_value(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v)
    if (!unreserved(c)) return false;
  return true;
}

std::string s256_challenge(std::string_view verifier) {
  std::string hex = crypto::sha256_hex(verifier);
  std::vector<std::uint8_t> bytes(hex.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<std::uint8_t>(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
  return crypto::base64url_encode(bytes);
}

bool verify_s256(std::string_view verifier, std::string_view challenge) {
  if (!is_pkce_value(verifier)) return false;
  return crypto::constant_time_equal(s256_challenge(verifier), challenge);
}

std::string url_encode(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(v.size());
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(ch)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace cs::oauth::detail
