// Shared by the identity services: mapping rows to structs and writing audit entries.
#pragma once

#include "identity/audit_record.hpp"
#include "store/params.hpp"

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
    "id, name, environment, partner_org_id, allow_uncertified_apps, created_at, updated_at, date_format";
inline constexpr std::string_view kUserColumns =
    "id, email, name, status, failed_login_count, locked_until, last_login_at, created_at, "
    "updated_at";

PartnerOrg partner_org_from_row(const store::Row& row);
Account account_from_row(const store::Row& row);
User user_from_row(const store::Row& row);

using identity::AuditRecord;
using identity::record;

inline std::int64_t as_int(bool b) { return b ? 1 : 0; }

// Errc::not_found with a public message naming the kind of thing.
tl::unexpected<Error> not_found(std::string_view what, std::string_view field = {});

}  // namespace cs::identity::detail

namespace cs::identity::detail {

using store::params;

}  // namespace cs::identity::detail
