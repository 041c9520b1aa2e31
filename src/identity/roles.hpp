// The vocabulary of identity (issue 2 §5): environments, user status and the three families of
// roles. Each enum has a stable text form, which is what the database and the CLI use.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace cs::identity {

enum class Environment { sandbox, production };

enum class UserStatus { active, disabled };

// A customer account's users.
enum class AccountRole { admin, sender };

// A partner org's users.
enum class PartnerRole { partner_admin, partner_developer };

// Platform staff; a user may hold several.
enum class StaffRole {
  certification_engineer,
  security_reviewer,
  partner_manager,
  solution_consultant,
  final_approver,
  platform_operator,  // text form "operator" (a C++ keyword cannot name an enumerator)
};

std::string_view to_string(Environment v);
std::string_view to_string(UserStatus v);
std::string_view to_string(AccountRole v);
std::string_view to_string(PartnerRole v);
std::string_view to_string(StaffRole v);

std::optional<Environment> parse_environment(std::string_view s);
std::optional<UserStatus> parse_user_status(std::string_view s);
std::optional<AccountRole> parse_account_role(std::string_view s);
std::optional<PartnerRole> parse_partner_role(std::string_view s);
std::optional<StaffRole> parse_staff_role(std::string_view s);

// Every value, in declaration order (CLI help, the demo seed, tests).
std::span<const AccountRole> all_account_roles();
std::span<const PartnerRole> all_partner_roles();
std::span<const StaffRole> all_staff_roles();

}  // namespace cs::identity
