// Directory: partner orgs, accounts and the account's settings.
#include <algorithm>
#include <string>

#include "core/ids.hpp"
#include "identity/detail/records.hpp"
#include "identity/directory.hpp"
#include "identity/policy.hpp"
#include "identity/validation.hpp"
#include "store/database.hpp"

namespace cs::identity {

using detail::params;

Directory::Directory(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                     const crypto::PasswordHasher& hasher)
    : db_(db), clock_(clock), audit_(audit), hasher_(hasher) {}

Result<PartnerOrg> Directory::create_partner_org(const NewPartnerOrg& in, const Actor& actor) {
  PartnerOrg org;
  org.name = CS_TRY(validate_display_name(in.name, "name"));
  org.id = new_id("ptn");
  org.professional_services = in.professional_services;
  org.created_at = org.updated_at = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<PartnerOrg> {
    CS_TRY(conn.exec(
        "INSERT INTO partner_orgs (id, name, professional_services, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        params(org.id, org.name, org.professional_services, org.created_at, org.updated_at)));
    CS_CHECK(detail::record(
        audit_, conn, actor,
        {.action = "partner_org.created",
         .target_type = "partner_org",
         .target_id = org.id,
         .partner_org_id = org.id,
         .details = {{"name", org.name}, {"professional_services", org.professional_services}}}));
    return org;
  });
}

Result<PartnerOrg> Directory::get_partner_org(std::string_view id) {
  if (!is_valid_id(id, "ptn")) return detail::not_found("Partner org");
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(lease->query_one(
      "SELECT " + std::string(detail::kPartnerOrgColumns) + " FROM partner_orgs WHERE id = $1",
      params(id)));
  if (!row) return detail::not_found("Partner org");
  return detail::partner_org_from_row(*row);
}

Result<std::optional<PartnerOrg>> Directory::find_partner_org_by_name(std::string_view name) {
  auto lease = CS_TRY(db_.connect());
  auto rows =
      CS_TRY(lease->query("SELECT " + std::string(detail::kPartnerOrgColumns) +
                              " FROM partner_orgs WHERE name = $1 ORDER BY created_at, id LIMIT 1",
                          params(name)));
  if (rows.empty()) return std::optional<PartnerOrg>();
  return std::optional<PartnerOrg>(detail::partner_org_from_row(rows.front()));
}

Result<Account> Directory::create_account(const NewAccount& in, const Actor& actor) {
  Account account;
  account.name = CS_TRY(validate_display_name(in.name, "name"));
  account.environment = in.environment;
  account.partner_org_id = in.partner_org_id;
  if (account.partner_org_id && !is_valid_id(*account.partner_org_id, "ptn")) {
    return detail::not_found("Partner org", "partner_org_id");
  }
  account.id = new_id("acc");
  account.created_at = account.updated_at = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<Account> {
    if (account.partner_org_id) {
      auto org = CS_TRY(conn.query_one("SELECT id FROM partner_orgs WHERE id = $1",
                                       params(*account.partner_org_id)));
      if (!org) return detail::not_found("Partner org", "partner_org_id");
    }
    CS_TRY(conn.exec(
        "INSERT INTO accounts (id, name, environment, partner_org_id, allow_uncertified_apps, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $6)",
        params(account.id, account.name, to_string(account.environment), account.partner_org_id,
               account.created_at, account.updated_at)));
    nlohmann::json details = {{"name", account.name},
                              {"environment", to_string(account.environment)}};
    details["partner_org_id"] =
        account.partner_org_id ? nlohmann::json(*account.partner_org_id) : nlohmann::json();
    CS_CHECK(detail::record(audit_, conn, actor,
                            {.action = "account.created",
                             .target_type = "account",
                             .target_id = account.id,
                             .account_id = account.id,
                             .partner_org_id = account.partner_org_id.value_or(""),
                             .details = std::move(details)}));
    return account;
  });
}

Result<Account> Directory::get_account(std::string_view id) {
  if (!is_valid_id(id, "acc")) return detail::not_found("Account");
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(lease->query_one(
      "SELECT " + std::string(detail::kAccountColumns) + " FROM accounts WHERE id = $1",
      params(id)));
  if (!row) return detail::not_found("Account");
  return detail::account_from_row(*row);
}

Result<std::optional<Account>> Directory::find_account_by_name(std::string_view name) {
  auto lease = CS_TRY(db_.connect());
  auto rows =
      CS_TRY(lease->query("SELECT " + std::string(detail::kAccountColumns) +
                              " FROM accounts WHERE name = $1 ORDER BY created_at, id LIMIT 1",
                          params(name)));
  if (rows.empty()) return std::optional<Account>();
  return std::optional<Account>(detail::account_from_row(rows.front()));
}

Result<Account> Directory::set_allow_uncertified_apps(const Principal& actor,
                                                      std::string_view account_id, bool allow,
                                                      const RequestContext& request) {
  // Decide before touching storage: another tenant's id gets the same not_found as an unknown id.
  CS_CHECK(
      require(actor, Action::account_manage_settings, Resource::account(std::string(account_id))));
  Micros now = clock_.now();
  auto result = store::transact(db_, [&](store::Connection& conn) -> Result<Account> {
    // The compare-and-set makes "old value" exact even with two admins clicking at once.
    auto changed =
        CS_TRY(conn.query_one("UPDATE accounts SET allow_uncertified_apps = $1, updated_at = $2 "
                              "WHERE id = $3 AND allow_uncertified_apps <> $1 RETURNING " +
                                  std::string(detail::kAccountColumns),
                              params(allow, now, account_id)));
    if (!changed) {
      auto current = CS_TRY(conn.query_one(
          "SELECT " + std::string(detail::kAccountColumns) + " FROM accounts WHERE id = $1",
          params(account_id)));
      if (!current) return detail::not_found("Account");
      return detail::account_from_row(*current);
    }
    Account account = detail::account_from_row(*changed);
    CS_CHECK(detail::record(
        audit_, conn, Actor::user(actor.user_id, request),
        {.action = "account.settings.changed",
         .target_type = "account",
         .target_id = account.id,
         .account_id = account.id,
         .partner_org_id = account.partner_org_id.value_or(""),
         .details = {{"setting", "allow_uncertified_apps"}, {"old", !allow}, {"new", allow}}}));
    return account;
  });
  for (const auto& listener : access_setting_listeners_) listener(account_id);
  return result;
}

bool is_date_format(std::string_view pattern) {
  return std::find(std::begin(kDateFormats), std::end(kDateFormats), pattern) != std::end(kDateFormats);
}

Result<Account> Directory::set_date_format(const Principal& actor, std::string_view account_id,
                                           std::string_view date_format, const RequestContext& request) {
  CS_CHECK(
      require(actor, Action::account_manage_settings, Resource::account(std::string(account_id))));
  if (!is_date_format(date_format)) {
    return fail(Error(Errc::validation_failed, "date_format must be one of the supported patterns")
                    .with_field("date_format"));
  }
  Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<Account> {
    auto current = CS_TRY(conn.query_one(
        "SELECT " + std::string(detail::kAccountColumns) + " FROM accounts WHERE id = $1",
        params(account_id)));
    if (!current) return detail::not_found("Account");
    Account before = detail::account_from_row(*current);
    if (before.date_format == date_format) return before;
    auto changed = CS_TRY(conn.query_one("UPDATE accounts SET date_format = $1, updated_at = $2 WHERE id = $3 "
                                         "RETURNING " + std::string(detail::kAccountColumns),
                                         params(date_format, now, account_id)));
    Account account = detail::account_from_row(*changed);
    CS_CHECK(detail::record(
        audit_, conn, Actor::user(actor.user_id, request),
        {.action = "account.settings.changed",
         .target_type = "account",
         .target_id = account.id,
         .account_id = account.id,
         .partner_org_id = account.partner_org_id.value_or(""),
         .details = {{"setting", "date_format"}, {"old", before.date_format}, {"new", account.date_format}}}));
    return account;
  });
}

void Directory::on_access_setting_changed(std::function<void(std::string_view)> listener) {
  access_setting_listeners_.push_back(std::move(listener));
}

}  // namespace cs::identity
