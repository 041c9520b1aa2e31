// Directory: users, memberships, staff roles and the principal built from them.
#include <string>

#include "core/ids.hpp"
#include "crypto/password.hpp"
#include "identity/detail/records.hpp"
#include "identity/directory.hpp"
#include "identity/validation.hpp"
#include "store/database.hpp"

namespace cs::identity {

using detail::params;

namespace {

Status require_user(store::Connection& conn, std::string_view user_id) {
  if (!is_valid_id(user_id, "usr")) return detail::not_found("User", "user_id");
  auto row = CS_TRY(conn.query_one("SELECT id FROM users WHERE id = $1", params(user_id)));
  if (!row) return detail::not_found("User", "user_id");
  return {};
}

}  // namespace

Result<User> Directory::create_user(const NewUser& in, const Actor& actor) {
  User user;
  user.email = CS_TRY(validate_email(in.email));
  user.name = CS_TRY(validate_display_name(in.name, "name"));
  CS_CHECK(validate_password(in.password));
  // Argon2 runs before the transaction so no write lock is held during the expensive part.
  std::string password_hash = CS_TRY(hasher_.hash(in.password));
  user.id = new_id("usr");
  user.created_at = user.updated_at = clock_.now();
  auto created = store::transact(db_, [&](store::Connection& conn) -> Result<User> {
    CS_TRY(conn.exec(
        "INSERT INTO users (id, email, name, password_hash, status, failed_login_count, "
        "created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, 'active', 0, $5, $6)",
        params(user.id, user.email, user.name, password_hash, user.created_at, user.updated_at)));
    CS_CHECK(detail::record(audit_, conn, actor,
                            {.action = "user.created",
                             .target_type = "user",
                             .target_id = user.id,
                             .details = {{"email", user.email}, {"name", user.name}}}));
    return user;
  });
  if (!created && created.error().errc() == Errc::conflict) {
    return fail(
        Error(Errc::conflict, "A user with this email already exists", created.error().detail())
            .with_field("email"));
  }
  return created;
}

Result<User> Directory::get_user(std::string_view id) {
  if (!is_valid_id(id, "usr")) return detail::not_found("User");
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(lease->query_one(
      "SELECT " + std::string(detail::kUserColumns) + " FROM users WHERE id = $1", params(id)));
  if (!row) return detail::not_found("User");
  return detail::user_from_row(*row);
}

Result<std::optional<User>> Directory::find_user_by_email(std::string_view email) {
  auto lease = CS_TRY(db_.connect());
  auto row = CS_TRY(lease->query_one(
      "SELECT " + std::string(detail::kUserColumns) + " FROM users WHERE email = $1",
      params(normalize_email(email))));
  if (!row) return std::optional<User>();
  return std::optional<User>(detail::user_from_row(*row));
}

Result<User> Directory::set_user_status(std::string_view user_id, UserStatus status,
                                        const Actor& actor) {
  if (!is_valid_id(user_id, "usr")) return detail::not_found("User");
  Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<User> {
    auto before = CS_TRY(conn.query_one("SELECT status FROM users WHERE id = $1", params(user_id)));
    if (!before) return detail::not_found("User");
    std::string old_status = before->text(0);
    auto row = CS_TRY(
        conn.query_one("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3 RETURNING " +
                           std::string(detail::kUserColumns),
                       params(to_string(status), now, user_id)));
    if (!row) return detail::not_found("User");
    if (status == UserStatus::disabled) {
      CS_TRY(conn.exec("DELETE FROM sessions WHERE user_id = $1", params(user_id)));
    }
    if (old_status != to_string(status)) {
      CS_CHECK(detail::record(audit_, conn, actor,
                              {.action = "user.status_changed",
                               .target_type = "user",
                               .target_id = std::string(user_id),
                               .details = {{"old", old_status}, {"new", to_string(status)}}}));
    }
    return detail::user_from_row(*row);
  });
}

Result<bool> Directory::grant_account_role(std::string_view account_id, std::string_view user_id,
                                           AccountRole role, const Actor& actor) {
  if (!is_valid_id(account_id, "acc")) return detail::not_found("Account", "account_id");
  Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<bool> {
    auto account =
        CS_TRY(conn.query_one("SELECT id FROM accounts WHERE id = $1", params(account_id)));
    if (!account) return detail::not_found("Account", "account_id");
    CS_CHECK(require_user(conn, user_id));
    auto current = CS_TRY(conn.query_one(
        "SELECT role FROM account_memberships WHERE account_id = $1 AND user_id = $2",
        params(account_id, user_id)));
    if (current && current->text(0) == to_string(role)) return false;
    if (current) {
      CS_TRY(
          conn.exec("UPDATE account_memberships SET role = $1, updated_at = $2 WHERE account_id = "
                    "$3 AND user_id = $4",
                    params(to_string(role), now, account_id, user_id)));
    } else {
      CS_TRY(conn.exec(
          "INSERT INTO account_memberships (account_id, user_id, role, created_at, updated_at) "
          "VALUES ($1, $2, $3, $4, $4)",
          params(account_id, user_id, to_string(role), now)));
    }
    nlohmann::json details = {{"user_id", user_id}, {"role", to_string(role)}};
    details["previous_role"] = current ? nlohmann::json(current->text(0)) : nlohmann::json();
    CS_CHECK(detail::record(audit_, conn, actor,
                            {.action = "account.role.granted",
                             .target_type = "user",
                             .target_id = std::string(user_id),
                             .account_id = std::string(account_id),
                             .details = std::move(details)}));
    return true;
  });
}

Result<bool> Directory::grant_partner_role(std::string_view partner_org_id,
                                           std::string_view user_id, PartnerRole role,
                                           const Actor& actor) {
  if (!is_valid_id(partner_org_id, "ptn"))
    return detail::not_found("Partner org", "partner_org_id");
  Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<bool> {
    auto org =
        CS_TRY(conn.query_one("SELECT id FROM partner_orgs WHERE id = $1", params(partner_org_id)));
    if (!org) return detail::not_found("Partner org", "partner_org_id");
    CS_CHECK(require_user(conn, user_id));
    auto current = CS_TRY(conn.query_one(
        "SELECT role FROM partner_memberships WHERE partner_org_id = $1 AND user_id = $2",
        params(partner_org_id, user_id)));
    if (current && current->text(0) == to_string(role)) return false;
    if (current) {
      CS_TRY(
          conn.exec("UPDATE partner_memberships SET role = $1, updated_at = $2 WHERE "
                    "partner_org_id = $3 AND user_id = $4",
                    params(to_string(role), now, partner_org_id, user_id)));
    } else {
      CS_TRY(conn.exec(
          "INSERT INTO partner_memberships (partner_org_id, user_id, role, created_at, updated_at) "
          "VALUES ($1, $2, $3, $4, $4)",
          params(partner_org_id, user_id, to_string(role), now)));
    }
    nlohmann::json details = {{"user_id", user_id}, {"role", to_string(role)}};
    details["previous_role"] = current ? nlohmann::json(current->text(0)) : nlohmann::json();
    CS_CHECK(detail::record(audit_, conn, actor,
                            {.action = "partner.role.granted",
                             .target_type = "user",
                             .target_id = std::string(user_id),
                             .partner_org_id = std::string(partner_org_id),
                             .details = std::move(details)}));
    return true;
  });
}

Result<bool> Directory::grant_staff_role(std::string_view user_id, StaffRole role,
                                         const Actor& actor) {
  Micros now = clock_.now();
  return store::transact(db_, [&](store::Connection& conn) -> Result<bool> {
    CS_CHECK(require_user(conn, user_id));
    auto inserted =
        CS_TRY(conn.exec("INSERT INTO staff_roles (user_id, role, created_at) VALUES ($1, $2, $3) "
                         "ON CONFLICT (user_id, role) DO NOTHING",
                         params(user_id, to_string(role), now)));
    if (inserted == 0) return false;
    CS_CHECK(detail::record(audit_, conn, actor,
                            {.action = "staff.role.granted",
                             .target_type = "user",
                             .target_id = std::string(user_id),
                             .details = {{"role", to_string(role)}}}));
    return true;
  });
}

Result<bool> Directory::revoke_account_role(std::string_view account_id, std::string_view user_id,
                                            const Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<bool> {
    auto removed = CS_TRY(conn.query_one(
        "DELETE FROM account_memberships WHERE account_id = $1 AND user_id = $2 RETURNING role",
        params(account_id, user_id)));
    if (!removed) return false;
    CS_CHECK(detail::record(audit_, conn, actor,
                            {.action = "account.role.revoked",
                             .target_type = "user",
                             .target_id = std::string(user_id),
                             .account_id = std::string(account_id),
                             .details = {{"user_id", user_id}, {"role", removed->text(0)}}}));
    return true;
  });
}

Result<bool> Directory::revoke_partner_role(std::string_view partner_org_id,
                                            std::string_view user_id, const Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<bool> {
    auto removed = CS_TRY(conn.query_one(
        "DELETE FROM partner_memberships WHERE partner_org_id = $1 AND user_id = $2 RETURNING role",
        params(partner_org_id, user_id)));
    if (!removed) return false;
    CS_CHECK(detail::record(audit_, conn, actor,
                            {.action = "partner.role.revoked",
                             .target_type = "user",
                             .target_id = std::string(user_id),
                             .partner_org_id = std::string(partner_org_id),
                             .details = {{"user_id", user_id}, {"role", removed->text(0)}}}));
    return true;
  });
}

Result<bool> Directory::revoke_staff_role(std::string_view user_id, StaffRole role,
                                          const Actor& actor) {
  return store::transact(db_, [&](store::Connection& conn) -> Result<bool> {
    auto removed = CS_TRY(conn.exec("DELETE FROM staff_roles WHERE user_id = $1 AND role = $2",
                                    params(user_id, to_string(role))));
    if (removed == 0) return false;
    CS_CHECK(detail::record(audit_, conn, actor,
                            {.action = "staff.role.revoked",
                             .target_type = "user",
                             .target_id = std::string(user_id),
                             .details = {{"role", to_string(role)}}}));
    return true;
  });
}

namespace {

AccountMembership account_membership_from_row(const store::Row& row) {
  return {row.text(0), row.text(1), parse_account_role(row.text(2)).value(), row.int64(3)};
}

PartnerMembership partner_membership_from_row(const store::Row& row) {
  return {row.text(0), row.text(1), parse_partner_role(row.text(2)).value(), row.int64(3)};
}

template <class T, class F>
Result<std::vector<T>> map_rows(store::Database& db, std::string_view sql, std::string_view id,
                                F&& from_row) {
  auto lease = CS_TRY(db.connect());
  auto rows = CS_TRY(lease->query(sql, params(id)));
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(from_row(row));
  return out;
}

}  // namespace

Result<std::vector<AccountMembership>> Directory::list_account_members(
    std::string_view account_id) {
  return map_rows<AccountMembership>(
      db_,
      "SELECT account_id, user_id, role, created_at FROM account_memberships "
      "WHERE account_id = $1 ORDER BY created_at, user_id",
      account_id, account_membership_from_row);
}

Result<std::vector<AccountMembership>> Directory::list_user_accounts(std::string_view user_id) {
  return map_rows<AccountMembership>(
      db_,
      "SELECT account_id, user_id, role, created_at FROM account_memberships "
      "WHERE user_id = $1 ORDER BY created_at, account_id",
      user_id, account_membership_from_row);
}

Result<std::vector<PartnerMembership>> Directory::list_partner_members(
    std::string_view partner_org_id) {
  return map_rows<PartnerMembership>(
      db_,
      "SELECT partner_org_id, user_id, role, created_at FROM partner_memberships "
      "WHERE partner_org_id = $1 ORDER BY created_at, user_id",
      partner_org_id, partner_membership_from_row);
}

Result<std::vector<PartnerMembership>> Directory::list_user_partner_orgs(std::string_view user_id) {
  return map_rows<PartnerMembership>(
      db_,
      "SELECT partner_org_id, user_id, role, created_at FROM partner_memberships "
      "WHERE user_id = $1 ORDER BY created_at, partner_org_id",
      user_id, partner_membership_from_row);
}

Result<std::vector<StaffRole>> Directory::list_staff_roles(std::string_view user_id) {
  return map_rows<StaffRole>(
      db_, "SELECT role FROM staff_roles WHERE user_id = $1 ORDER BY role", user_id,
      [](const store::Row& row) { return parse_staff_role(row.text(0)).value(); });
}

Result<Principal> Directory::load_principal(std::string_view user_id) {
  if (!is_valid_id(user_id, "usr")) return detail::not_found("User");
  auto lease = CS_TRY(db_.connect());
  store::Connection& conn = *lease;
  auto user = CS_TRY(conn.query_one("SELECT id FROM users WHERE id = $1", params(user_id)));
  if (!user) return detail::not_found("User");
  Principal p;
  p.user_id = std::string(user_id);
  for (const auto& row :
       CS_TRY(conn.query("SELECT role FROM staff_roles WHERE user_id = $1", params(user_id)))) {
    p.staff_roles.insert(parse_staff_role(row.text(0)).value());
  }
  for (const auto& row :
       CS_TRY(conn.query("SELECT account_id, role FROM account_memberships WHERE user_id = $1",
                         params(user_id)))) {
    p.account_roles.emplace(row.text(0), parse_account_role(row.text(1)).value());
  }
  for (const auto& row :
       CS_TRY(conn.query("SELECT partner_org_id, role FROM partner_memberships WHERE user_id = $1",
                         params(user_id)))) {
    p.partner_roles.emplace(row.text(0), parse_partner_role(row.text(1)).value());
  }
  return p;
}

}  // namespace cs::identity
