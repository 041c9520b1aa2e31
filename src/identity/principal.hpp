// Who is asking: a user with every role they hold, loaded once per request
// (Directory::load_principal) and handed to the policy.
#pragma once

#include <map>
#include <set>
#include <string>

#include "identity/roles.hpp"

namespace cs::identity {

struct Principal {
  std::string user_id;
  std::set<StaffRole> staff_roles;
  std::map<std::string, AccountRole> account_roles;  // account_id -> role
  std::map<std::string, PartnerRole> partner_roles;  // partner_org_id -> role

  bool is_staff() const { return !staff_roles.empty(); }
  bool has_staff_role(StaffRole r) const { return staff_roles.contains(r); }
};

}  // namespace cs::identity
