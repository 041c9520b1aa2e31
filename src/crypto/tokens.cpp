#include "crypto/tokens.hpp"

#include <sodium.h>

#include <algorithm>

#include "crypto/primitives.hpp"

namespace cs::crypto {

std::string generate_token(std::string_view prefix) {
  init();
  std::array<std::uint8_t, kTokenRandomBytes> random{};
  randombytes_buf(random.data(), random.size());
  std::string token(prefix);
  token += base64url_encode(random);
  return token;
}

bool has_countersign_token_prefix(std::string_view text) {
  return std::any_of(kTokenPrefixes.begin(), kTokenPrefixes.end(), [&](std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
  });
}

std::string hmac_hex(std::span<const std::uint8_t, kKeyBytes> key, std::string_view message) {
  static_assert(crypto_auth_hmacsha256_KEYBYTES == kKeyBytes);
  std::uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(message.data()),
                         message.size(), key.data());
  return hex_encode(mac);
}

TokenHasher::TokenHasher(std::span<const std::uint8_t, kKeyBytes> key) {
  std::copy(key.begin(), key.end(), key_.begin());
}

TokenHasher::~TokenHasher() { sodium_memzero(key_.data(), key_.size()); }

std::string TokenHasher::hash(std::string_view token) const { return hmac_hex(key_, token); }

bool TokenHasher::matches(std::string_view token, std::string_view stored_hash) const {
  return constant_time_equal(hash(token), stored_hash);
}

}  // namespace cs::crypto
