// What every token issue and every bearer check reads about a grant in the same row: the
// grant, its app, its account and the app's effective version for that account's environment
// (the CURRENT certification and the CURRENT account setting, DESIGN.md "Access rule").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "oauth/access_rule.hpp"
#include "store/database.hpp"

namespace cs::oauth::detail {

// Append to a SELECT list; needs a table aliased `t` with a grant_id column in FROM, then
// kGrantAccessJoin.
inline constexpr std::string_view kGrantAccessColumns =
    "g.id, g.user_id, g.account_id, g.revoked_at, g.last_used_at, a.id, a.client_id, a.status, "
    "a.partner_org_id, acc.environment, acc.partner_org_id, acc.allow_uncertified_apps, "
    "v.certification, v.scopes";
inline constexpr std::size_t kGrantAccessColumnCount = 14;

// Sandbox uses the current version; production the certified one when there is one.
inline constexpr std::string_view kGrantAccessJoin =
    " JOIN oauth_grants g ON g.id = t.grant_id JOIN apps a ON a.id = g.app_id"
    " JOIN accounts acc ON acc.id = g.account_id"
    " JOIN app_versions v ON v.id = CASE WHEN acc.environment = 'production' AND"
    " a.certified_version_id IS NOT NULL THEN a.certified_version_id"
    " ELSE a.current_version_id END ";

struct GrantAccess {
  std::string grant_id, user_id, account_id;
  bool grant_revoked = false;
  std::optional<Micros> grant_last_used_at;
  std::string app_id, client_id;
  bool app_active = false;
  AccessInputs inputs;
  std::vector<std::string> version_scopes;  // the effective version's scopes, sorted

  AccessVerdict verdict() const { return decide_access(inputs); }
  // Requested scopes the effective version still allows (scope removal applies at once).
  std::vector<std::string> allowed_scopes(const std::vector<std::string>& requested) const;
};

GrantAccess grant_access_from_row(const store::Row& row, std::size_t first);

// Refreshes oauth_grants.last_used_at at most once a minute, so the hot paths mostly only read.
Status touch_grant(store::Connection& conn, const GrantAccess& g, Micros now);

}  // namespace cs::oauth::detail
