#include "crypto/field_cipher.hpp"

#include <sodium.h>

#include <mutex>

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

struct FieldCipher::Reload {
  KeyRingSource source;
  const Clock* clock = nullptr;
  Micros min_interval = 0;
  std::mutex mu;  // guards everything below; held across a reload so reloads are serialised
  std::shared_ptr<const KeyRing> latest;
  std::optional<Micros> last_attempt;
  std::int64_t attempts = 0;

  std::shared_ptr<const KeyRing> current() {
    std::lock_guard lock(mu);
    return latest;
  }
};

// A key and whatever keeps it alive (a reloaded ring may be replaced while we use its key).
struct FieldCipher::KeyRef {
  std::shared_ptr<const KeyRing> holder;
  const MasterKey* key = nullptr;
};

FieldCipher::FieldCipher(const KeyRing& ring) : ring_(ring) {}
FieldCipher::~FieldCipher() = default;
FieldCipher::FieldCipher(FieldCipher&&) noexcept = default;

void FieldCipher::enable_reload(KeyRingSource source, const Clock& clock, Micros min_interval) {
  reload_ = std::make_unique<Reload>();
  reload_->source = std::move(source);
  reload_->clock = &clock;
  reload_->min_interval = min_interval;
}

std::int64_t FieldCipher::reload_count() const {
  if (!reload_) return 0;
  std::lock_guard lock(reload_->mu);
  return reload_->attempts;
}

FieldCipher::KeyRef FieldCipher::active_key() const {
  if (reload_) {
    if (auto latest = reload_->current()) {
      const MasterKey* key = &latest->active();
      return {std::move(latest), key};
    }
  }
  return {nullptr, &ring_.active()};
}

Result<FieldCipher::KeyRef> FieldCipher::key_for(std::string_view id,
                                                 const FieldContext& context) const {
  if (const MasterKey* key = ring_.find(id)) return KeyRef{nullptr, key};
  auto unknown = [&](std::string_view why) {
    return undecryptable(
        fmt::format("unknown key id \"{}\" in {} ({})", id, describe(context), why));
  };
  if (!reload_) return unknown("is the key file current?");
  std::lock_guard lock(reload_->mu);
  if (reload_->latest) {
    if (const MasterKey* key = reload_->latest->find(id)) return KeyRef{reload_->latest, key};
  }
  const Micros now = reload_->clock->now();
  if (reload_->last_attempt && now - *reload_->last_attempt < reload_->min_interval) {
    return unknown("not in the key file as of its last reload");
  }
  reload_->last_attempt = now;
  ++reload_->attempts;
  auto fresh = reload_->source();
  if (!fresh) return unknown("reloading the key ring failed: " + fresh.error().message());
  reload_->latest = std::make_shared<const KeyRing>(std::move(*fresh));
  if (const MasterKey* key = reload_->latest->find(id)) return KeyRef{reload_->latest, key};
  return unknown("not in the reloaded key file");
}

std::optional<std::string_view> key_id_of(std::string_view stored) {
  auto parsed = parse(stored);
  if (!parsed) return std::nullopt;
  return parsed->key_id;
}

std::string FieldCipher::encrypt(std::string_view plaintext, const FieldContext& context) const {
  const KeyRef ref = active_key();
  const MasterKey& key = *ref.key;
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
  const KeyRef ref = CS_TRY(key_for(parsed->key_id, context));
  const MasterKey* key = ref.key;
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
      key_id_of(stored) == active_key().key->id ? std::string(stored) : encrypt(plaintext, context);
  if (!plaintext.empty()) sodium_memzero(plaintext.data(), plaintext.size());
  return out;
}

}  // namespace cs::crypto
