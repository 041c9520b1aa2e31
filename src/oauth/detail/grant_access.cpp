#include "oauth/detail/grant_access.hpp"

#include <algorithm>

#include "oauth/detail/records.hpp"

namespace cs::oauth::detail {

std::vector<std::string> GrantAccess::allowed_scopes(
    const std::vector<std::string>& requested) const {
  std::vector<std::string> out;
  for (const auto& s : requested)
    if (std::binary_search(version_scopes.begin(), version_scopes.end(), s)) out.push_back(s);
  return out;
}

GrantAccess grant_access_from_row(const store::Row& row, std::size_t i) {
  GrantAccess g;
  g.grant_id = row.text(i);
  g.user_id = row.text(i + 1);
  g.account_id = row.text(i + 2);
  g.grant_revoked = !row.is_null(i + 3);
  g.grant_last_used_at = row.opt_int64(i + 4);
  g.app_id = row.text(i + 5);
  g.client_id = row.text(i + 6);
  g.app_active = row.text(i + 7) == "active";
  g.inputs.app_partner_org_id = row.text(i + 8);
  g.inputs.environment = identity::parse_environment(row.text(i + 9)).value();
  g.inputs.account_partner_org_id = row.opt_text(i + 10);
  g.inputs.allow_uncertified_apps = row.int64(i + 11) != 0;
  g.inputs.status = parse_certification_status(row.text(i + 12)).value();
  g.version_scopes = split_scopes(row.text(i + 13));
  return g;
}

Status touch_grant(store::Connection& conn, const GrantAccess& g, Micros now) {
  if (g.grant_last_used_at && *g.grant_last_used_at > now - 60 * kMicrosPerSecond) return {};
  CS_TRY(conn.exec("UPDATE oauth_grants SET last_used_at = $1 WHERE id = $2",
                   params(now, g.grant_id)));
  return {};
}

}  // namespace cs::oauth::detail
