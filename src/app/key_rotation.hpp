// `countersign keys rotate`, step 2: re-encrypt every encrypted field under the active key.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "crypto/field_cipher.hpp"
#include "store/database.hpp"

namespace cs::app {

// A column holding FieldCipher ciphertexts. The associated data of each value names this
// table and column and the row's id, so the registry must match what the writer used.
struct EncryptedColumn {
  std::string_view table;
  std::string_view id_column;
  std::string_view column;
};

// Every encrypted column of the schema. Each service that stores a recoverable secret adds its
// column here (webhook signing secrets, partner-instance credentials, SMTP passwords).
std::span<const EncryptedColumn> encrypted_columns();

struct RotationReport {
  std::int64_t reencrypted = 0;
  std::int64_t already_current = 0;
};

// Re-encrypts, in batches of short transactions, every value of `columns` that is not yet
// under the active key. A value changed concurrently is left for the next run (compare-and-set
// on the old ciphertext), so the command is safe against a running server and restartable.
Result<RotationReport> reencrypt_columns(store::Database& db, const crypto::FieldCipher& cipher,
                                         std::string_view active_key_id, std::span<const EncryptedColumn> columns);

}  // namespace cs::app
