// The Standard Webhooks signature scheme (https://www.standardwebhooks.com, DESIGN.md
// "Webhooks"): pure functions, no I/O.
//
//   secret            "whsec_" + standard base64 of 32 random bytes (the HMAC key)
//   webhook-signature "v1," + base64(HMAC-SHA256(key, msg_id + "." + timestamp + "." + body))
//
// Several signatures are separated by spaces; receivers accept a message when any one of them
// verifies. That is how a rotated secret keeps working for 24 h: both are sent.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cs::events {

// A fresh secret: "whsec_" + base64(32 random bytes).
std::string generate_webhook_secret();

// The HMAC key of a "whsec_..." secret; nullopt when the prefix or the base64 is wrong.
std::optional<std::vector<std::uint8_t>> webhook_secret_key(std::string_view secret);

// "v1,<base64 signature>" of one message under one key.
std::string sign_webhook(std::span<const std::uint8_t> key, std::string_view msg_id, std::int64_t timestamp_s,
                         std::string_view body);

// The `webhook-signature` header value: one "v1,..." per key, in order, space-separated.
std::string webhook_signature_header(const std::vector<std::vector<std::uint8_t>>& keys, std::string_view msg_id,
                                     std::int64_t timestamp_s, std::string_view body);

}  // namespace cs::events
