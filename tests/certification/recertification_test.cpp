// Recertification (issue 6 §2, DESIGN.md "Versions and recertification") on SQLite and
// PostgreSQL: adding a scope to a certified app opens a recertification request for the pending
// version in the same transaction, production keeps the certified scopes until that request
// launches, and the request shows the difference.
#include "cert_finish_fixture.hpp"

namespace cs::certification::testing {
namespace {

class RecertificationTest : public CertFinishTest {
 protected:
  void SetUp() override {
    CertFinishTest::SetUp();
    attach_recertification(*apps_, clock_, audit_);
  }

  void certify_current() {
    ASSERT_TRUE(apps_->set_certification_status(
        app().current.id, oauth::CertificationStatus::certified, identity::Actor::system("test")));
  }
  oauth::App add_scope(const std::string& scope) {
    oauth::AppPatch patch;
    auto scopes = app().current.config.scopes;
    scopes.push_back(scope);
    patch.scopes = scopes;
    auto updated = apps_->update(principal(partner_admin_), app_.id, patch, {});
    EXPECT_TRUE(updated) << describe(updated.error());
    return updated ? *updated : oauth::App{};
  }
  std::vector<store::Row> active_requests() {
    auto conn = lease();
    return conn
        ->query(
            "SELECT id, kind, state, app_version_id FROM cert_requests WHERE app_id = $1 AND state "
            "NOT IN "
            "('withdrawn', 'rejected', 'launched')",
            store::params(app_.id))
        .value();
  }
};

TEST_P(RecertificationTest,
       ScopeAddOnACertifiedAppOpensARequestAndProductionKeepsTheCertifiedScopes) {
  certify_current();
  std::string certified_version = app().current.id;
  oauth::App updated = add_scope("envelope:write");
  ASSERT_TRUE(updated.has_pending_version());

  auto rows = active_requests();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(1), "recertification");
  EXPECT_EQ(rows[0].text(2), "draft");
  EXPECT_EQ(rows[0].text(3), updated.current.id);
  std::string id = rows[0].text(0);
  EXPECT_EQ(request(id).catalogue_version, current_catalogue().version);

  // Production acts with the certified configuration; sandbox with the pending one.
  const auto& production = updated.effective_version(identity::Environment::production);
  EXPECT_EQ(production.id, certified_version);
  EXPECT_FALSE(production.config.allows_scope("envelope:write"));
  EXPECT_TRUE(updated.effective_version(identity::Environment::sandbox)
                  .config.allows_scope("envelope:write"));

  // The difference reviewers see: in the timeline, and from the app.
  auto diff = pending_difference_json(updated);
  ASSERT_FALSE(diff.is_null());
  EXPECT_EQ(diff["diff"]["added_scopes"], nlohmann::json::array({"envelope:write"}));
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_request_history WHERE request_id = $1 AND action = "
                  "'open' AND detail "
                  "LIKE '%envelope:write%'",
                  id),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'certification.request.opened' "
                  "AND target_id = $1",
                  id),
            1);

  // Until the recertification launches, production still refuses the new scope; its launch
  // makes the pending version the certified one.
  {
    auto conn = lease();
    ASSERT_TRUE(
        conn->exec("UPDATE cert_requests SET state = 'certified', certified_at = $1 WHERE id = $2",
                   store::params(clock_.now(), id)));
  }
  EXPECT_FALSE(app()
                   .effective_version(identity::Environment::production)
                   .config.allows_scope("envelope:write"));
  ASSERT_OK_AND_ASSIGN(launched, launch_->launch(id, identity::Actor::system("test")));
  EXPECT_EQ(launched.state, State::launched);
  auto after = app();
  EXPECT_FALSE(after.has_pending_version());
  EXPECT_TRUE(after.effective_version(identity::Environment::production)
                  .config.allows_scope("envelope:write"));
}

TEST_P(RecertificationTest, UncertifiedAppsAndScopeRemovalsOpenNothing) {
  add_scope("envelope:write");  // never certified: the draft version is edited in place
  EXPECT_TRUE(active_requests().empty());
  certify_current();
  oauth::AppPatch patch;
  patch.scopes = std::vector<std::string>{"account:read"};  // removals apply at once
  ASSERT_TRUE(apps_->update(principal(partner_admin_), app_.id, patch, {}));
  EXPECT_TRUE(active_requests().empty());
  EXPECT_FALSE(app().has_pending_version());
}

TEST_P(RecertificationTest, OneActiveRequestPerAppADraftFollowsTheNewestPendingVersion) {
  certify_current();
  add_scope("envelope:write");
  auto first = active_requests();
  ASSERT_EQ(first.size(), 1u);
  std::string id = first[0].text(0);
  // The pending version enters certification; a further change makes a newer pending version.
  ASSERT_TRUE(apps_->set_certification_status(app().current.id,
                                              oauth::CertificationStatus::in_certification,
                                              identity::Actor::system("test")));
  oauth::App newest = add_scope("envelope:send");
  auto rows = active_requests();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), id);
  EXPECT_EQ(rows[0].text(3), newest.current.id);

  // A request already submitted keeps the version its reviewers judge.
  {
    auto conn = lease();
    ASSERT_TRUE(conn->exec("UPDATE cert_requests SET state = 'submitted' WHERE id = $1",
                           store::params(id)));
  }
  ASSERT_TRUE(apps_->set_certification_status(app().current.id,
                                              oauth::CertificationStatus::in_certification,
                                              identity::Actor::system("test")));
  oauth::App later = add_scope("webhook:manage");
  rows = active_requests();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(3), newest.current.id);
  EXPECT_NE(later.current.id, newest.current.id);
}

CS_INSTANTIATE_BOTH_BACKENDS(RecertificationTest);

}  // namespace
}  // namespace cs::certification::testing
