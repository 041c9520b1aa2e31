// DESIGN.md "Access rule": "Allow uncertified partner applications to access data from this
// account" is off by default, only that account's admin may change it, every change is audited.
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "identity_fixture.hpp"

namespace cs::identity::testing {
namespace {

class AccountSettingTest : public IdentityTest {
 protected:
  void SetUp() override {
    IdentityTest::SetUp();
    globex_ = make_account("Globex");
    other_ = make_account("Initech");
    admin_ = member("admin@globex.example", globex_, AccountRole::admin);
    sender_ = member("sender@globex.example", globex_, AccountRole::sender);
    other_admin_ = member("admin@initech.example", other_, AccountRole::admin);
    User op = make_user("ops@countersign.example");
    EXPECT_TRUE(directory().grant_staff_role(op.id, StaffRole::platform_operator, Actor::system()));
    operator_ = *directory().load_principal(op.id);
  }

  Principal member(const std::string& email, const Account& acc, AccountRole role) {
    User u = make_user(email);
    EXPECT_TRUE(directory().grant_account_role(acc.id, u.id, role, Actor::system()));
    auto p = directory().load_principal(u.id);
    EXPECT_TRUE(p);
    return p ? *p : Principal{};
  }

  bool stored_flag(const std::string& account_id) {
    return directory().get_account(account_id)->allow_uncertified_apps;
  }

  Account globex_, other_;
  Principal admin_, sender_, other_admin_, operator_;
  const RequestContext request_{"198.51.100.7", "req-123"};
};

TEST_P(AccountSettingTest, IsOffByDefault) {
  EXPECT_FALSE(stored_flag(globex_.id));
  EXPECT_FALSE(globex_.allow_uncertified_apps);
}

TEST_P(AccountSettingTest, AdminChangesItAndEveryChangeIsAudited) {
  auto on = directory().set_allow_uncertified_apps(admin_, globex_.id, true, request_);
  ASSERT_TRUE(on) << on.error().detail();
  EXPECT_TRUE(on->allow_uncertified_apps);
  EXPECT_TRUE(stored_flag(globex_.id));
  EXPECT_FALSE(stored_flag(other_.id));

  clock_.advance(kMicrosPerSecond);
  auto off = directory().set_allow_uncertified_apps(admin_, globex_.id, false, request_);
  ASSERT_TRUE(off);
  EXPECT_FALSE(stored_flag(globex_.id));

  auto entries = audit_entries("account.settings.changed");
  ASSERT_EQ(entries.size(), 2u);  // newest first
  const auto& last = entries[0].fields;
  EXPECT_EQ(last.actor_type, "user");
  EXPECT_EQ(last.actor_id, admin_.user_id);
  EXPECT_EQ(last.target_type, "account");
  EXPECT_EQ(last.target_id, globex_.id);
  EXPECT_EQ(last.account_id, globex_.id);
  EXPECT_EQ(last.ip, "198.51.100.7");
  EXPECT_EQ(last.request_id, "req-123");
  EXPECT_EQ(last.details["setting"], "allow_uncertified_apps");
  EXPECT_EQ(last.details["old"], true);
  EXPECT_EQ(last.details["new"], false);
  EXPECT_EQ(entries[1].fields.details["old"], false);
  EXPECT_EQ(entries[1].fields.details["new"], true);
}

TEST_P(AccountSettingTest, SettingTheCurrentValueWritesNothing) {
  auto before = count("audit_log");
  auto same = directory().set_allow_uncertified_apps(admin_, globex_.id, false, request_);
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->allow_uncertified_apps);
  EXPECT_EQ(count("audit_log"), before);
}

TEST_P(AccountSettingTest, SenderIsForbidden) {
  auto before = count("audit_log");
  auto r = directory().set_allow_uncertified_apps(sender_, globex_.id, true, request_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::forbidden);
  EXPECT_FALSE(stored_flag(globex_.id));
  EXPECT_EQ(count("audit_log"), before);
}

TEST_P(AccountSettingTest, AnotherTenantsAdminGetsNotFound) {
  auto before = count("audit_log");
  auto r = directory().set_allow_uncertified_apps(other_admin_, globex_.id, true, request_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::not_found);
  EXPECT_FALSE(stored_flag(globex_.id));
  // Same answer as for an account that does not exist at all.
  auto missing =
      directory().set_allow_uncertified_apps(other_admin_, new_id("acc"), true, request_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errc(), Errc::not_found);
  EXPECT_EQ(missing.error().message(), r.error().message());
  EXPECT_EQ(count("audit_log"), before);
}

TEST_P(AccountSettingTest, StaffCannotChangeACustomersSetting) {
  auto r = directory().set_allow_uncertified_apps(operator_, globex_.id, true, request_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::forbidden);
  EXPECT_FALSE(stored_flag(globex_.id));
}

// The account's date format for completed documents (issue 7): admins only, validated, audited.
TEST_P(AccountSettingTest, DateFormatIsAnAdminSettingAndAudited) {
  EXPECT_EQ(directory().get_account(globex_.id)->date_format, "YYYY-MM-DD");
  auto set = directory().set_date_format(admin_, globex_.id, "DD.MM.YYYY", request_);
  ASSERT_TRUE(set) << set.error().detail();
  EXPECT_EQ(set->date_format, "DD.MM.YYYY");
  EXPECT_EQ(directory().get_account(globex_.id)->date_format, "DD.MM.YYYY");
  EXPECT_EQ(directory().get_account(other_.id)->date_format, "YYYY-MM-DD");
  auto entries = audit_entries("account.settings.changed");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields.details["setting"], "date_format");
  EXPECT_EQ(entries[0].fields.details["old"], "YYYY-MM-DD");
  EXPECT_EQ(entries[0].fields.details["new"], "DD.MM.YYYY");

  auto before = count("audit_log");
  auto same = directory().set_date_format(admin_, globex_.id, "DD.MM.YYYY", request_);
  ASSERT_TRUE(same);
  EXPECT_EQ(count("audit_log"), before);

  auto bad = directory().set_date_format(admin_, globex_.id, "YY/M/D", request_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errc(), Errc::validation_failed);
  EXPECT_EQ(bad.error().field(), "date_format");
  auto by_sender = directory().set_date_format(sender_, globex_.id, "MM/DD/YYYY", request_);
  ASSERT_FALSE(by_sender);
  EXPECT_EQ(by_sender.error().errc(), Errc::forbidden);
  auto by_other = directory().set_date_format(other_admin_, globex_.id, "MM/DD/YYYY", request_);
  ASSERT_FALSE(by_other);
  EXPECT_EQ(by_other.error().errc(), Errc::not_found);
  EXPECT_EQ(directory().get_account(globex_.id)->date_format, "DD.MM.YYYY");
  EXPECT_EQ(count("audit_log"), before);
}

CS_INSTANTIATE_BOTH_BACKENDS(AccountSettingTest);

}  // namespace
}  // namespace cs::identity::testing
