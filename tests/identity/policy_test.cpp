// The authorisation matrix (issue 2 §5): every role × every action × own/other tenant.
// Changing any rule in policy.cpp turns exactly the affected cells red.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "identity/policy.hpp"

namespace cs::identity {
namespace {

const std::string kOwnAccount = "acc_own";
const std::string kOtherAccount = "acc_other";
const std::string kOwnPartner = "ptn_own";
const std::string kOtherPartner = "ptn_other";

// The columns of the matrix. A principal holds its role in the "own" tenant of its kind.
struct Column {
  const char* name;
  Principal principal;
};

std::vector<Column> columns() {
  auto account = [](AccountRole r) { return Principal{"usr_x", {}, {{kOwnAccount, r}}, {}}; };
  auto partner = [](PartnerRole r) { return Principal{"usr_x", {}, {}, {{kOwnPartner, r}}}; };
  auto staff = [](StaffRole r) { return Principal{"usr_x", {r}, {}, {}}; };
  return {
      {"admin", account(AccountRole::admin)},
      {"sender", account(AccountRole::sender)},
      {"partner_admin", partner(PartnerRole::partner_admin)},
      {"partner_developer", partner(PartnerRole::partner_developer)},
      {"certification_engineer", staff(StaffRole::certification_engineer)},
      {"security_reviewer", staff(StaffRole::security_reviewer)},
      {"partner_manager", staff(StaffRole::partner_manager)},
      {"solution_consultant", staff(StaffRole::solution_consultant)},
      {"final_approver", staff(StaffRole::final_approver)},
      {"operator", staff(StaffRole::platform_operator)},
      {"no role", Principal{"usr_x", {}, {}, {}}},
  };
}

// Which tenant a resource of this type belongs to.
enum class Owner { account, partner, none };

struct Row {
  Action action;
  ResourceType type;
  Owner owner;
  // One letter per column above: A = allow, F = forbidden, N = not_found.
  const char* own;
  const char* other;
};

// clang-format off
//                                                                                  columns: admin, sender, partner_admin,
//                                                                                  partner_developer, cert_engineer, security_reviewer,
//                                                                                  partner_manager, solution_consultant,
//                                                                                  final_approver, operator, no role
const Row kMatrix[] = {
  {Action::account_read,                ResourceType::account,               Owner::account, "AANNNNNNNAN", "NNNNNNNNNAN"},
  {Action::account_manage_settings,     ResourceType::account,               Owner::account, "AFNNNNNNNFN", "NNNNNNNNNFN"},
  {Action::account_manage_members,      ResourceType::account,               Owner::account, "AFNNNNNNNFN", "NNNNNNNNNFN"},
  {Action::connection_manage,           ResourceType::connection,            Owner::account, "AFNNNNNNNFN", "NNNNNNNNNFN"},
  {Action::envelope_create,             ResourceType::account,               Owner::account, "AANNNNNNNFN", "NNNNNNNNNFN"},
  {Action::envelope_read,               ResourceType::envelope,              Owner::account, "AANNNNNNNNN", "NNNNNNNNNNN"},
  {Action::partner_read,                ResourceType::partner_org,           Owner::partner, "NNAAAAAAAAN", "NNNNAAAAAAN"},
  {Action::partner_manage_members,      ResourceType::partner_org,           Owner::partner, "NNAFFFFFFFN", "NNNNFFFFFFN"},
  {Action::app_read,                    ResourceType::app,                   Owner::partner, "NNAAAAAAAAN", "NNNNAAAAAAN"},
  {Action::app_manage,                  ResourceType::app,                   Owner::partner, "NNAAFFFFFFN", "NNNNFFFFFFN"},
  {Action::certification_read,          ResourceType::certification_request, Owner::partner, "NNAAAAAAAAN", "NNNNAAAAAAN"},
  {Action::certification_submit,        ResourceType::certification_request, Owner::partner, "NNAAFFFFFFN", "NNNNFFFFFFN"},
  {Action::certification_review,        ResourceType::certification_request, Owner::partner, "NNFFAAFFFFN", "NNNNAAFFFFN"},
  {Action::certification_assign,        ResourceType::certification_request, Owner::partner, "NNFFFFAFFFN", "NNNNFFAFFFN"},
  {Action::certification_final_approve, ResourceType::certification_request, Owner::partner, "NNFFFFFFAFN", "NNNNFFFFAFN"},
  {Action::staff_read_all,              ResourceType::platform,              Owner::none,    "FFFFAAAAAAF", "FFFFAAAAAAF"},
  {Action::audit_read,                  ResourceType::audit_log,             Owner::account, "AFNNNNNNNAN", "NNNNNNNNNAN"},
  {Action::operator_manage,             ResourceType::platform,              Owner::none,    "FFFFFFFFFAF", "FFFFFFFFFAF"},
};
// clang-format on

Resource resource_for(const Row& row, bool own) {
  Resource r;
  r.type = row.type;
  if (row.owner == Owner::account) r.account_id = own ? kOwnAccount : kOtherAccount;
  if (row.owner == Owner::partner) r.partner_org_id = own ? kOwnPartner : kOtherPartner;
  return r;
}

char letter(const AccessDecision& d) {
  switch (d.outcome()) {
    case AccessDecision::Outcome::allow:
      return 'A';
    case AccessDecision::Outcome::deny_forbidden:
      return 'F';
    case AccessDecision::Outcome::deny_not_found:
      return 'N';
  }
  return '?';
}

TEST(PolicyMatrix, EveryRoleActionAndTenantMatchesTheTable) {
  const auto cols = columns();
  int checked = 0;
  for (const Row& row : kMatrix) {
    ASSERT_EQ(std::string(row.own).size(), cols.size()) << to_string(row.action);
    ASSERT_EQ(std::string(row.other).size(), cols.size()) << to_string(row.action);
    for (bool own : {true, false}) {
      const char* expected = own ? row.own : row.other;
      for (std::size_t c = 0; c < cols.size(); ++c) {
        char got = letter(decide(cols[c].principal, row.action, resource_for(row, own)));
        EXPECT_EQ(got, expected[c])
            << "action=" << to_string(row.action) << " role=" << cols[c].name
            << " tenant=" << (own ? "own" : "other");
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, static_cast<int>(std::size(kMatrix) * 2 * cols.size()));
}

TEST(PolicyMatrix, CoversEveryAction) {
  std::set<int> covered;
  for (const Row& row : kMatrix) covered.insert(static_cast<int>(row.action));
  // Action's enumerators are contiguous from account_read to operator_manage.
  const int count = static_cast<int>(Action::operator_manage) + 1;
  EXPECT_EQ(static_cast<int>(covered.size()), count);
  for (int a = 0; a < count; ++a) {
    EXPECT_TRUE(covered.contains(a)) << "no matrix row for " << to_string(static_cast<Action>(a));
  }
}

TEST(Policy, RolesInDifferentTenantsDoNotMix) {
  // Admin of one account and sender of another: admin rights stay in the first account.
  Principal p{"usr_x", {}, {{"acc_a", AccountRole::admin}, {"acc_b", AccountRole::sender}}, {}};
  EXPECT_TRUE(decide(p, Action::account_manage_settings, Resource::account("acc_a")).allowed());
  EXPECT_EQ(decide(p, Action::account_manage_settings, Resource::account("acc_b")),
            AccessDecision::forbidden());
  EXPECT_EQ(decide(p, Action::account_manage_settings, Resource::account("acc_c")),
            AccessDecision::not_found());
}

TEST(Policy, PartnerRoleDoesNotReachAnAccountTheOrgOwns) {
  // An account owned by a partner org is still the account's own tenant: its admin decides.
  Principal p{"usr_x", {}, {}, {{"ptn_a", PartnerRole::partner_admin}}};
  Resource owned_account{ResourceType::account, "acc_a", ""};
  EXPECT_EQ(decide(p, Action::account_manage_settings, owned_account), AccessDecision::not_found());
}

TEST(Policy, StaffPlusMembershipUnionsPermissions) {
  Principal p{"usr_x", {StaffRole::platform_operator}, {{"acc_a", AccountRole::admin}}, {}};
  EXPECT_TRUE(decide(p, Action::account_manage_settings, Resource::account("acc_a")).allowed());
  EXPECT_EQ(decide(p, Action::account_manage_settings, Resource::account("acc_b")),
            AccessDecision::forbidden());
  EXPECT_TRUE(decide(p, Action::operator_manage, Resource::platform()).allowed());
}

TEST(Policy, RequireMapsDenialsToErrors) {
  Principal sender{"usr_x", {}, {{"acc_a", AccountRole::sender}}, {}};
  auto forbidden = require(sender, Action::account_manage_settings, Resource::account("acc_a"));
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().errc(), Errc::forbidden);
  auto hidden = require(sender, Action::account_read, Resource::account("acc_b"));
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().errc(), Errc::not_found);
  EXPECT_TRUE(require(sender, Action::account_read, Resource::account("acc_a")));
}

}  // namespace
}  // namespace cs::identity
