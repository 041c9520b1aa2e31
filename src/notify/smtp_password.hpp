// The SMTP password at rest (DESIGN.md "Security baseline"): a FieldCipher ciphertext in
// platform_settings (migration 0008), bound by its associated data to that table, column and
// row. It is read at each delivery, so `countersign smtp set-password` takes effect on a
// running server without a restart.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/field_cipher.hpp"

namespace cs::store {
class Connection;
class Database;
}  // namespace cs::store

namespace cs::notify {

inline constexpr std::string_view kSettingsTable = "platform_settings";
inline constexpr std::string_view kSecretColumn = "secret_value";
inline constexpr std::string_view kSmtpPasswordSetting = "smtp.password";

// Stores (or replaces) the password on `conn`, inside the caller's transaction. An empty
// password, or one with a line break or NUL, is Errc::validation_failed.
Status store_smtp_password(store::Connection& conn, const crypto::FieldCipher& cipher,
                           std::string_view password, const Clock& clock);
// Removes it; answers whether there was one.
Result<bool> clear_smtp_password(store::Connection& conn);
// The decrypted password, or nullopt when none is set.
Result<std::optional<std::string>> load_smtp_password(store::Database& db,
                                                      const crypto::FieldCipher& cipher);

}  // namespace cs::notify
