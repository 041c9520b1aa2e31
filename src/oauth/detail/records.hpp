// Shared by the oauth services: bound parameters, row mapping for apps, audit entries.
#pragma once

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

inline store::Value to_value(std::string_view s) { return std::string(s); }
inline store::Value to_value(const std::string& s) { return s; }
inline store::Value to_value(const char* s) { return std::string(s); }
inline store::Value to_value(std::int64_t n) { return n; }
inline store::Value to_value(int n) { return std::int64_t{n}; }
inline store::Value to_value(bool b) { return std::int64_t{b ? 1 : 0}; }
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

// SELECT list for one app with its current and certified versions; pair with app_from_row.
extern const std::string kAppSelect;  // "SELECT ... FROM apps a JOIN ... " (append WHERE ...)
App app_from_row(const store::Row& row);

std::string redirect_uris_to_json(const std::vector<std::string>& uris);
std::vector<std::string> redirect_uris_from_json(const std::string& text);

struct AuditRecord {
  std::string action{};
  std::string target_type{};
  std::string target_id{};
  std::string account_id{};
  std::string partner_org_id{};
  nlohmann::json details = nlohmann::json::object();
};

// Appends on `conn`, inside the caller's transaction.
Status record(audit::AuditLog& log, store::Connection& conn, const identity::Actor& actor,
              AuditRecord rec);

nlohmann::json to_json(const AppConfiguration& c);
nlohmann::json to_json(const ConfigurationDiff& d);

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
