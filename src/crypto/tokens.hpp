// Bearer tokens, refresh tokens, authorization codes, sessions and client secrets (DESIGN.md
// "Security baseline"): 256 random bits, base64url, behind a recognisable type prefix so
// secret scanners (and our own trace checker and log redaction) find leaked ones. The server
// stores only HMAC-SHA256(token_hash_key, token) and compares in constant time.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crypto/keyring.hpp"

namespace cs::crypto {

inline constexpr std::string_view kAccessTokenPrefix = "cs_at_";
inline constexpr std::string_view kRefreshTokenPrefix = "cs_rt_";
inline constexpr std::string_view kClientSecretPrefix = "cs_sk_";
inline constexpr std::string_view kAuthCodePrefix = "cs_ac_";
inline constexpr std::string_view kSessionPrefix = "cs_ss_";
// Standard Webhooks secrets: "whsec_" + standard base64 of the 32-byte signing key.
inline constexpr std::string_view kWebhookSecretPrefix = "whsec_";
inline constexpr std::string_view kSigningLinkPrefix = "cs_sg_";   // /sign/{token} (emailed link)
inline constexpr std::string_view kEmbeddedViewPrefix = "cs_ev_";  // one-time embedded signing URL

inline constexpr std::array<std::string_view, 8> kTokenPrefixes = {
    kAccessTokenPrefix, kRefreshTokenPrefix,  kClientSecretPrefix, kAuthCodePrefix,
    kSessionPrefix,     kWebhookSecretPrefix, kSigningLinkPrefix,  kEmbeddedViewPrefix};

inline constexpr std::size_t kTokenRandomBytes = 32;
inline constexpr std::size_t kTokenRandomChars = 43;  // base64url of 32 bytes, no padding

// prefix + base64url (no padding) of 32 random bytes: "cs_at_" + 43 characters.
std::string generate_token(std::string_view prefix);

// True when `text` starts with one of kTokenPrefixes (used for redaction and secret scanning).
bool has_countersign_token_prefix(std::string_view text);

// Lower-case hex HMAC-SHA256 of `message` under `key`, for other derived values (e.g. a CSRF
// token bound to a session id).
std::string hmac_hex(std::span<const std::uint8_t, kKeyBytes> key, std::string_view message);

// Hashes tokens for storage and checks presented ones. Cheap (one HMAC), so it suits the token
// endpoint's budget; Argon2 would be pointless for 256-bit random inputs.
class TokenHasher {
 public:
  explicit TokenHasher(std::span<const std::uint8_t, kKeyBytes> key);
  explicit TokenHasher(const KeyRing& ring) : TokenHasher(ring.token_hash_key()) {}
  TokenHasher(const TokenHasher&) = default;
  TokenHasher& operator=(const TokenHasher&) = default;
  ~TokenHasher();

  // 64 lower-case hex characters; store this, never the token.
  std::string hash(std::string_view token) const;
  // Constant-time comparison of hash(token) with a stored hash.
  bool matches(std::string_view token, std::string_view stored_hash) const;

 private:
  std::array<std::uint8_t, kKeyBytes> key_;
};

}  // namespace cs::crypto
