// Reviewer access to an instance of the partner's platform (issue 6 §3; requirement SEC-4;
// Adobe: "allow our reviewers to log into an instance"). The URL, user name, password and notes
// are stored as ONE FieldCipher ciphertext (cert_instance_access.credentials, associated data
// bound to the table, the column and the request id) and are shown only to the assigned
// certification engineer and security reviewer; the partner may replace them but never reads
// them back. `countersign keys rotate` re-encrypts the column (app/key_rotation.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/field_cipher.hpp"
#include "events/url_guard.hpp"
#include "store/database.hpp"

namespace cs::certification {

inline constexpr std::string_view kInstanceAccessTable = "cert_instance_access";
inline constexpr std::string_view kInstanceAccessColumn = "credentials";

struct InstanceAccessInput {
  std::string url;
  std::string username;
  std::string password;
  std::string notes;
};

struct InstanceAccess {
  std::string request_id;
  std::string url;
  std::string username;
  std::string password;
  std::string notes;
  std::string updated_by;
  Micros updated_at = 0;
};

// What everyone who may see the request sees: that access is given, and when.
struct InstanceAccessSummary {
  bool given = false;
  std::string updated_by;
  Micros updated_at = 0;
};

// validation_failed for a missing or overlong field; url_not_allowed when the URL is not https or
// names (or resolves to) a private, loopback or link-local target (events/url_guard; resolution
// blocks: call from a worker thread).
Status validate_instance_access(const InstanceAccessInput& input, const events::UrlPolicy& policy);

// Upsert of the encrypted row; the caller validated and authorised.
Status store_instance_access(store::Connection& conn, const crypto::FieldCipher& cipher, std::string_view request_id,
                             const InstanceAccessInput& input, std::string_view updated_by, Micros now);
Result<std::optional<InstanceAccessSummary>> load_instance_access_summary(store::Connection& conn,
                                                                          std::string_view request_id);
// not_found when none is stored.
Result<InstanceAccess> load_instance_access(store::Connection& conn, const crypto::FieldCipher& cipher,
                                            std::string_view request_id);

nlohmann::json to_json(const InstanceAccessSummary& s);
nlohmann::json to_json(const InstanceAccess& a);

}  // namespace cs::certification
