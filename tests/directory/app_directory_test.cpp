// The public app directory and partner listings (issue 6 §7) on SQLite and PostgreSQL: only
// certified apps are listed, a recertification shows the certified configuration, listing edits
// are validated, scoped to the partner org and audited.
#include "directory/app_directory.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "audit/audit_log.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "crypto/tokens.hpp"
#include "identity/directory.hpp"
#include "oauth/app_service.hpp"
#include "support/test_database.hpp"

namespace cs::directory {
namespace {

using identity::Actor;

class AppDirectoryTest : public cs::testing::BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    people_ = std::make_unique<identity::Directory>(db(), clock_, audit_, passwords_);
    apps_ = std::make_unique<oauth::AppService>(db(), clock_, audit_, hasher_);
    listings_ = std::make_unique<AppDirectory>(db(), clock_, audit_);
    auto op = Actor::operator_cli();
    org_ = people_->create_partner_org({"Acme Partner", false}, op).value().id;
    other_org_ = people_->create_partner_org({"Other Partner", false}, op).value().id;
    developer_ = user("dev@acme.example");
    other_admin_ = user("admin@other.example");
    engineer_ = user("engineer@countersign.example");
    people_->grant_partner_role(org_, developer_, identity::PartnerRole::partner_developer, op).value();
    people_->grant_partner_role(other_org_, other_admin_, identity::PartnerRole::partner_admin, op).value();
    people_->grant_staff_role(engineer_, identity::StaffRole::certification_engineer, op).value();
  }

  std::string user(const std::string& email) {
    return people_->create_user({email, "Test User", "correct horse battery"}, Actor::operator_cli()).value().id;
  }
  identity::Principal principal(const std::string& id) { return people_->load_principal(id).value(); }

  oauth::App make_app(const std::string& name, std::vector<std::string> functions = {"send", "track"},
                      const std::string& org = "") {
    oauth::NewApp in;
    in.name = name;
    in.description = "Connects " + name;
    in.client_type = oauth::ClientType::confidential;
    in.redirect_uris = {"https://partner.example/callback"};
    in.scopes = {"account:read", "envelope:read"};
    in.functions = std::move(functions);
    in.documentation_url = "https://partner.example/docs";
    in.partner_org_id = org.empty() ? org_ : org;
    auto who = principal(org.empty() || org == org_ ? developer_ : other_admin_);
    return apps_->create(who, in, {}).value().app;
  }

  void certify(const oauth::App& app) {
    auto current = apps_->find_by_id(app.id).value().current;
    ASSERT_TRUE(apps_->set_certification_status(current.id, oauth::CertificationStatus::certified, Actor::system()));
  }

  // The error code of a result that must have failed (Errc::internal stands for "it succeeded").
  template <class T>
  static Errc errc_of(const Result<T>& r) {
    EXPECT_FALSE(r) << "expected an error";
    return r ? Errc::internal : r.error().errc();
  }

  std::vector<std::string> names(const DirectoryQuery& q = {}) {
    auto page = listings_->search(q);
    EXPECT_TRUE(page) << (page ? "" : page.error().message());
    std::vector<std::string> out;
    if (page)
      for (const auto& e : page->entries) out.push_back(e.name);
    return out;
  }

  ManualClock clock_;
  audit::AuditLog audit_{clock_};
  crypto::PasswordHasher passwords_{crypto::PasswordParams::minimal()};
  crypto::KeyRing keys_ = crypto::KeyRing::generate(clock_);
  crypto::TokenHasher hasher_{keys_};
  std::unique_ptr<identity::Directory> people_;
  std::unique_ptr<oauth::AppService> apps_;
  std::unique_ptr<AppDirectory> listings_;
  std::string org_, other_org_, developer_, other_admin_, engineer_;
};

TEST_P(AppDirectoryTest, ListsCertifiedAppsOnlyNeverUncertifiedOnes) {
  auto certified = make_app("Zeta Certified");
  auto uncertified = make_app("Alpha Uncertified");
  auto in_certification = make_app("Beta In Certification");
  certify(certified);
  ASSERT_TRUE(apps_->set_certification_status(in_certification.current.id, oauth::CertificationStatus::in_certification,
                                              Actor::system()));
  EXPECT_EQ(names(), (std::vector<std::string>{"Zeta Certified"}));
  auto missing = listings_->entry(uncertified.id);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errc(), Errc::not_found);

  auto entry = listings_->entry(certified.id);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->partner_name, "Acme Partner");
  EXPECT_EQ(entry->description, "Connects Zeta Certified");
  EXPECT_EQ(entry->documentation_url, "https://partner.example/docs");
  EXPECT_EQ(entry->functions, (std::vector<std::string>{"send", "track"}));
  ASSERT_EQ(entry->scopes.size(), 2u);
  EXPECT_EQ(entry->scopes[0].name, "account:read");
  EXPECT_EQ(entry->scopes[0].description, oauth::scope_description("account:read"));
  EXPECT_FALSE(entry->scopes[0].description.empty());
  EXPECT_EQ(entry->certified_at, clock_.now());
  EXPECT_FALSE(entry->connect_url);
}

TEST_P(AppDirectoryTest, DisabledOrDecertifiedAppsLeaveTheDirectory) {
  auto app = make_app("Gamma");
  certify(app);
  ASSERT_EQ(names().size(), 1u);
  ASSERT_TRUE(apps_->set_certification_status(app.current.id, oauth::CertificationStatus::uncertified, Actor::system()));
  EXPECT_TRUE(names().empty());
  certify(app);
  ASSERT_EQ(names().size(), 1u);
  auto disabled = apps_->disable(principal(developer_), app.id, {});
  ASSERT_TRUE(disabled) << disabled.error().message();
  EXPECT_TRUE(names().empty());
  EXPECT_EQ(errc_of(listings_->entry(app.id)), Errc::not_found);
}

TEST_P(AppDirectoryTest, RecertificationShowsTheCertifiedConfiguration) {
  auto app = make_app("Delta", {"send"});
  certify(app);
  oauth::AppPatch patch;
  patch.scopes = std::vector<std::string>{"account:read", "envelope:read", "envelope:send"};
  patch.functions = std::vector<std::string>{"send", "webhooks"};
  auto updated = apps_->update(principal(developer_), app.id, patch, {});
  ASSERT_TRUE(updated) << updated.error().message();
  ASSERT_TRUE(updated->has_pending_version());
  auto entry = listings_->entry(app.id);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->certified_version, 1);
  EXPECT_EQ(entry->functions, (std::vector<std::string>{"send"}));
  std::vector<std::string> scopes;
  for (const auto& s : entry->scopes) scopes.push_back(s.name);
  EXPECT_EQ(scopes, (std::vector<std::string>{"account:read", "envelope:read"}));
  DirectoryQuery by_pending_function;
  by_pending_function.function = "webhooks";
  EXPECT_TRUE(names(by_pending_function).empty());
}

TEST_P(AppDirectoryTest, SearchesByNameAndFunctionAndPages) {
  for (auto name : {"Echo Sign Sync", "Foxtrot CRM", "echo Two", "Hotel 100%"}) certify(make_app(name));
  certify(make_app("India Embedded", {"embedded_signing"}));
  DirectoryQuery q;
  q.q = "ECHO";
  EXPECT_EQ(names(q), (std::vector<std::string>{"Echo Sign Sync", "echo Two"}));
  q.q = "100%";
  EXPECT_EQ(names(q), (std::vector<std::string>{"Hotel 100%"}));
  q.q = "%";  // a literal percent sign, not a wildcard
  EXPECT_EQ(names(q).size(), 1u);
  DirectoryQuery f;
  f.function = "embedded_signing";
  EXPECT_EQ(names(f), (std::vector<std::string>{"India Embedded"}));
  f.function = "teleport";
  EXPECT_EQ(errc_of(listings_->search(f)), Errc::invalid_request);

  DirectoryQuery page_query;
  page_query.limit = 2;
  std::vector<std::string> all;
  for (int guard = 0; guard < 5; ++guard) {
    auto page = listings_->search(page_query);
    ASSERT_TRUE(page);
    for (const auto& e : page->entries) all.push_back(e.name);
    if (!page->next_cursor) break;
    page_query.cursor = *page->next_cursor;
  }
  EXPECT_EQ(all, (std::vector<std::string>{"Echo Sign Sync", "echo Two", "Foxtrot CRM", "Hotel 100%", "India Embedded"}));
  DirectoryQuery bad;
  bad.cursor = "app_doesnotexist";
  EXPECT_EQ(errc_of(listings_->search(bad)), Errc::invalid_request);
  bad = {};
  bad.limit = 0;
  EXPECT_EQ(errc_of(listings_->search(bad)), Errc::invalid_request);
}

TEST_P(AppDirectoryTest, PartnerEditsItsListingWhichOverridesTheDirectoryEntry) {
  auto app = make_app("Juliet");
  certify(app);
  ListingInput in;
  in.description = "The listing's own description";
  in.support_url = "https://partner.example/support";
  in.connect_url = "https://partner.example/connect/countersign";
  in.collateral = {{"Screenshots", "https://partner.example/shots"}, {"Guide", "https://partner.example/guide.pdf"}};
  in.categories = {"CRM", "crm", "real-estate"};
  auto saved = listings_->update_listing(principal(developer_), app.id, in, {"203.0.113.9", "req-1"});
  ASSERT_TRUE(saved) << saved.error().message();
  EXPECT_TRUE(saved->listed);
  EXPECT_EQ(saved->input.categories, (std::vector<std::string>{"crm", "real-estate"}));

  auto entry = listings_->entry(app.id).value();
  EXPECT_EQ(entry.description, "The listing's own description");
  EXPECT_EQ(entry.documentation_url, "https://partner.example/docs");  // not overridden: the app's
  EXPECT_EQ(entry.support_url, "https://partner.example/support");
  EXPECT_EQ(entry.connect_url, "https://partner.example/connect/countersign");
  EXPECT_EQ(entry.collateral, in.collateral);

  auto read = listings_->listing(principal(engineer_), app.id);  // staff read
  ASSERT_TRUE(read);
  EXPECT_EQ(read->input.description, "The listing's own description");
  EXPECT_EQ(read->updated_by, developer_);

  auto lease = db().connect().value();
  audit::AuditQuery aq;
  aq.action = "app.listing.changed";
  auto entries = audit_.list(*lease, aq).value();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields.target_id, app.id);

  // An uncertified app's listing can be prepared; it is not listed until certified.
  auto draft = make_app("Kilo Draft");
  auto prepared = listings_->update_listing(principal(developer_), draft.id, in, {});
  ASSERT_TRUE(prepared);
  EXPECT_FALSE(prepared->listed);
  EXPECT_EQ(errc_of(listings_->entry(draft.id)), Errc::not_found);
}

TEST_P(AppDirectoryTest, AnotherTenantsListingIsNotFoundAndStaffCannotEdit) {
  auto app = make_app("Lima");
  ListingInput in;
  in.description = "hijacked";
  auto other = listings_->update_listing(principal(other_admin_), app.id, in, {});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().errc(), Errc::not_found);
  EXPECT_EQ(errc_of(listings_->listing(principal(other_admin_), app.id)), Errc::not_found);
  auto staff = listings_->update_listing(principal(engineer_), app.id, in, {});
  ASSERT_FALSE(staff);
  EXPECT_EQ(staff.error().errc(), Errc::forbidden);
  auto lease = db().connect().value();
  auto rows = lease->query_one("SELECT COUNT(*) FROM app_listings").value();
  EXPECT_EQ(rows->int64(0), 0);  // nothing written
}

TEST_P(AppDirectoryTest, InvalidListingsAreRefusedAndNothingIsWritten) {
  auto app = make_app("Mike");
  auto refuse = [&](ListingInput in, const std::string& field) {
    auto r = listings_->update_listing(principal(developer_), app.id, std::move(in), {});
    ASSERT_FALSE(r) << field;
    EXPECT_EQ(r.error().errc(), Errc::validation_failed) << field;
    EXPECT_EQ(r.error().field(), field);
  };
  ListingInput http;
  http.connect_url = "http://partner.example/connect";
  refuse(http, "connect_url");
  ListingInput js;
  js.documentation_url = "javascript:alert(1)";
  refuse(js, "documentation_url");
  ListingInput too_many;
  for (int i = 0; i < 11; ++i) too_many.collateral.push_back({"L" + std::to_string(i), "https://partner.example/x"});
  refuse(too_many, "collateral");
  ListingInput bad_link;
  bad_link.collateral = {{"ok", "https://partner.example/a"}, {"bad", "ftp://partner.example/b"}};
  refuse(bad_link, "collateral/1/url");
  ListingInput long_label;
  long_label.collateral = {{std::string(81, 'x'), "https://partner.example/a"}};
  refuse(long_label, "collateral/0/label");
  ListingInput bad_category;
  bad_category.categories = {"fine", "not fine!"};
  refuse(bad_category, "categories/1");
  ListingInput long_description;
  long_description.description = std::string(2001, 'x');
  refuse(long_description, "description");
  auto lease = db().connect().value();
  EXPECT_EQ(lease->query_one("SELECT COUNT(*) FROM app_listings").value()->int64(0), 0);
}

CS_INSTANTIATE_BOTH_BACKENDS(AppDirectoryTest);

}  // namespace
}  // namespace cs::directory
