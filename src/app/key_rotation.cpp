#include "app/key_rotation.hpp"

#include <vector>

namespace cs::app {

std::span<const EncryptedColumn> encrypted_columns() {
  // Each service that stores a recoverable secret registers its column here.
  static const std::vector<EncryptedColumn> kColumns{
      {"platform_settings", "name", "secret_value"},  // SMTP password (src/notify/smtp_password)
      {"webhook_subscriptions", "id", "secret"},           // webhook signing secrets (src/events)
      {"webhook_subscriptions", "id", "previous_secret"},  // the pre-rotation secret, for 24 h
      {"cert_instance_access", "request_id", "credentials"},  // partner instance access (src/certification)
      {"seal_identities", "id", "ca_private_key"},         // the sealing CA's key (src/seal)
      {"seal_identities", "id", "private_key"},            // the sealing certificate's key (src/seal)
  };
  return kColumns;
}

Result<RotationReport> reencrypt_columns(store::Database& db, const crypto::FieldCipher& cipher,
                                         std::string_view active, std::span<const EncryptedColumn> columns) {
  RotationReport report;
  constexpr int kBatch = 200;
  for (const auto& col : columns) {
    // Identifiers come from the compiled-in registry, never from input.
    std::string select = "SELECT " + std::string(col.id_column) + ", " + std::string(col.column) + " FROM " +
                         std::string(col.table) + " WHERE " + std::string(col.column) + " IS NOT NULL AND " +
                         std::string(col.id_column) + " > $1 ORDER BY " + std::string(col.id_column) + " LIMIT " +
                         std::to_string(kBatch);
    std::string update = "UPDATE " + std::string(col.table) + " SET " + std::string(col.column) + " = $1 WHERE " +
                         std::string(col.id_column) + " = $2 AND " + std::string(col.column) + " = $3";
    std::string after;
    while (true) {
      auto batch = store::transact(db, [&](store::Connection& conn) -> Result<std::size_t> {
        std::vector<store::Value> params{after};
        auto rows = CS_TRY(conn.query(select, params));
        for (const auto& row : rows) {
          const std::string& id = row.text(0);
          const std::string& stored = row.text(1);
          after = id;
          if (crypto::key_id_of(stored) == std::optional<std::string_view>(active)) {
            ++report.already_current;
            continue;
          }
          auto fresh = CS_TRY(cipher.reencrypt(stored, {col.table, col.column, id}));
          std::vector<store::Value> up{fresh, id, stored};
          if (CS_TRY(conn.exec(update, up)) == 1) ++report.reencrypted;
        }
        return rows.size();
      });
      if (!batch) return fail(batch.error());
      if (*batch < static_cast<std::size_t>(kBatch)) break;
    }
  }
  return report;
}

}  // namespace cs::app
