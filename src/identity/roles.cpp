#include "identity/roles.hpp"

#include <array>
#include <utility>

namespace cs::identity {
namespace {

template <class E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Environment, 2> kEnvironments{{
    {Environment::sandbox, "sandbox"},
    {Environment::production, "production"},
}};
constexpr Names<UserStatus, 2> kStatuses{{
    {UserStatus::active, "active"},
    {UserStatus::disabled, "disabled"},
}};
constexpr Names<AccountRole, 2> kAccountRoles{{
    {AccountRole::admin, "admin"},
    {AccountRole::sender, "sender"},
}};
constexpr Names<PartnerRole, 2> kPartnerRoles{{
    {PartnerRole::partner_admin, "partner_admin"},
    {PartnerRole::partner_developer, "partner_developer"},
}};
constexpr Names<StaffRole, 6> kStaffRoles{{
    {StaffRole::certification_engineer, "certification_engineer"},
    {StaffRole::security_reviewer, "security_reviewer"},
    {StaffRole::partner_manager, "partner_manager"},
    {StaffRole::solution_consultant, "solution_consultant"},
    {StaffRole::final_approver, "final_approver"},
    {StaffRole::platform_operator, "operator"},
}};

template <class E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E v) {
  for (const auto& [value, name] : names) {
    if (value == v) return name;
  }
  return "?";  // unreachable while every enumerator has a row
}

template <class E, std::size_t N>
std::optional<E> value_of(const Names<E, N>& names, std::string_view s) {
  for (const auto& [value, name] : names) {
    if (name == s) return value;
  }
  return std::nullopt;
}

template <class E, std::size_t N>
constexpr std::array<E, N> values_of(const Names<E, N>& names) {
  std::array<E, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = names[i].first;
  return out;
}

constexpr auto kAccountRoleValues = values_of(kAccountRoles);
constexpr auto kPartnerRoleValues = values_of(kPartnerRoles);
constexpr auto kStaffRoleValues = values_of(kStaffRoles);

}  // namespace

std::string_view to_string(Environment v) { return name_of(kEnvironments, v); }
std::string_view to_string(UserStatus v) { return name_of(kStatuses, v); }
std::string_view to_string(AccountRole v) { return name_of(kAccountRoles, v); }
std::string_view to_string(PartnerRole v) { return name_of(kPartnerRoles, v); }
std::string_view to_string(StaffRole v) { return name_of(kStaffRoles, v); }

std::optional<Environment> parse_environment(std::string_view s) {
  return value_of(kEnvironments, s);
}
std::optional<UserStatus> parse_user_status(std::string_view s) { return value_of(kStatuses, s); }
std::optional<AccountRole> parse_account_role(std::string_view s) {
  return value_of(kAccountRoles, s);
}
std::optional<PartnerRole> parse_partner_role(std::string_view s) {
  return value_of(kPartnerRoles, s);
}
std::optional<StaffRole> parse_staff_role(std::string_view s) { return value_of(kStaffRoles, s); }

std::span<const AccountRole> all_account_roles() { return kAccountRoleValues; }
std::span<const PartnerRole> all_partner_roles() { return kPartnerRoleValues; }
std::span<const StaffRole> all_staff_roles() { return kStaffRoleValues; }

}  // namespace cs::identity
