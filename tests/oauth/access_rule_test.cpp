// The access rule as a table: environment x owner org x account setting x certification status.
#include <gtest/gtest.h>

#include "oauth/access_rule.hpp"

namespace cs::oauth {
namespace {

using identity::Environment;
using S = CertificationStatus;
using V = AccessVerdict;

struct Row {
  Environment env;
  bool own_org;  // the account belongs to the app's partner org
  bool setting;  // allow_uncertified_apps
  S status;
  V expected;
};

constexpr Environment kSand = Environment::sandbox;
constexpr Environment kProd = Environment::production;

const Row kMatrix[] = {
    // sandbox: always allowed, whatever else holds
    {kSand, false, false, S::uncertified, V::sandbox},
    {kSand, false, false, S::in_certification, V::sandbox},
    {kSand, false, false, S::certified, V::sandbox},
    {kSand, true, false, S::uncertified, V::sandbox},
    {kSand, false, true, S::uncertified, V::sandbox},
    {kSand, true, true, S::certified, V::sandbox},
    // production, certified: allowed
    {kProd, false, false, S::certified, V::certified},
    {kProd, true, false, S::certified, V::certified},
    {kProd, false, true, S::certified, V::certified},
    {kProd, true, true, S::certified, V::certified},
    // production, own partner org's account: allowed
    {kProd, true, false, S::uncertified, V::own_partner_account},
    {kProd, true, false, S::in_certification, V::own_partner_account},
    {kProd, true, true, S::uncertified, V::own_partner_account},
    // production, setting on: allowed
    {kProd, false, true, S::uncertified, V::allowed_by_account_setting},
    {kProd, false, true, S::in_certification, V::allowed_by_account_setting},
    // production, none of the above: refused
    {kProd, false, false, S::uncertified, V::not_certified},
    {kProd, false, false, S::in_certification, V::not_certified},
};

TEST(AccessRule, Matrix) {
  for (const auto& r : kMatrix) {
    AccessInputs in;
    in.environment = r.env;
    in.app_partner_org_id = "ptn_app";
    in.account_partner_org_id = r.own_org ? std::optional<std::string>("ptn_app")
                                          : std::optional<std::string>("ptn_someone_else");
    in.allow_uncertified_apps = r.setting;
    in.status = r.status;
    V got = decide_access(in);
    EXPECT_EQ(got, r.expected) << identity::to_string(r.env) << " own=" << r.own_org
                               << " setting=" << r.setting << " status=" << to_string(r.status)
                               << " got " << to_string(got);
    EXPECT_EQ(allowed(got), r.expected != V::not_certified);
  }
}

TEST(AccessRule, AccountWithoutPartnerOrgIsNotOwn) {
  AccessInputs in{kProd, std::nullopt, false, "ptn_app", S::uncertified};
  EXPECT_EQ(decide_access(in), V::not_certified);
  in.app_partner_org_id = "";
  in.account_partner_org_id = "";
  EXPECT_EQ(decide_access(in), V::not_certified) << "empty ids never match";
}

TEST(AccessRule, MessageTellsWhatAnAdminCanDo) {
  std::string m(not_certified_message());
  EXPECT_NE(m.find("not certified"), std::string::npos);
  EXPECT_NE(m.find("Allow uncertified partner applications to access data from this account"),
            std::string::npos);
  EXPECT_NE(m.find("account administrator"), std::string::npos);
}

}  // namespace
}  // namespace cs::oauth
