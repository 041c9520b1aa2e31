#include "crypto/field_cipher.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include "crypto/primitives.hpp"

namespace cs::crypto {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kKeyBytes);

struct Parsed {
  std::string_view key_id;
  std::string_view payload;  // base64url(nonce || ciphertext)
};

std::optional<Parsed> parse(std::string_view stored) {
  if (stored.size() < kVersion.size() + 1 || stored.substr(0, kVersion.size()) != kVersion ||
      stored[kVersion.size()] != '.') {
    return std::nullopt;
  }
  std::string_view rest = stored.substr(kVersion.size() + 1);
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  return Parsed{rest.substr(0, dot), rest.substr(dot + 1)};
}

std::string associated_data(std::string_view key_id, const FieldContext& c) {
  return fmt::format("countersign:{}:{}:{}:{}:{}:{}:{}:{}", kVersion, key_id, c.table.size(),
                     c.table, c.column.size(), c.column, c.row_id.size(), c.row_id);
}

tl::unexpected<Error> undecryptable(std::string detail) {
  return fail(Errc::internal, "a stored secret could not be decrypted", std::move(detail));
}

std::string describe(const FieldContext& c) {
  return fmt::format("{}.{} row {}", c.table, c.column, c.row_id);
}

}  // namespace

std::optional<std::string_view> key_id_of(std::string_view stored) {
  auto parsed = parse(stored);
  if (!parsed) return std::nullopt;
  return parsed->key_id;
}

std::string FieldCipher::encrypt(std::string_view plaintext, const FieldContext& context) const {
  const MasterKey& key = ring_.active();
  const std::string ad = associated_data(key.id, context);
  std::vector<std::uint8_t> out(kNonceBytes + plaintext.size() + kTagBytes);
  std::uint8_t* nonce = out.data();
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long ciphertext_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.data() + kNonceBytes, &ciphertext_len,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
      key.bytes.data());
  out.resize(kNonceBytes + ciphertext_len);
  return fmt::format("{}.{}.{}", kVersion, key.id, base64url_encode(out));
}

Result<std::string> FieldCipher::decrypt(std::string_view stored,
                                         const FieldContext& context) const {
  auto parsed = parse(stored);
  if (!parsed) return undecryptable("malformed stored secret in " + describe(context));
  const MasterKey* key = ring_.find(parsed->key_id);
  if (key == nullptr) {
    return undecryptable(fmt::format("unknown key id \"{}\" in {} (is the key file current?)",
                                     parsed->key_id, describe(context)));
  }
  auto bytes = base64url_decode(parsed->payload);
  if (!bytes || bytes->size() < kNonceBytes + kTagBytes) {
    return undecryptable("malformed stored secret payload in " + describe(context));
  }
  const std::string ad = associated_data(key->id, context);
  std::string plaintext(bytes->size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long plaintext_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), &plaintext_len, nullptr,
          bytes->data() + kNonceBytes, bytes->size() - kNonceBytes,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), bytes->data(),
          key->bytes.data()) != 0) {
    return undecryptable("authentication failed for " + describe(context) +
                         " (tampered, or copied from another row/column/table)");
  }
  plaintext.resize(plaintext_len);
  return plaintext;
}

Result<std::string> FieldCipher::reencrypt(std::string_view stored,
                                           const FieldContext& context) const {
  std::string plaintext = CS_TRY(decrypt(stored, context));
  std::string out =
      key_id_of(stored) == ring_.active().id ? std::string(stored) : encrypt(plaintext, context);
  if (!plaintext.empty()) sodium_memzero(plaintext.data(), plaintext.size());
  return out;
}

}  // namespace cs::crypto
