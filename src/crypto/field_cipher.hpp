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

class FieldCipher {
 public:
  // Keeps a reference: the ring must outlive the cipher.
  explicit FieldCipher(const KeyRing& ring) : ring_(ring) {}

  // Encrypts under the active key. Never fails (libsodium AEAD cannot fail on valid sizes).
  std::string encrypt(std::string_view plaintext, const FieldContext& context) const;

  // Errc::internal with a detail (bad format, unknown key id, authentication failure) and a
  // generic public message. The error never contains plaintext or key material.
  Result<std::string> decrypt(std::string_view stored, const FieldContext& context) const;

  // `keys rotate`, step 2: decrypts with whichever key wrote `stored` and encrypts under the
  // active key. A value already under the active key is checked and returned unchanged.
  Result<std::string> reencrypt(std::string_view stored, const FieldContext& context) const;

 private:
  const KeyRing& ring_;
};

// The key id a stored value names ("k1" for "v1.k1.xxx"); nullopt when malformed. Lets
// `keys rotate` find the rows still under an old key without decrypting.
std::optional<std::string_view> key_id_of(std::string_view stored);

}  // namespace cs::crypto
