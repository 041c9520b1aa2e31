#include "events/webhook_signature.hpp"

#include <sodium.h>

#include "crypto/primitives.hpp"
#include "crypto/tokens.hpp"

namespace cs::events {

namespace {
constexpr std::size_t kSecretBytes = 32;
}

std::string generate_webhook_secret() {
  auto key = crypto::random_bytes(kSecretBytes);
  std::string secret = std::string(crypto::kWebhookSecretPrefix) + crypto::base64_encode(key);
  sodium_memzero(key.data(), key.size());
  return secret;
}

std::optional<std::vector<std::uint8_t>> webhook_secret_key(std::string_view secret) {
  if (secret.substr(0, crypto::kWebhookSecretPrefix.size()) != crypto::kWebhookSecretPrefix) return std::nullopt;
  auto key = crypto::base64_decode(secret.substr(crypto::kWebhookSecretPrefix.size()));
  if (!key || key->empty()) return std::nullopt;
  return key;
}

std::string sign_webhook(std::span<const std::uint8_t> key, std::string_view msg_id, std::int64_t timestamp_s,
                         std::string_view body) {
  crypto::init();
  crypto_auth_hmacsha256_state state;
  // The key may be any length (Standard Webhooks secrets are usually 24 or 32 bytes), so the
  // streaming API, which hashes long keys as HMAC requires, rather than crypto_auth_hmacsha256.
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  std::string ts = std::to_string(timestamp_s);
  auto update = [&state](std::string_view part) {
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  };
  update(msg_id);
  update(".");
  update(ts);
  update(".");
  update(body);
  std::uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  return "v1," + crypto::base64_encode(mac);
}

std::string webhook_signature_header(const std::vector<std::vector<std::uint8_t>>& keys, std::string_view msg_id,
                                     std::int64_t timestamp_s, std::string_view body) {
  std::string out;
  for (const auto& key : keys) {
    if (!out.empty()) out += ' ';
    out += sign_webhook(key, msg_id, timestamp_s, body);
  }
  return out;
}

}  // namespace cs::events
