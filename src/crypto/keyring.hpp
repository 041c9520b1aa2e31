// The key ring: master keys for field encryption, plus the token-hash key (DESIGN.md
// "Security baseline"; issue 2 §4).
//
// Sources, in the order the app usually tries them:
//   * a configured value (env COUNTERSIGN_MASTER_KEYS, for secrets managers): the key-file JSON
//     below, either as JSON text or as standard base64 of it (KeyRing::from_value);
//   * a key file (a configured path, or <data-dir>/master-keys.json), created with mode 0600 on
//     first run (KeyRing::load_or_create). A key file that group or others can read is refused.
//
// Key file format (JSON; keys are standard base64 of 32 bytes; created_at is Unix microseconds):
//   {"format":"countersign-keyring-v1",
//    "active":"k2",
//    "keys":[{"id":"k1","created_at":1767225600000000,"key":"<base64>"},
//            {"id":"k2","created_at":1769904000000000,"key":"<base64>"}],
//    "token_hash_key":"<base64>"}
// Key ids match [A-Za-z0-9_-]{1,64} because they are embedded in stored ciphertexts.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::crypto {

inline constexpr std::size_t kKeyBytes = 32;

// One XChaCha20-Poly1305 master key. Its bytes are wiped when the object dies; copies (the
// ring's vector reallocating, a KeyRing copy) wipe their own bytes too.
struct MasterKey {
  std::string id;
  Micros created_at = 0;
  std::array<std::uint8_t, kKeyBytes> bytes{};

  MasterKey() = default;
  MasterKey(const MasterKey&) = default;
  MasterKey& operator=(const MasterKey&) = default;
  ~MasterKey();
};

// What `countersign keys list` may show: never key material.
struct KeyInfo {
  std::string id;
  Micros created_at = 0;
  bool active = false;
};

class KeyRing {
 public:
  // Loads the key file, or creates it (one fresh master key "k1" and a fresh token-hash key,
  // mode 0600, atomically; if another process wins the race to create it, loads theirs).
  static Result<KeyRing> load_or_create(const std::filesystem::path& file,
                                        const Clock& clock = default_clock());
  // Loads an existing key file; a missing file is an error.
  static Result<KeyRing> load(const std::filesystem::path& file);
  // Parses a configured value: the key-file JSON, or standard base64 of it.
  static Result<KeyRing> from_value(std::string_view value);
  // A fresh ring in memory only (tests, tools).
  static KeyRing generate(const Clock& clock = default_clock());

  KeyRing(const KeyRing&) = default;
  KeyRing(KeyRing&&) = default;
  KeyRing& operator=(const KeyRing&) = default;
  KeyRing& operator=(KeyRing&&) = default;
  ~KeyRing();

  // The key new ciphertexts are written with.
  const MasterKey& active() const;
  // Any key of the ring by id (old ciphertexts name the key they were written with).
  const MasterKey* find(std::string_view id) const;
  // Ids, creation times and which one is active, oldest first.
  std::vector<KeyInfo> list() const;

  // `countersign keys rotate`, step 1: generates a master key, makes it active and writes the
  // whole ring to `file` atomically (temp file, fsync, rename; mode 0600). The ring in memory
  // changes only once the file is written. Returns the new key id ("k<n+1>"). Old keys stay so
  // existing ciphertexts decrypt until step 2 (FieldCipher::reencrypt on every field) is done.
  Result<std::string> add_key(const std::filesystem::path& file,
                              const Clock& clock = default_clock());

  // The HMAC-SHA256 key ("pepper") for stored token and client-secret hashes.
  // Deliberately NOT rotated by add_key/`keys rotate`: a stored hash cannot be re-computed
  // without the original token, so changing this key would invalidate every access token,
  // refresh token, authorization code, session and client secret at once.
  std::span<const std::uint8_t, kKeyBytes> token_hash_key() const { return token_hash_key_; }

  // The ring in the key-file format above. It CONTAINS KEY MATERIAL: only for writing the key
  // file or handing the value to a secrets manager; never log it.
  std::string export_secret_json() const;

 private:
  KeyRing() = default;
  static const Clock& default_clock();
  static Result<KeyRing> parse(std::string_view json_text);
  std::string next_key_id() const;

  std::vector<MasterKey> keys_;
  std::string active_id_;
  std::array<std::uint8_t, kKeyBytes> token_hash_key_{};
};

}  // namespace cs::crypto
