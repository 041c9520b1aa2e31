// Shared setup for the oauth tests that touch storage: a fresh migrated database on each
// backend, a manual clock, the identity directory, the app service and the authorization
// server, plus a small world: a partner org with a developer, a customer with a sandbox and a
// production account, and the partner's own production account.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "crypto/tokens.hpp"
#include "identity/directory.hpp"
#include "oauth/access_rule.hpp"
#include "oauth/app_service.hpp"
#include "oauth/authorization_server.hpp"
#include "oauth/detail/pkce.hpp"
#include "support/test_database.hpp"

namespace cs::oauth::testing {

using identity::Actor;
using identity::Environment;

inline const std::string kVerifier(64, 'v');
inline const std::string kRedirect = "https://partner.example/callback";

// Unwraps a Result in a test, failing with the error's message and detail.
inline std::string describe(const Error& e) {
  return std::string(e.code()) + ": " + e.message() + " / " + e.detail();
}
inline std::string describe(const AuthorizeError& e) { return describe(e.error); }

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                        \
  auto lhs##_result = (expr);                                  \
  ASSERT_TRUE(lhs##_result) << describe(lhs##_result.error()); \
  auto lhs = std::move(lhs##_result).value()

using Strings = std::vector<std::string>;
inline AppPatch scopes_patch(Strings v) {
  AppPatch p;
  p.scopes = std::move(v);
  return p;
}
inline AppPatch redirects_patch(Strings v) {
  AppPatch p;
  p.redirect_uris = std::move(v);
  return p;
}
inline AppPatch functions_patch(Strings v) {
  AppPatch p;
  p.functions = std::move(v);
  return p;
}
inline AppPatch name_patch(std::string v) {
  AppPatch p;
  p.name = std::move(v);
  return p;
}

class OAuthTest : public cs::testing::BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    directory_ = std::make_unique<identity::Directory>(db(), clock_, audit_, password_hasher_);
    apps_ = std::make_unique<AppService>(db(), clock_, audit_, hasher_);
    server_ =
        std::make_unique<AuthorizationServer>(db(), clock_, audit_, hasher_, *apps_, *directory_);
    auto op = Actor::operator_cli();
    partner_org_ = directory_->create_partner_org({"Acme Partner", false}, op).value().id;
    other_org_ = directory_->create_partner_org({"Other Partner", false}, op).value().id;
    developer_ = user("dev@partner.example");
    other_developer_ = user("dev@other.example");
    admin_ = user("admin@customer.example");
    sender_ = user("sender@customer.example");
    stranger_ = user("stranger@elsewhere.example");
    sandbox_ = account("Customer Sandbox", Environment::sandbox, std::nullopt);
    production_ = account("Customer Production", Environment::production, std::nullopt);
    partner_production_ = account("Partner Production", Environment::production, partner_org_);
    elsewhere_ = account("Elsewhere", Environment::production, std::nullopt);
    directory_
        ->grant_partner_role(partner_org_, developer_, identity::PartnerRole::partner_developer, op)
        .value();
    directory_
        ->grant_partner_role(other_org_, other_developer_, identity::PartnerRole::partner_admin, op)
        .value();
    for (const auto& acc : {sandbox_, production_, partner_production_})
      directory_->grant_account_role(acc, admin_, identity::AccountRole::admin, op).value();
    directory_->grant_account_role(production_, sender_, identity::AccountRole::sender, op).value();
    directory_->grant_account_role(elsewhere_, stranger_, identity::AccountRole::admin, op).value();
  }

  std::string user(const std::string& email) {
    return directory_
        ->create_user({email, "Test User", "correct horse battery"}, Actor::operator_cli())
        .value()
        .id;
  }
  std::string account(const std::string& name, Environment env, std::optional<std::string> org) {
    return directory_->create_account({name, env, std::move(org)}, Actor::operator_cli())
        .value()
        .id;
  }
  identity::Principal principal(const std::string& user_id) {
    return directory_->load_principal(user_id).value();
  }

  NewApp new_app(ClientType type = ClientType::confidential) {
    NewApp in;
    in.name = "Acme Sign Connector";
    in.description = "Connects Acme to e-signature";
    in.client_type = type;
    in.redirect_uris = {kRedirect, "http://127.0.0.1:8765/callback"};
    in.scopes = {"account:read", "user:read", "envelope:read", "offline_access"};
    in.functions = {"send", "track"};
    in.partner_org_id = partner_org_;
    return in;
  }

  CreatedApp create_app(ClientType type = ClientType::confidential) {
    auto created = apps_->create(principal(developer_), new_app(type), {});
    EXPECT_TRUE(created) << (created ? "" : created.error().message());
    return created.value();
  }

  AuthorizeParams authorize_params(const App& app, const std::string& scope, bool pkce = true) {
    AuthorizeParams p;
    p.query["response_type"] = {"code"};
    p.query["client_id"] = {app.client_id};
    p.query["redirect_uri"] = {kRedirect};
    p.query["scope"] = {scope};
    p.query["state"] = {"xyz"};
    if (pkce) {
      p.query["code_challenge"] = {detail::s256_challenge(kVerifier)};
      p.query["code_challenge_method"] = {"S256"};
    }
    return p;
  }

  // Runs authorize + approve as `user_id` for `account_id`; returns the code.
  std::string obtain_code(const App& app, const std::string& account_id,
                          const std::string& scope = "account:read offline_access",
                          const std::string& user_id = "") {
    auto req = server_->check_authorize(authorize_params(app, scope));
    EXPECT_TRUE(req) << (req ? "" : req.error().error.message());
    if (!req) return {};
    auto url =
        server_->approve(principal(user_id.empty() ? admin_ : user_id), *req, account_id, {});
    EXPECT_TRUE(url) << (url ? "" : url.error().message());
    if (!url) return {};
    auto pos = url->find("code=");
    EXPECT_NE(pos, std::string::npos) << *url;
    if (pos == std::string::npos) return {};
    auto end = url->find('&', pos);
    return url->substr(pos + 5, end == std::string::npos ? std::string::npos : end - pos - 5);
  }

  TokenRequest code_request(const CreatedApp& app, const std::string& code) {
    TokenRequest r;
    r.grant_type = "authorization_code";
    r.code = code;
    r.redirect_uri = kRedirect;
    r.code_verifier = kVerifier;
    r.client = credentials(app);
    return r;
  }

  TokenRequest refresh_request(const CreatedApp& app, const std::string& refresh_token,
                               const std::string& scope = "") {
    TokenRequest r;
    r.grant_type = "refresh_token";
    r.refresh_token = refresh_token;
    r.scope = scope;
    r.client = credentials(app);
    return r;
  }

  ClientCredentials credentials(const CreatedApp& app) {
    ClientCredentials c;
    c.client_id = app.app.client_id;
    c.client_secret = app.client_secret;
    c.method = app.client_secret ? "client_secret_basic" : "none";
    return c;
  }

  // Code + exchange in one go.
  TokenResponse connect(const CreatedApp& app, const std::string& account_id,
                        const std::string& scope = "account:read offline_access") {
    auto code = obtain_code(app.app, account_id, scope);
    auto tokens = server_->token(code_request(app, code), {});
    EXPECT_TRUE(tokens) << (tokens ? ""
                                   : tokens.error().message() + " / " + tokens.error().detail());
    return tokens ? *tokens : TokenResponse{};
  }

  void certify_current(const std::string& app_id) {
    auto app = apps_->find_by_id(app_id).value();
    ASSERT_TRUE(apps_->set_certification_status(app.current.id, CertificationStatus::certified,
                                                Actor::system("certification")));
  }

  std::int64_t count(const std::string& sql) {
    auto conn = lease();
    auto row = conn->query_one(sql);
    EXPECT_TRUE(row && *row) << sql;
    return (row && *row) ? (*row)->int64(0) : -1;
  }
  std::int64_t live_tokens() {
    return count("SELECT COUNT(*) FROM oauth_tokens WHERE revoked_at IS NULL");
  }

  std::vector<audit::AuditEntry> audit_entries(const std::string& action) {
    auto conn = lease();
    audit::AuditQuery q;
    q.action = action;
    auto entries = audit_.list(*conn, q);
    EXPECT_TRUE(entries);
    return entries ? *entries : std::vector<audit::AuditEntry>{};
  }

  ManualClock clock_;
  audit::AuditLog audit_{clock_};
  crypto::PasswordHasher password_hasher_{crypto::PasswordParams::minimal()};
  crypto::KeyRing keys_ = crypto::KeyRing::generate(clock_);
  crypto::TokenHasher hasher_{keys_};
  std::unique_ptr<identity::Directory> directory_;
  std::unique_ptr<AppService> apps_;
  std::unique_ptr<AuthorizationServer> server_;

  std::string partner_org_, other_org_;
  std::string developer_, other_developer_, admin_, sender_, stranger_;
  std::string sandbox_, production_, partner_production_, elsewhere_;
};

}  // namespace cs::oauth::testing
