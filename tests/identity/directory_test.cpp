// Directory on both backends: creation, validation, uniqueness, roles, principals, audit.
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "identity_fixture.hpp"

namespace cs::identity::testing {
namespace {

class DirectoryTest : public IdentityTest {
 protected:
  // Everything a failed create must leave untouched.
  std::vector<std::int64_t> snapshot() {
    return {count("partner_orgs"),
            count("accounts"),
            count("users"),
            count("account_memberships"),
            count("partner_memberships"),
            count("staff_roles"),
            count("audit_log")};
  }
};

TEST_P(DirectoryTest, CreatesPartnerOrgWithAuditEntry) {
  auto org = directory().create_partner_org({"  Acme Integrations ", true}, Actor::operator_cli());
  ASSERT_TRUE(org) << org.error().detail();
  EXPECT_TRUE(is_valid_id(org->id, "ptn"));
  EXPECT_EQ(org->name, "Acme Integrations");
  EXPECT_TRUE(org->professional_services);
  EXPECT_EQ(org->created_at, clock_.now());

  auto loaded = directory().get_partner_org(org->id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->name, "Acme Integrations");
  EXPECT_TRUE(loaded->professional_services);

  auto found = directory().find_partner_org_by_name("Acme Integrations");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, org->id);
  auto missing = directory().find_partner_org_by_name("Nobody");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  auto entries = audit_entries("partner_org.created");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields.target_id, org->id);
  EXPECT_EQ(entries[0].fields.actor_type, "operator");
  EXPECT_EQ(entries[0].fields.details["name"], "Acme Integrations");
}

TEST_P(DirectoryTest, CreatesAccountsOwnedOrNot) {
  auto org = directory().create_partner_org({"Acme", false}, Actor::system());
  ASSERT_TRUE(org);
  auto owned =
      directory().create_account({"Acme Sandbox", Environment::sandbox, org->id}, Actor::system());
  ASSERT_TRUE(owned) << owned.error().detail();
  EXPECT_EQ(owned->partner_org_id, org->id);
  EXPECT_FALSE(owned->allow_uncertified_apps);

  Account globex = make_account("Globex");
  auto loaded = directory().get_account(globex.id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->environment, Environment::production);
  EXPECT_FALSE(loaded->partner_org_id);
  EXPECT_FALSE(loaded->allow_uncertified_apps);
  auto found = directory().find_account_by_name("Globex");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, globex.id);
  EXPECT_EQ(audit_entries("account.created").size(), 2u);
}

TEST_P(DirectoryTest, AccountWithUnknownOwnerIsRejectedAndWritesNothing) {
  auto before = snapshot();
  for (const std::string& owner :
       {new_id("ptn"), std::string("ptn_nope"), std::string("'; DROP TABLE accounts;--")}) {
    auto a = directory().create_account({"Orphan", Environment::sandbox, owner}, Actor::system());
    ASSERT_FALSE(a) << owner;
    EXPECT_EQ(a.error().errc(), Errc::not_found);
    EXPECT_EQ(a.error().field(), "partner_org_id");
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_P(DirectoryTest, CreatesUserWithNormalisedEmailAndArgon2Hash) {
  User u = make_user("  Alice@Example.COM ");
  EXPECT_TRUE(is_valid_id(u.id, "usr"));
  EXPECT_EQ(u.email, "alice@example.com");
  EXPECT_EQ(u.status, UserStatus::active);
  EXPECT_FALSE(u.last_login_at);

  auto conn = lease();
  auto row = conn->query_one("SELECT password_hash FROM users WHERE id = $1",
                             std::array<store::Value, 1>{store::Value(u.id)});
  ASSERT_TRUE(row && *row);
  const std::string& stored = (*row)->text(0);
  EXPECT_TRUE(stored.starts_with("$argon2id$")) << stored;
  EXPECT_EQ(stored.find(kPassword), std::string::npos);
  EXPECT_TRUE(hasher_.verify(stored, kPassword));

  auto by_email = directory().find_user_by_email("ALICE@example.com");
  ASSERT_TRUE(by_email && *by_email);
  EXPECT_EQ((*by_email)->id, u.id);
  auto nobody = directory().find_user_by_email("bob@example.com");
  ASSERT_TRUE(nobody);
  EXPECT_FALSE(*nobody);

  auto entries = audit_entries("user.created");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields.details["email"], "alice@example.com");
  EXPECT_EQ(entries[0].fields.details.dump().find(kPassword), std::string::npos);
}

TEST_P(DirectoryTest, DuplicateEmailIsAConflictAndWritesNothing) {
  make_user("alice@example.com");
  auto before = snapshot();
  auto dup = directory().create_user({"ALICE@example.com ", "Alice Two", kPassword},
                                     Actor::operator_cli());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().errc(), Errc::conflict);
  EXPECT_EQ(dup.error().message(), "A user with this email already exists");
  EXPECT_EQ(dup.error().field(), "email");
  EXPECT_EQ(snapshot(), before);
}

TEST_P(DirectoryTest, InvalidInputIsRejectedAndWritesNothing) {
  auto before = snapshot();
  struct Case {
    NewUser in;
    const char* field;
  };
  const Case cases[] = {
      {{"not-an-email", "Name", kPassword}, "email"},
      {{"a@b", "Name", kPassword}, "email"},
      {{"", "Name", kPassword}, "email"},
      {{std::string(250, 'a') + "@example.com", "Name", kPassword}, "email"},
      {{"ok@example.com", "Name", "short"}, "password"},
      {{"ok@example.com", "Name", "elevenchars"}, "password"},
      {{"ok@example.com", "Name", std::string(1025, 'p')}, "password"},
      {{"ok@example.com", "   ", kPassword}, "name"},
      {{"ok@example.com", std::string(201, 'n'), kPassword}, "name"},
  };
  for (const Case& c : cases) {
    auto u = directory().create_user(c.in, Actor::operator_cli());
    ASSERT_FALSE(u) << c.in.email;
    EXPECT_EQ(u.error().errc(), Errc::validation_failed) << c.in.email;
    EXPECT_EQ(u.error().field(), c.field) << c.in.email;
  }
  auto org = directory().create_partner_org({std::string(201, 'x'), false}, Actor::system());
  ASSERT_FALSE(org);
  EXPECT_EQ(org.error().errc(), Errc::validation_failed);
  auto acc = directory().create_account({"", Environment::sandbox, std::nullopt}, Actor::system());
  ASSERT_FALSE(acc);
  EXPECT_EQ(acc.error().field(), "name");
  EXPECT_EQ(snapshot(), before);
}

TEST_P(DirectoryTest, UnknownIdsAreNotFound) {
  for (const std::string& id : {new_id("usr"), std::string("usr_short"), std::string("")}) {
    auto u = directory().get_user(id);
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().errc(), Errc::not_found);
    auto p = directory().load_principal(id);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().errc(), Errc::not_found);
  }
  EXPECT_EQ(directory().get_account(new_id("acc")).error().errc(), Errc::not_found);
  EXPECT_EQ(directory().get_account(new_id("usr")).error().errc(),
            Errc::not_found);  // wrong prefix
  EXPECT_EQ(directory().get_partner_org(new_id("ptn")).error().errc(), Errc::not_found);

  User u = make_user("alice@example.com");
  Account acc = make_account("Globex");
  auto before = snapshot();
  EXPECT_EQ(directory()
                .grant_account_role(new_id("acc"), u.id, AccountRole::admin, Actor::system())
                .error()
                .errc(),
            Errc::not_found);
  auto no_user =
      directory().grant_account_role(acc.id, new_id("usr"), AccountRole::admin, Actor::system());
  ASSERT_FALSE(no_user);
  EXPECT_EQ(no_user.error().errc(), Errc::not_found);
  EXPECT_EQ(no_user.error().field(), "user_id");
  EXPECT_EQ(
      directory()
          .grant_partner_role(new_id("ptn"), u.id, PartnerRole::partner_admin, Actor::system())
          .error()
          .errc(),
      Errc::not_found);
  EXPECT_EQ(directory()
                .grant_staff_role(new_id("usr"), StaffRole::platform_operator, Actor::system())
                .error()
                .errc(),
            Errc::not_found);
  EXPECT_EQ(snapshot(), before);
}

TEST_P(DirectoryTest, GrantsAreIdempotentAuditedAndBuildThePrincipal) {
  User u = make_user("alice@example.com");
  Account acc = make_account("Globex");
  auto org = directory().create_partner_org({"Acme", false}, Actor::system());
  ASSERT_TRUE(org);

  auto granted =
      directory().grant_account_role(acc.id, u.id, AccountRole::sender, Actor::operator_cli());
  ASSERT_TRUE(granted);
  EXPECT_TRUE(*granted);
  auto again =
      directory().grant_account_role(acc.id, u.id, AccountRole::sender, Actor::operator_cli());
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  // A different role replaces the first: one role per user and account.
  ASSERT_TRUE(
      directory().grant_account_role(acc.id, u.id, AccountRole::admin, Actor::operator_cli()));
  ASSERT_TRUE(*directory().grant_partner_role(org->id, u.id, PartnerRole::partner_developer,
                                              Actor::operator_cli()));
  ASSERT_TRUE(
      *directory().grant_staff_role(u.id, StaffRole::security_reviewer, Actor::operator_cli()));
  EXPECT_FALSE(
      *directory().grant_staff_role(u.id, StaffRole::security_reviewer, Actor::operator_cli()));

  auto account_grants = audit_entries("account.role.granted");
  ASSERT_EQ(account_grants.size(), 2u);  // newest first
  EXPECT_EQ(account_grants[0].fields.details["role"], "admin");
  EXPECT_EQ(account_grants[0].fields.details["previous_role"], "sender");
  EXPECT_EQ(account_grants[0].fields.account_id, acc.id);
  EXPECT_EQ(audit_entries("partner.role.granted").size(), 1u);
  EXPECT_EQ(audit_entries("staff.role.granted").size(), 1u);

  auto principal = directory().load_principal(u.id);
  ASSERT_TRUE(principal);
  EXPECT_EQ(principal->user_id, u.id);
  EXPECT_EQ(principal->account_roles,
            (std::map<std::string, AccountRole>{{acc.id, AccountRole::admin}}));
  EXPECT_EQ(principal->partner_roles,
            (std::map<std::string, PartnerRole>{{org->id, PartnerRole::partner_developer}}));
  EXPECT_EQ(principal->staff_roles, (std::set<StaffRole>{StaffRole::security_reviewer}));

  auto members = directory().list_account_members(acc.id);
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].user_id, u.id);
  EXPECT_EQ((*members)[0].role, AccountRole::admin);
  ASSERT_EQ(directory().list_user_accounts(u.id)->size(), 1u);
  ASSERT_EQ(directory().list_partner_members(org->id)->size(), 1u);
  ASSERT_EQ(directory().list_user_partner_orgs(u.id)->size(), 1u);
  EXPECT_EQ(*directory().list_staff_roles(u.id),
            std::vector<StaffRole>{StaffRole::security_reviewer});
}

TEST_P(DirectoryTest, RevokesRoles) {
  User u = make_user("alice@example.com");
  Account acc = make_account("Globex");
  auto org = directory().create_partner_org({"Acme", false}, Actor::system());
  ASSERT_TRUE(org);
  ASSERT_TRUE(directory().grant_account_role(acc.id, u.id, AccountRole::admin, Actor::system()));
  ASSERT_TRUE(
      directory().grant_partner_role(org->id, u.id, PartnerRole::partner_admin, Actor::system()));
  ASSERT_TRUE(directory().grant_staff_role(u.id, StaffRole::platform_operator, Actor::system()));

  EXPECT_TRUE(*directory().revoke_account_role(acc.id, u.id, Actor::system()));
  EXPECT_FALSE(*directory().revoke_account_role(acc.id, u.id, Actor::system()));
  EXPECT_TRUE(*directory().revoke_partner_role(org->id, u.id, Actor::system()));
  EXPECT_TRUE(*directory().revoke_staff_role(u.id, StaffRole::platform_operator, Actor::system()));
  EXPECT_FALSE(*directory().revoke_staff_role(u.id, StaffRole::platform_operator, Actor::system()));

  auto p = directory().load_principal(u.id);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->account_roles.empty());
  EXPECT_TRUE(p->partner_roles.empty());
  EXPECT_TRUE(p->staff_roles.empty());
  EXPECT_EQ(audit_entries("account.role.revoked").size(), 1u);
  EXPECT_EQ(audit_entries("partner.role.revoked").size(), 1u);
  EXPECT_EQ(audit_entries("staff.role.revoked").size(), 1u);
}

TEST_P(DirectoryTest, DisablingAUserEndsTheirSessions) {
  User u = make_user("alice@example.com");
  auto s = sessions().create(u.id, "192.0.2.1", "test");
  ASSERT_TRUE(s);
  auto disabled = directory().set_user_status(u.id, UserStatus::disabled, Actor::operator_cli());
  ASSERT_TRUE(disabled);
  EXPECT_EQ(disabled->status, UserStatus::disabled);
  EXPECT_EQ(count("sessions"), 0);
  EXPECT_FALSE(sessions().resolve(s->token));
  auto entries = audit_entries("user.status_changed");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields.details["new"], "disabled");
  EXPECT_EQ(directory()
                .set_user_status(new_id("usr"), UserStatus::active, Actor::system())
                .error()
                .errc(),
            Errc::not_found);
}

CS_INSTANTIATE_BOTH_BACKENDS(DirectoryTest);

}  // namespace
}  // namespace cs::identity::testing
