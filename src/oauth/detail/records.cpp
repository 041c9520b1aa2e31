#include "oauth/detail/records.hpp"

#include "audit/audit_log.hpp"

namespace cs::oauth::detail {
namespace {

constexpr std::string_view kVersionCols =
    "{0}.id, {0}.number, {0}.scopes, {0}.redirect_uris, "
    "{0}.functions, {0}.certification, {0}.created_at";

std::string version_cols(std::string_view alias) {
  std::string out(kVersionCols);
  for (std::size_t p; (p = out.find("{0}")) != std::string::npos;) out.replace(p, 3, alias);
  return out;
}

std::vector<std::string> split_words(const std::string& s) { return split_scopes(s); }

AppVersion version_from_row(const store::Row& row, std::size_t i) {
  AppVersion v;
  v.id = row.text(i);
  v.number = static_cast<int>(row.int64(i + 1));
  v.config.scopes = split_words(row.text(i + 2));
  v.config.redirect_uris = redirect_uris_from_json(row.text(i + 3));
  v.config.functions = split_words(row.text(i + 4));
  v.certification = parse_certification_status(row.text(i + 5)).value();
  v.created_at = row.int64(i + 6);
  return v;
}

}  // namespace

const std::string kAppSelect =
    "SELECT a.id, a.client_id, a.partner_org_id, a.name, a.description, a.documentation_url, "
    "a.support_url, a.client_type, a.status, a.created_at, a.updated_at, " +
    version_cols("c") + ", " + version_cols("v") +
    " FROM apps a JOIN app_versions c ON c.id = a.current_version_id"
    " LEFT JOIN app_versions v ON v.id = a.certified_version_id ";

App app_from_row(const store::Row& row) {
  App app;
  app.id = row.text(0);
  app.client_id = row.text(1);
  app.partner_org_id = row.text(2);
  app.name = row.text(3);
  app.description = row.text(4);
  app.documentation_url = row.text(5);
  app.support_url = row.text(6);
  app.client_type = parse_client_type(row.text(7)).value();
  app.status = parse_app_status(row.text(8)).value();
  app.created_at = row.int64(9);
  app.updated_at = row.int64(10);
  app.current = version_from_row(row, 11);
  if (!row.is_null(18)) app.certified = version_from_row(row, 18);
  return app;
}

std::string redirect_uris_to_json(const std::vector<std::string>& uris) {
  return nlohmann::json(uris).dump();
}

std::vector<std::string> redirect_uris_from_json(const std::string& text) {
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

const std::string kGrantSelect =
    "SELECT g.id, g.app_id, a.name, a.client_id, a.partner_org_id, p.name, g.user_id, u.email, "
    "g.account_id, acc.name, g.scopes, g.created_at, g.last_used_at "
    "FROM oauth_grants g JOIN apps a ON a.id = g.app_id "
    "JOIN partner_orgs p ON p.id = a.partner_org_id JOIN users u ON u.id = g.user_id "
    "JOIN accounts acc ON acc.id = g.account_id ";

GrantSummary grant_from_row(const store::Row& row) {
  GrantSummary g;
  g.id = row.text(0);
  g.app_id = row.text(1);
  g.app_name = row.text(2);
  g.client_id = row.text(3);
  g.partner_org_id = row.text(4);
  g.partner_org_name = row.text(5);
  g.user_id = row.text(6);
  g.user_email = row.text(7);
  g.account_id = row.text(8);
  g.account_name = row.text(9);
  g.scopes = split_scopes(row.text(10));
  g.created_at = row.int64(11);
  g.last_used_at = row.opt_int64(12);
  return g;
}

tl::unexpected<Error> not_found(std::string_view what) {
  return tl::unexpected(Error(Errc::not_found, std::string(what) + " not found"));
}

Result<std::int64_t> revoke_grant_rows(store::Connection& conn, std::string_view grant_id,
                                       Micros now, std::string_view reason) {
  CS_TRY(conn.exec(
      "UPDATE oauth_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL",
      params(now, grant_id)));
  return conn.exec(
      "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2, updated_at = $1 "
      "WHERE id = $3 AND revoked_at IS NULL",
      params(now, reason, grant_id));
}

Result<std::int64_t> revoke_app_grant_rows(store::Connection& conn, std::string_view app_id,
                                           Micros now, std::string_view reason) {
  CS_TRY(
      conn.exec("UPDATE oauth_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND grant_id IN "
                "(SELECT id FROM oauth_grants WHERE app_id = $2 AND revoked_at IS NULL)",
                params(now, app_id)));
  return conn.exec(
      "UPDATE oauth_grants SET revoked_at = $1, revoked_reason = $2, updated_at = $1 "
      "WHERE app_id = $3 AND revoked_at IS NULL",
      params(now, reason, app_id));
}

}  // namespace cs::oauth::detail
