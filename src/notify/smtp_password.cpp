#include "notify/smtp_password.hpp"

#include "store/database.hpp"
#include "store/params.hpp"

namespace cs::notify {
namespace {

const crypto::FieldContext kContext{kSettingsTable, kSecretColumn, kSmtpPasswordSetting};

}  // namespace

Status store_smtp_password(store::Connection& conn, const crypto::FieldCipher& cipher,
                           std::string_view password, const Clock& clock) {
  if (password.empty() || password.size() > 1024 ||
      password.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return fail(Errc::validation_failed,
                "The SMTP password must be one non-empty line of at most 1024 bytes");
  }
  const std::string stored = cipher.encrypt(password, kContext);
  const Micros now = clock.now();
  // Portable upsert: both backends support ON CONFLICT ... DO UPDATE.
  CS_CHECK(
      conn.exec("INSERT INTO platform_settings (name, value, secret_value, updated_at) VALUES ($1, "
                "NULL, $2, $3) "
                "ON CONFLICT (name) DO UPDATE SET secret_value = excluded.secret_value, updated_at "
                "= excluded.updated_at",
                store::params(kSmtpPasswordSetting, stored, now)));
  return {};
}

Result<bool> clear_smtp_password(store::Connection& conn) {
  auto n = CS_TRY(conn.exec("DELETE FROM platform_settings WHERE name = $1",
                            store::params(kSmtpPasswordSetting)));
  return n > 0;
}

Result<std::optional<std::string>> load_smtp_password(store::Database& db,
                                                      const crypto::FieldCipher& cipher) {
  auto conn = CS_TRY(db.connect());
  auto row = CS_TRY(conn->query_one("SELECT secret_value FROM platform_settings WHERE name = $1",
                                    store::params(kSmtpPasswordSetting)));
  if (!row || row->is_null(0)) return std::optional<std::string>{};
  auto plain = CS_TRY(cipher.decrypt(row->text(0), kContext));
  return std::optional<std::string>(std::move(plain));
}

}  // namespace cs::notify
