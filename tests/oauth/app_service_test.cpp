// AppService on both backends: registration and validation, tenancy, versions, secrets,
// disabling, certification status, client authentication.
#include "oauth_fixture.hpp"

namespace cs::oauth::testing {
namespace {

class AppServiceTest : public OAuthTest {};

TEST_P(AppServiceTest, CreateConfidentialAppShowsSecretOnceStoresOnlyItsHash) {
  auto created = create_app();
  EXPECT_TRUE(created.app.id.starts_with("app_"));
  EXPECT_TRUE(created.app.client_id.starts_with("ik_"));
  EXPECT_EQ(created.app.client_id.size(), 3u + 22u);
  ASSERT_TRUE(created.client_secret);
  EXPECT_TRUE(created.client_secret->starts_with("cs_sk_"));
  EXPECT_EQ(created.app.current.number, 1);
  EXPECT_EQ(created.app.current.certification, CertificationStatus::uncertified);
  EXPECT_FALSE(created.app.certified);
  EXPECT_EQ(count("SELECT COUNT(*) FROM app_secrets WHERE secret_hash = '" +
                  *created.client_secret + "'"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM app_secrets WHERE secret_hash = '" +
                  hasher_.hash(*created.client_secret) + "'"),
            1);
  EXPECT_EQ(audit_entries("app.created").size(), 1u);
  auto again = apps_->get(principal(developer_), created.app.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->current.config, created.app.current.config);
}

TEST_P(AppServiceTest, PublicAppHasNoSecret) {
  auto created = create_app(ClientType::public_client);
  EXPECT_FALSE(created.client_secret);
  EXPECT_EQ(count("SELECT COUNT(*) FROM app_secrets"), 0);
  auto rotated = apps_->rotate_secret(principal(developer_), created.app.id, {});
  ASSERT_FALSE(rotated);
  EXPECT_EQ(rotated.error().errc(), Errc::invalid_state);
}

TEST_P(AppServiceTest, ValidationNamesTheFieldAndWritesNothing) {
  struct Case {
    const char* field;
    std::function<void(NewApp&)> change;
  };
  std::vector<Case> cases = {
      {"name", [](NewApp& a) { a.name = ""; }},
      {"name", [](NewApp& a) { a.name = std::string(201, 'x'); }},
      {"redirect_uris/0", [](NewApp& a) { a.redirect_uris = {"http://partner.example/cb"}; }},
      {"redirect_uris/0", [](NewApp& a) { a.redirect_uris = {"https://partner.example/cb#x"}; }},
      {"redirect_uris/0", [](NewApp& a) { a.redirect_uris = {"https://*.partner.example/cb"}; }},
      {"redirect_uris", [](NewApp& a) { a.redirect_uris = {}; }},
      {"scopes/0", [](NewApp& a) { a.scopes = {"everything"}; }},
      {"functions/0", [](NewApp& a) { a.functions = {"mine_bitcoin"}; }},
      {"documentation_url", [](NewApp& a) { a.documentation_url = "http://docs.example"; }},
      {"support_url", [](NewApp& a) { a.support_url = "javascript:alert(1)"; }},
  };
  for (const auto& c : cases) {
    NewApp in = new_app();
    c.change(in);
    auto r = apps_->create(principal(developer_), in, {});
    ASSERT_FALSE(r) << c.field;
    EXPECT_EQ(r.error().errc(), Errc::validation_failed) << c.field;
    EXPECT_EQ(r.error().field(), c.field);
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM apps"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM app_versions"), 0);
}

TEST_P(AppServiceTest, TenancyOtherOrgsAndCustomersSeeNothing) {
  auto created = create_app();
  // Creating in someone else's org.
  NewApp in = new_app();
  auto r = apps_->create(principal(other_developer_), in, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::not_found);
  auto customer = apps_->create(principal(admin_), in, {});
  ASSERT_FALSE(customer);
  EXPECT_EQ(customer.error().errc(), Errc::not_found);
  // Reading and changing another org's app.
  EXPECT_EQ(apps_->get(principal(other_developer_), created.app.id).error().errc(),
            Errc::not_found);
  EXPECT_EQ(apps_->update(principal(other_developer_), created.app.id, name_patch("x"), {})
                .error()
                .errc(),
            Errc::not_found);
  EXPECT_EQ(apps_->disable(principal(other_developer_), created.app.id, {}).error().errc(),
            Errc::not_found);
  EXPECT_EQ(apps_->rotate_secret(principal(other_developer_), created.app.id, {}).error().errc(),
            Errc::not_found);
  EXPECT_TRUE(apps_->list(principal(other_developer_)).value().empty());
  EXPECT_EQ(apps_->list(principal(developer_)).value().size(), 1u);
  EXPECT_EQ(apps_->get(principal(developer_), "app_doesnotexist").error().errc(), Errc::not_found);
  // Staff read everything but manage nothing.
  auto staff = user("engineer@platform.example");
  directory_
      ->grant_staff_role(staff, identity::StaffRole::certification_engineer, Actor::operator_cli())
      .value();
  EXPECT_TRUE(apps_->get(principal(staff), created.app.id));
  EXPECT_EQ(apps_->list(principal(staff)).value().size(), 1u);
  EXPECT_EQ(apps_->update(principal(staff), created.app.id, name_patch("x"), {}).error().errc(),
            Errc::forbidden);
  EXPECT_EQ(apps_->find_by_id(created.app.id)->name, "Acme Sign Connector");
}

TEST_P(AppServiceTest, UncertifiedVersionIsEditedInPlace) {
  auto app = create_app().app;
  AppPatch patch;
  patch.scopes = std::vector<std::string>{"account:read", "envelope:send"};
  patch.redirect_uris = std::vector<std::string>{"https://partner.example/new"};
  auto updated = apps_->update(principal(developer_), app.id, patch, {});
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->current.id, app.current.id);
  EXPECT_EQ(updated->current.number, 1);
  EXPECT_EQ(updated->current.config.scopes,
            (std::vector<std::string>{"account:read", "envelope:send"}));
  EXPECT_EQ(count("SELECT COUNT(*) FROM app_versions"), 1);
  EXPECT_EQ(apps_->find_by_id(app.id)->current.config.redirect_uris,
            (std::vector<std::string>{"https://partner.example/new"}));
}

TEST_P(AppServiceTest, CertifiedAppAddingAScopeCreatesAPendingVersion) {
  auto app = create_app().app;
  certify_current(app.id);
  AppPatch patch;
  patch.scopes = std::vector<std::string>{"account:read", "envelope:read", "envelope:send",
                                          "offline_access", "user:read"};
  ASSERT_OK_AND_ASSIGN(updated, apps_->update(principal(developer_), app.id, patch, {}));
  EXPECT_EQ(updated.current.number, 2);
  EXPECT_EQ(updated.current.certification, CertificationStatus::uncertified);
  ASSERT_TRUE(updated.certified);
  EXPECT_EQ(updated.certified->id, app.current.id);
  EXPECT_TRUE(updated.has_pending_version());
  EXPECT_TRUE(updated.effective_version(Environment::sandbox).config.allows_scope("envelope:send"));
  EXPECT_FALSE(
      updated.effective_version(Environment::production).config.allows_scope("envelope:send"));
  auto d = diff(updated.certified->config, updated.current.config);
  EXPECT_EQ(d.added_scopes, (std::vector<std::string>{"envelope:send"}));
  EXPECT_EQ(audit_entries("app.version.created").size(), 1u);
  // Recertifying the pending version makes production use it.
  ASSERT_TRUE(apps_->set_certification_status(updated.current.id, CertificationStatus::certified,
                                              Actor::system("certification")));
  auto after = apps_->find_by_id(app.id).value();
  EXPECT_FALSE(after.has_pending_version());
  EXPECT_TRUE(
      after.effective_version(Environment::production).config.allows_scope("envelope:send"));
}

TEST_P(AppServiceTest, ChangingARedirectUriOrFunctionOfACertifiedAppCreatesAPendingVersion) {
  auto app = create_app().app;
  certify_current(app.id);
  ASSERT_OK_AND_ASSIGN(v2, apps_->update(principal(developer_), app.id,
                                         redirects_patch({"https://partner.example/other"}), {}));
  EXPECT_EQ(v2.current.number, 2);
  EXPECT_TRUE(v2.certified->config.has_redirect_uri(kRedirect));
  // While pending (uncertified) the new version is edited in place.
  ASSERT_OK_AND_ASSIGN(v2b,
                       apps_->update(principal(developer_), app.id, functions_patch({"sign"}), {}));
  EXPECT_EQ(v2b.current.number, 2);
  EXPECT_EQ(v2b.current.config.functions, (std::vector<std::string>{"sign"}));
  EXPECT_EQ(v2b.certified->config.functions, (std::vector<std::string>{"send", "track"}));
  // In certification, a function change creates version 3.
  ASSERT_TRUE(apps_->set_certification_status(v2b.current.id, CertificationStatus::in_certification,
                                              Actor::system("certification")));
  ASSERT_OK_AND_ASSIGN(
      v3, apps_->update(principal(developer_), app.id, functions_patch({"track"}), {}));
  EXPECT_EQ(v3.current.number, 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM app_versions"), 3);
}

TEST_P(AppServiceTest, RemovingAScopeAppliesAtOnceToCertifiedAndPending) {
  auto app = create_app().app;
  certify_current(app.id);
  // A pending version exists (new redirect URI) ...
  ASSERT_TRUE(apps_->update(principal(developer_), app.id,
                            redirects_patch({kRedirect, "https://partner.example/b"}), {}));
  // ... and removing a scope hits both configurations without another version.
  ASSERT_OK_AND_ASSIGN(updated,
                       apps_->update(principal(developer_), app.id,
                                     scopes_patch({"account:read", "offline_access"}), {}));
  EXPECT_EQ(updated.current.number, 2);
  EXPECT_FALSE(updated.current.config.allows_scope("user:read"));
  EXPECT_FALSE(updated.certified->config.allows_scope("user:read"));
  EXPECT_EQ(updated.certified->certification, CertificationStatus::certified);
  EXPECT_EQ(audit_entries("app.scopes.removed").size(), 1u);
  auto reread = apps_->find_by_id(app.id).value();
  EXPECT_FALSE(reread.certified->config.allows_scope("user:read"));
}

TEST_P(AppServiceTest, RemovingAScopeOfACertifiedCurrentVersionKeepsItCertified) {
  auto app = create_app().app;
  certify_current(app.id);
  ASSERT_OK_AND_ASSIGN(
      updated, apps_->update(principal(developer_), app.id, scopes_patch({"account:read"}), {}));
  EXPECT_EQ(updated.current.number, 1);
  EXPECT_EQ(updated.current.certification, CertificationStatus::certified);
  EXPECT_FALSE(updated.has_pending_version());
  EXPECT_EQ(apps_->find_by_id(app.id)->certified->config.scopes,
            (std::vector<std::string>{"account:read"}));
}

TEST_P(AppServiceTest, SetCertificationStatusIsAuditedAndDecertifyingFallsBack) {
  auto app = create_app().app;
  ASSERT_TRUE(apps_->set_certification_status(app.current.id, CertificationStatus::in_certification,
                                              Actor::system("certification")));
  EXPECT_FALSE(apps_->find_by_id(app.id)->certified);
  certify_current(app.id);
  EXPECT_TRUE(apps_->find_by_id(app.id)->certified);
  auto entries = audit_entries("app.certification.changed");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries.front().fields.details["new"], "certified");
  ASSERT_TRUE(apps_->set_certification_status(app.current.id, CertificationStatus::uncertified,
                                              Actor::system("certification")));
  EXPECT_FALSE(apps_->find_by_id(app.id)->certified);
  EXPECT_EQ(apps_
                ->set_certification_status("apv_unknownunknownunknow",
                                           CertificationStatus::certified, Actor::system())
                .error()
                .errc(),
            Errc::not_found);
}

TEST_P(AppServiceTest, SecretRotationKeepsAtMostTwoActive) {
  auto created = create_app();
  auto first = *created.client_secret;
  clock_.advance(kMicrosPerSecond);
  ASSERT_OK_AND_ASSIGN(second, apps_->rotate_secret(principal(developer_), created.app.id, {}));
  EXPECT_TRUE(apps_->authenticate_client(created.app.client_id, first));
  EXPECT_TRUE(apps_->authenticate_client(created.app.client_id, second.secret));
  clock_.advance(kMicrosPerSecond);
  ASSERT_OK_AND_ASSIGN(third, apps_->rotate_secret(principal(developer_), created.app.id, {}));
  EXPECT_EQ(apps_->list_secrets(principal(developer_), created.app.id)->size(), 2u);
  EXPECT_EQ(apps_->authenticate_client(created.app.client_id, first).error().errc(),
            Errc::oauth_invalid_client);
  EXPECT_TRUE(apps_->authenticate_client(created.app.client_id, second.secret));
  EXPECT_TRUE(apps_->authenticate_client(created.app.client_id, third.secret));
  ASSERT_TRUE(apps_->revoke_secret(principal(developer_), created.app.id, second.info.id, {}));
  EXPECT_FALSE(apps_->authenticate_client(created.app.client_id, second.secret));
  EXPECT_EQ(apps_->revoke_secret(principal(developer_), created.app.id, second.info.id, {})
                .error()
                .errc(),
            Errc::not_found);
  EXPECT_EQ(audit_entries("app.secret.rotated").size(), 2u);
}

TEST_P(AppServiceTest, AuthenticateClientRefusesEveryBadCase) {
  auto conf = create_app();
  auto pub = create_app(ClientType::public_client);
  auto refused = [&](std::string_view id, std::optional<std::string_view> secret) {
    auto r = apps_->authenticate_client(id, secret);
    return !r && r.error().errc() == Errc::oauth_invalid_client;
  };
  EXPECT_TRUE(apps_->authenticate_client(conf.app.client_id, *conf.client_secret));
  EXPECT_TRUE(apps_->authenticate_client(pub.app.client_id, std::nullopt));
  EXPECT_TRUE(refused("ik_unknownunknownunknow", *conf.client_secret));
  EXPECT_TRUE(refused("not-an-id", std::nullopt));
  EXPECT_TRUE(refused(conf.app.client_id, std::nullopt));
  EXPECT_TRUE(refused(conf.app.client_id, ""));
  EXPECT_TRUE(refused(conf.app.client_id, "cs_sk_wrong"));
  EXPECT_TRUE(refused(conf.app.client_id, *conf.client_secret + "x"));
  EXPECT_TRUE(refused(pub.app.client_id, "cs_sk_anything"));
  // The other app's secret does not authenticate this one.
  auto conf2 = create_app();
  EXPECT_TRUE(refused(conf.app.client_id, *conf2.client_secret));
  ASSERT_TRUE(apps_->disable(principal(developer_), conf.app.id, {}));
  EXPECT_TRUE(refused(conf.app.client_id, *conf.client_secret));
}

TEST_P(AppServiceTest, DisableRevokesEveryGrantAndToken) {
  auto app = create_app();
  auto t1 = connect(app, sandbox_);
  auto t2 = connect(app, partner_production_);
  ASSERT_FALSE(t1.access_token.empty());
  ASSERT_TRUE(server_->verify_bearer(t1.access_token, "account:read"));
  EXPECT_EQ(apps_->list_grants(principal(developer_), app.app.id)->size(), 2u);
  ASSERT_OK_AND_ASSIGN(disabled, apps_->disable(principal(developer_), app.app.id, {}));
  EXPECT_EQ(disabled.status, AppStatus::disabled);
  EXPECT_EQ(live_tokens(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM oauth_grants WHERE revoked_at IS NULL"), 0);
  EXPECT_EQ(server_->verify_bearer(t1.access_token, "").error().errc(), Errc::invalid_token);
  EXPECT_EQ(server_->token(refresh_request(app, t2.refresh_token), {}).error().errc(),
            Errc::oauth_invalid_client);
  EXPECT_TRUE(apps_->list_grants(principal(developer_), app.app.id)->empty());
  EXPECT_EQ(audit_entries("app.disabled").size(), 1u);
}

CS_INSTANTIATE_BOTH_BACKENDS(AppServiceTest);

}  // namespace
}  // namespace cs::oauth::testing
