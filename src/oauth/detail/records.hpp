// Shared by the oauth services: bound parameters, row mapping for apps, audit entries.
#pragma once

#include "identity/audit_record.hpp"
#include "store/params.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "identity/actor.hpp"
#include "oauth/app.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}

namespace cs::oauth::detail {

using store::params;

// SELECT list for one app with its current and certified versions; pair with app_from_row.
extern const std::string kAppSelect;  // "SELECT ... FROM apps a JOIN ... " (append WHERE ...)
App app_from_row(const store::Row& row);

std::string redirect_uris_to_json(const std::vector<std::string>& uris);
std::vector<std::string> redirect_uris_from_json(const std::string& text);

using identity::AuditRecord;
using identity::record;

using oauth::to_json;

// GrantSummary rows: SELECT kGrantSelect + WHERE ...; pair with grant_from_row.
extern const std::string kGrantSelect;
GrantSummary grant_from_row(const store::Row& row);

tl::unexpected<Error> not_found(std::string_view what);

// Ends grants and every token issued under them (the web layer's next request fails). Codes
// are not touched: exchanging one checks that its grant is still live. Returns grants ended.
Result<std::int64_t> revoke_grant_rows(store::Connection& conn, std::string_view grant_id,
                                       Micros now, std::string_view reason);
Result<std::int64_t> revoke_app_grant_rows(store::Connection& conn, std::string_view app_id,
                                           Micros now, std::string_view reason);

}  // namespace cs::oauth::detail
