#include "crypto/primitives.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace cs::crypto {
namespace {

std::string bin2base64(std::span<const std::uint8_t> bytes, int variant) {
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
  out.resize(out.size() - 1);  // the encoded length counts the terminating NUL
  return out;
}

std::optional<std::vector<std::uint8_t>> base642bin(std::string_view text, int variant) {
  std::vector<std::uint8_t> out(text.size() / 4 * 3 + 3);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace

void init() {
  if (sodium_init() < 0) {
    std::fputs("fatal: libsodium failed to initialise (no usable randomness source)\n", stderr);
    std::abort();
  }
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  init();
  std::vector<std::uint8_t> out(n);
  randombytes_buf(out.data(), out.size());
  return out;
}

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
  return bin2base64(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
  return base642bin(text, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  return bin2base64(bytes, sodium_base64_VARIANT_ORIGINAL);
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  return base642bin(text, sodium_base64_VARIANT_ORIGINAL);
}

std::string hex_encode(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  std::uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes.data(), bytes.size());
  return hex_encode(digest);
}

std::string sha256_hex(std::string_view text) { return sha256_hex(as_bytes(text)); }

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cs::crypto
