// Shared by the identity services: mapping rows to structs and writing audit entries.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "identity/actor.hpp"
#include "identity/directory.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}

namespace cs::identity::detail {

// Column lists that match the row mappers below.
inline constexpr std::string_view kPartnerOrgColumns =
    "id, name, professional_services, created_at, updated_at";
inline constexpr std::string_view kAccountColumns =
    "id, name, environment, partner_org_id, allow_uncertified_apps, created_at, updated_at";
inline constexpr std::string_view kUserColumns =
    "id, email, name, status, failed_login_count, locked_until, last_login_at, created_at, "
    "updated_at";

PartnerOrg partner_org_from_row(const store::Row& row);
Account account_from_row(const store::Row& row);
User user_from_row(const store::Row& row);

// What one audit entry records besides the actor.
struct AuditRecord {
  std::string action{};  // "user.created", "account.settings.updated", ...
  std::string target_type{};
  std::string target_id{};
  std::string account_id{};
  std::string partner_org_id{};
  nlohmann::json details = nlohmann::json::object();
};

// Appends to the audit log on `conn`, inside the caller's transaction.
Status record(audit::AuditLog& log, store::Connection& conn, const Actor& actor, AuditRecord rec);

inline std::int64_t as_int(bool b) { return b ? 1 : 0; }

// Errc::not_found with a public message naming the kind of thing.
tl::unexpected<Error> not_found(std::string_view what, std::string_view field = {});

}  // namespace cs::identity::detail

namespace cs::identity::detail {

// Converts the C++ values services use into bound parameters.
inline store::Value to_value(std::string_view s) { return std::string(s); }
inline store::Value to_value(const std::string& s) { return s; }
inline store::Value to_value(const char* s) { return std::string(s); }
inline store::Value to_value(std::int64_t n) { return n; }
inline store::Value to_value(int n) { return std::int64_t{n}; }
inline store::Value to_value(bool b) { return as_int(b); }
inline store::Value to_value(std::nullptr_t) { return nullptr; }
inline store::Value to_value(const std::optional<std::string>& s) {
  return s ? store::Value(*s) : store::Value(nullptr);
}
inline store::Value to_value(const std::optional<std::int64_t>& n) {
  return n ? store::Value(*n) : store::Value(nullptr);
}

template <class... Args>
std::array<store::Value, sizeof...(Args)> params(const Args&... args) {
  return {to_value(args)...};
}

}  // namespace cs::identity::detail
