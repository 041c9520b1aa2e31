#include "identity/policy.hpp"

#include <algorithm>
#include <initializer_list>

namespace cs::identity {
namespace {

using Actions = std::initializer_list<Action>;

bool contains(Actions actions, Action a) {
  return std::find(actions.begin(), actions.end(), a) != actions.end();
}

// What a role lets its holder do inside its own tenant.
bool account_role_allows(AccountRole role, Action a) {
  switch (role) {
    case AccountRole::admin:
      return contains({Action::account_read, Action::account_manage_settings,
                       Action::account_manage_members, Action::connection_manage,
                       Action::envelope_create, Action::envelope_read, Action::audit_read},
                      a);
    case AccountRole::sender:
      return contains({Action::account_read, Action::envelope_create, Action::envelope_read}, a);
  }
  return false;
}

bool partner_role_allows(PartnerRole role, Action a) {
  switch (role) {
    case PartnerRole::partner_admin:
      return contains(
          {Action::partner_read, Action::partner_manage_members, Action::app_read,
           Action::app_manage, Action::certification_read, Action::certification_submit},
          a);
    case PartnerRole::partner_developer:
      return contains({Action::partner_read, Action::app_read, Action::app_manage,
                       Action::certification_read, Action::certification_submit},
                      a);
  }
  return false;
}

// Staff act across tenants. Every staff role reads what the certification program needs.
constexpr Actions kStaffCommon = {Action::partner_read, Action::app_read,
                                  Action::certification_read, Action::staff_read_all};

bool staff_role_allows(StaffRole role, Action a) {
  if (contains(kStaffCommon, a)) return true;
  switch (role) {
    case StaffRole::certification_engineer:
    case StaffRole::security_reviewer:
      return a == Action::certification_review;
    case StaffRole::partner_manager:
      return a == Action::certification_assign;
    case StaffRole::solution_consultant:
      return false;
    case StaffRole::final_approver:
      return a == Action::certification_final_approve;
    case StaffRole::platform_operator:
      // Operational, never customer data: no envelopes, no account settings or members.
      return contains({Action::account_read, Action::audit_read, Action::operator_manage}, a);
  }
  return false;
}

// Whether a staff role may know that a resource of this type exists in any tenant.
bool staff_role_sees(StaffRole role, ResourceType type) {
  switch (type) {
    case ResourceType::platform:
    case ResourceType::partner_org:
    case ResourceType::app:
    case ResourceType::certification_request:
      return true;
    case ResourceType::account:
    case ResourceType::connection:
    case ResourceType::audit_log:
      return role == StaffRole::platform_operator;
    case ResourceType::envelope:
      return false;
  }
  return false;
}

const AccountRole* account_role_for(const Principal& p, const Resource& r) {
  if (r.account_id.empty()) return nullptr;
  auto it = p.account_roles.find(r.account_id);
  return it == p.account_roles.end() ? nullptr : &it->second;
}

const PartnerRole* partner_role_for(const Principal& p, const Resource& r) {
  if (r.partner_org_id.empty()) return nullptr;
  auto it = p.partner_roles.find(r.partner_org_id);
  return it == p.partner_roles.end() ? nullptr : &it->second;
}

bool can_see(const Principal& p, const Resource& r) {
  if (r.type == ResourceType::platform) return true;
  if (account_role_for(p, r) != nullptr || partner_role_for(p, r) != nullptr) return true;
  return std::any_of(p.staff_roles.begin(), p.staff_roles.end(),
                     [&](StaffRole role) { return staff_role_sees(role, r.type); });
}

}  // namespace

std::string_view to_string(Action a) {
  switch (a) {
    case Action::account_read:
      return "account_read";
    case Action::account_manage_settings:
      return "account_manage_settings";
    case Action::account_manage_members:
      return "account_manage_members";
    case Action::connection_manage:
      return "connection_manage";
    case Action::envelope_create:
      return "envelope_create";
    case Action::envelope_read:
      return "envelope_read";
    case Action::partner_read:
      return "partner_read";
    case Action::partner_manage_members:
      return "partner_manage_members";
    case Action::app_read:
      return "app_read";
    case Action::app_manage:
      return "app_manage";
    case Action::certification_read:
      return "certification_read";
    case Action::certification_submit:
      return "certification_submit";
    case Action::certification_review:
      return "certification_review";
    case Action::certification_assign:
      return "certification_assign";
    case Action::certification_final_approve:
      return "certification_final_approve";
    case Action::staff_read_all:
      return "staff_read_all";
    case Action::audit_read:
      return "audit_read";
    case Action::operator_manage:
      return "operator_manage";
  }
  return "?";
}

Error AccessDecision::to_error() const {
  if (outcome_ == Outcome::deny_not_found)
    return Error(Errc::not_found, "The requested resource was not found");
  return Error(Errc::forbidden, "You do not have permission to do this");
}

AccessDecision decide(const Principal& principal, Action action, const Resource& resource) {
  for (StaffRole role : principal.staff_roles) {
    if (staff_role_allows(role, action)) return AccessDecision::allow();
  }
  if (const AccountRole* role = account_role_for(principal, resource);
      role && account_role_allows(*role, action)) {
    return AccessDecision::allow();
  }
  if (const PartnerRole* role = partner_role_for(principal, resource);
      role && partner_role_allows(*role, action)) {
    return AccessDecision::allow();
  }
  return can_see(principal, resource) ? AccessDecision::forbidden() : AccessDecision::not_found();
}

Status require(const Principal& principal, Action action, const Resource& resource) {
  AccessDecision d = decide(principal, action, resource);
  if (d.allowed()) return {};
  return tl::unexpected(d.to_error());
}

}  // namespace cs::identity
