// Field encryption for secrets that must be read back (webhook signing secrets, partner-instance
// credentials, SMTP passwords): XChaCha20-Poly1305-IETF under the key ring's active master key
// (DESIGN.md "Security baseline").
//
// Stored form, one ASCII string safe for a TEXT column:
//     v1.<key_id>.<base64url(nonce[24] || ciphertext+tag)>
// The version and key id travel with the ciphertext, so old rows stay readable after a key
// rotation, and the random 24-byte nonce never repeats in practice.
//
// Associated data binds a ciphertext to where it is stored, so a value copied to another row,
// column or table (or relabelled with another key id) fails authentication:
//     "countersign:v1:" + key_id + ":" + len(table) + ":" + table + ":" + len(column) + ":" +
//     column + ":" + len(row_id) + ":" + row_id
// (decimal lengths make the encoding unambiguous whatever characters the parts contain).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "crypto/keyring.hpp"

namespace cs::crypto {

// Where a ciphertext lives. Use the real table and column names and the row's id.
struct FieldContext {
  std::string_view table;
  std::string_view column;
  std::string_view row_id;
};

// Where a fresh copy of the ring comes from (for a server: KeyRing::load of its key file).
using KeyRingSource = std::function<Result<KeyRing>()>;

class FieldCipher {
 public:
  // Keeps a reference: the ring must outlive the cipher.
  explicit FieldCipher(const KeyRing& ring);
  ~FieldCipher();
  FieldCipher(FieldCipher&&) noexcept;
  FieldCipher& operator=(FieldCipher&&) = delete;

  // A running server keeps its ring in memory, so after `countersign keys rotate` (another
  // process) it meets ciphertexts under a key it has never seen. With a source set, decrypt()
  // on an unknown key id reloads the ring once and retries; from then on encrypt() writes under
  // the reloaded ring's active key. Reloads are serialised and at most one per `min_interval`
  // (by `clock`), so values naming made-up key ids cannot force a file read per request.
  // Call before the cipher is shared between threads; `clock` must outlive the cipher.
  void enable_reload(KeyRingSource source, const Clock& clock,
                     Micros min_interval = 30 * kMicrosPerSecond);
  // Reloads attempted so far (successful or not).
  std::int64_t reload_count() const;

  // Encrypts under the active key. Never fails (libsodium AEAD cannot fail on valid sizes).
  std::string encrypt(std::string_view plaintext, const FieldContext& context) const;

  // Errc::internal with a detail (bad format, unknown key id, authentication failure) and a
  // generic public message. The error never contains plaintext or key material.
  Result<std::string> decrypt(std::string_view stored, const FieldContext& context) const;

  // `keys rotate`, step 2: decrypts with whichever key wrote `stored` and encrypts under the
  // active key. A value already under the active key is checked and returned unchanged.
  Result<std::string> reencrypt(std::string_view stored, const FieldContext& context) const;

 private:
  struct Reload;
  struct KeyRef;
  KeyRef active_key() const;
  Result<KeyRef> key_for(std::string_view id, const FieldContext& context) const;

  const KeyRing& ring_;
  std::unique_ptr<Reload> reload_;
};

// The key id a stored value names ("k1" for "v1.k1.xxx"); nullopt when malformed. Lets
// `keys rotate` find the rows still under an old key without decrypting.
std::optional<std::string_view> key_id_of(std::string_view stored);

}  // namespace cs::crypto
