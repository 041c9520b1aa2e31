// The directory of partner orgs, customer accounts, users and their roles (issue 2 §5).
//
// Every create, grant and setting change is written together with its audit entry in one
// transaction. Reads here are by id and not tenant-scoped: the caller authorises first with
// policy.hpp (load_principal + decide/require). The operator CLI and the demo seed call this
// directly; get/find functions let them skip what already exists, and grants are idempotent.
//
// Errors: invalid input -> Errc::validation_failed with the field; unknown ids ->
// Errc::not_found; a duplicate e-mail address -> Errc::conflict. Nothing is written on error.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "identity/principal.hpp"
#include "identity/roles.hpp"

namespace cs::store {
class Database;
}
namespace cs::audit {
class AuditLog;
}
namespace cs::crypto {
class PasswordHasher;
}

namespace cs::identity {

struct PartnerOrg {
  std::string id;  // ptn_...
  std::string name;
  bool professional_services = false;
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct Account {
  std::string id;  // acc_...
  std::string name;
  Environment environment = Environment::sandbox;
  std::optional<std::string> partner_org_id;  // the partner org that owns the account, if any
  bool allow_uncertified_apps = false;
  Micros created_at = 0;
  Micros updated_at = 0;
  // How dates appear in this account's completed documents (issue 7): one of kDateFormats.
  std::string date_format = "YYYY-MM-DD";
};

// The date patterns an account may choose (accounts.date_format, migration 0015).
inline constexpr std::string_view kDateFormats[] = {"YYYY-MM-DD", "MM/DD/YYYY", "DD/MM/YYYY",
                                                    "DD.MM.YYYY", "D MMMM YYYY", "MMMM D, YYYY"};
bool is_date_format(std::string_view pattern);

// A user as the rest of the system sees it: the password hash never leaves the identity module.
struct User {
  std::string id;     // usr_...
  std::string email;  // normalised
  std::string name;
  UserStatus status = UserStatus::active;
  std::int64_t failed_login_count = 0;
  std::optional<Micros> locked_until;
  std::optional<Micros> last_login_at;
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct AccountMembership {
  std::string account_id;
  std::string user_id;
  AccountRole role = AccountRole::sender;
  Micros created_at = 0;
};

struct PartnerMembership {
  std::string partner_org_id;
  std::string user_id;
  PartnerRole role = PartnerRole::partner_developer;
  Micros created_at = 0;
};

struct NewPartnerOrg {
  std::string name;
  bool professional_services = false;
};

struct NewAccount {
  std::string name;
  Environment environment = Environment::sandbox;
  std::optional<std::string> partner_org_id;  // must exist when given
};

struct NewUser {
  std::string email;
  std::string name;
  std::string password;  // hashed with Argon2id; never stored or logged in clear
};

class Directory {
 public:
  Directory(store::Database& db, const Clock& clock, audit::AuditLog& audit,
            const crypto::PasswordHasher& hasher);

  // --- partner orgs ---
  Result<PartnerOrg> create_partner_org(const NewPartnerOrg& in, const Actor& actor);
  Result<PartnerOrg> get_partner_org(std::string_view id);
  // The oldest org with exactly this name (names are not unique; the seed uses it to skip).
  Result<std::optional<PartnerOrg>> find_partner_org_by_name(std::string_view name);

  // --- accounts ---
  Result<Account> create_account(const NewAccount& in, const Actor& actor);
  Result<Account> get_account(std::string_view id);
  Result<std::optional<Account>> find_account_by_name(std::string_view name);

  // DESIGN.md "Access rule": "Allow uncertified partner applications to access data from this
  // account". Only an admin of this account may change it: Errc::forbidden for anyone else who
  // can see the account (its senders, the operator), Errc::not_found for everyone else. Every
  // change is audited with the old and new value; setting the current value writes nothing.
  Result<Account> set_allow_uncertified_apps(const Principal& actor, std::string_view account_id,
                                             bool allow, const RequestContext& request);
  // The account's date format for completed documents; same authorisation and audit as the
  // access setting. A pattern outside kDateFormats is Errc::validation_failed ("date_format").
  Result<Account> set_date_format(const Principal& actor, std::string_view account_id,
                                  std::string_view date_format, const RequestContext& request);
  // Called with the account id after every set_allow_uncertified_apps() that got past
  // authorisation, once its transaction has ended. The OAuth bearer cache registers here (its
  // AuthorizationServer constructor), so turning the setting off applies to the very next API
  // call without identity knowing about OAuth. Register while wiring, before serving.
  void on_access_setting_changed(std::function<void(std::string_view account_id)> listener);

  // --- users ---
  Result<User> create_user(const NewUser& in, const Actor& actor);
  Result<User> get_user(std::string_view id);
  // Looks the address up in its normalised form; nullopt when there is no such user.
  Result<std::optional<User>> find_user_by_email(std::string_view email);
  // Disabling a user also ends all of their sessions.
  Result<User> set_user_status(std::string_view user_id, UserStatus status, const Actor& actor);

  // --- roles (idempotent: true when something changed) ---
  // One role per user and account; granting another role replaces it.
  Result<bool> grant_account_role(std::string_view account_id, std::string_view user_id,
                                  AccountRole role, const Actor& actor);
  Result<bool> grant_partner_role(std::string_view partner_org_id, std::string_view user_id,
                                  PartnerRole role, const Actor& actor);
  Result<bool> grant_staff_role(std::string_view user_id, StaffRole role, const Actor& actor);
  Result<bool> revoke_account_role(std::string_view account_id, std::string_view user_id,
                                   const Actor& actor);
  Result<bool> revoke_partner_role(std::string_view partner_org_id, std::string_view user_id,
                                   const Actor& actor);
  Result<bool> revoke_staff_role(std::string_view user_id, StaffRole role, const Actor& actor);

  Result<std::vector<AccountMembership>> list_account_members(std::string_view account_id);
  Result<std::vector<AccountMembership>> list_user_accounts(std::string_view user_id);
  Result<std::vector<PartnerMembership>> list_partner_members(std::string_view partner_org_id);
  Result<std::vector<PartnerMembership>> list_user_partner_orgs(std::string_view user_id);
  Result<std::vector<StaffRole>> list_staff_roles(std::string_view user_id);

  // Everything the policy needs about a user. Errc::not_found for an unknown user. The status is
  // not checked here: sessions of disabled users already fail to resolve.
  Result<Principal> load_principal(std::string_view user_id);

 private:
  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  const crypto::PasswordHasher& hasher_;
  std::vector<std::function<void(std::string_view)>> access_setting_listeners_;
};

}  // namespace cs::identity
