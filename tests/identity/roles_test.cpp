#include <gtest/gtest.h>

#include "identity/roles.hpp"

namespace cs::identity {
namespace {

TEST(Roles, TextFormsRoundTrip) {
  for (AccountRole r : all_account_roles()) EXPECT_EQ(parse_account_role(to_string(r)), r);
  for (PartnerRole r : all_partner_roles()) EXPECT_EQ(parse_partner_role(to_string(r)), r);
  for (StaffRole r : all_staff_roles()) EXPECT_EQ(parse_staff_role(to_string(r)), r);
  EXPECT_EQ(all_account_roles().size(), 2u);
  EXPECT_EQ(all_partner_roles().size(), 2u);
  EXPECT_EQ(all_staff_roles().size(), 6u);
}

TEST(Roles, StableNamesMatchTheSchema) {
  EXPECT_EQ(to_string(StaffRole::platform_operator), "operator");
  EXPECT_EQ(to_string(StaffRole::certification_engineer), "certification_engineer");
  EXPECT_EQ(to_string(AccountRole::admin), "admin");
  EXPECT_EQ(to_string(PartnerRole::partner_developer), "partner_developer");
  EXPECT_EQ(to_string(Environment::production), "production");
  EXPECT_EQ(parse_environment("sandbox"), Environment::sandbox);
}

TEST(Roles, UnknownTextIsRejected) {
  EXPECT_FALSE(parse_account_role("owner"));
  EXPECT_FALSE(parse_account_role("Admin"));
  EXPECT_FALSE(parse_staff_role(""));
  EXPECT_FALSE(parse_partner_role("admin"));
  EXPECT_FALSE(parse_environment("staging"));
  EXPECT_FALSE(parse_user_status("locked"));
}

}  // namespace
}  // namespace cs::identity
