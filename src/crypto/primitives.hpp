// Small building blocks on libsodium shared by the rest of src/crypto and by callers that need
// randomness, digests or encodings (blob store addresses, audit chain, CSRF tokens).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cs::crypto {

// Initialises libsodium. Call once at startup, before any other function here (idempotent
// and thread-safe; every other entry point calls it too, so forgetting it is not fatal).
// Aborts the process with a message on stderr if libsodium cannot initialise: running
// without a working CSPRNG is never acceptable.
void init();

std::vector<std::uint8_t> random_bytes(std::size_t n);

// RFC 4648 §5 base64url without padding, the form used in tokens and stored ciphertexts.
std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);
// Standard base64 with padding (key files, configuration values).
std::string base64_encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

std::string hex_encode(std::span<const std::uint8_t> bytes);

// Lower-case hex SHA-256.
std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view text);

// Equality without a data-dependent early exit (the length is not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace cs::crypto
