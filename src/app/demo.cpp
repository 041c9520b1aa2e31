// `countersign demo seed`: the demo partner, accounts and users (issue 2 §6), idempotently.
// Passwords are random and printed only when a user is created; on later runs the user is
// listed with "password": null.
#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/runtime.hpp"
#include "crypto/primitives.hpp"
#include "identity/roles.hpp"
#include "esign/envelope_service.hpp"
#include "esign/sample_pdf.hpp"
#include "oauth/app_service.hpp"

namespace cs::app {
namespace {

struct DemoUser {
  const char* key;    // the key in the printed "users" object
  const char* email;
  const char* name;
};

// Ensures the user exists; returns it and, if it was created now, its password.
Result<std::pair<identity::User, std::optional<std::string>>> ensure_user(identity::Directory& directory,
                                                                          const DemoUser& u,
                                                                          const identity::Actor& actor) {
  if (auto found = CS_TRY(directory.find_user_by_email(u.email))) return std::pair{*found, std::optional<std::string>{}};
  std::string password = crypto::base64url_encode(crypto::random_bytes(15));  // 20 characters
  auto user = CS_TRY(directory.create_user({u.email, u.name, password}, actor));
  return std::pair{user, std::optional<std::string>(password)};
}

Result<identity::PartnerOrg> ensure_partner(identity::Directory& directory, const identity::Actor& actor) {
  if (auto found = CS_TRY(directory.find_partner_org_by_name("Acme Integrations"))) return *found;
  // The demo partner has a professional-services engagement, so the certification dry run
  // can be tried with it.
  return directory.create_partner_org({"Acme Integrations", true}, actor);
}

Result<identity::Account> ensure_account(identity::Directory& directory, const std::string& name,
                                         identity::Environment env, const identity::Actor& actor) {
  if (auto found = CS_TRY(directory.find_account_by_name(name))) return *found;
  return directory.create_account({name, env, std::nullopt}, actor);
}

constexpr const char* kDemoAppName = "Acme Sign Connector";
constexpr const char* kDemoRedirectUri = "http://127.0.0.1:8765/callback";

// The demo partner's confidential app with every scope (issue 3 §5). Its client secret is
// printed only when the app is created, like the passwords.
Result<nlohmann::json> ensure_demo_app(identity::Directory& directory, oauth::AppService& apps,
                                       const identity::PartnerOrg& partner, const identity::User& partner_admin) {
  auto principal = CS_TRY(directory.load_principal(partner_admin.id));
  for (const auto& app : CS_TRY(apps.list(principal))) {
    if (app.name == kDemoAppName && app.partner_org_id == partner.id) {
      return nlohmann::json{{"client_id", app.client_id}, {"client_secret", nullptr}, {"redirect_uri", kDemoRedirectUri}};
    }
  }
  oauth::NewApp in;
  in.name = kDemoAppName;
  in.description = "Generates documents in Acme's platform, sends them for signature and tracks their status.";
  in.client_type = oauth::ClientType::confidential;
  in.redirect_uris = {kDemoRedirectUri};
  for (const auto& scope : oauth::scope_catalogue()) in.scopes.emplace_back(scope.name);
  in.functions = {"send", "sign", "track"};
  in.documentation_url = "https://acme-integrations.example/docs/countersign";
  in.support_url = "https://acme-integrations.example/support";
  in.partner_org_id = partner.id;
  auto created = CS_TRY(apps.create(principal, in, {}));
  return nlohmann::json{{"client_id", created.app.client_id},
                        {"client_secret", created.client_secret ? nlohmann::json(*created.client_secret) : nullptr},
                        {"redirect_uri", kDemoRedirectUri}};
}

constexpr const char* kDemoEnvelopeSubject = "Demo: Mutual NDA";

// Issue 4 §5: one draft envelope with a small generated PDF in the sandbox account, so the API
// has something to show. Found again by its subject on later runs.
Result<std::string> ensure_demo_envelope(esign::EnvelopeService& envelopes, const identity::Account& sandbox,
                                         const identity::User& sender) {
  esign::ApiActor who{sandbox.id, sender.id, std::nullopt, "", "demo-seed", ""};
  esign::ListFilter all;
  all.status = esign::EnvelopeStatus::created;
  all.limit = 100;
  for (const auto& e : CS_TRY(envelopes.list(who, all)).items) {
    if (e.email_subject == kDemoEnvelopeSubject) return e.id;
  }
  esign::CreateEnvelope in;
  in.email_subject = kDemoEnvelopeSubject;
  in.email_message = "Please review and sign the attached NDA.";
  in.documents.push_back({"nda", "mutual-nda.pdf", esign::sample_pdf("Mutual Non-Disclosure Agreement")});
  in.recipients.push_back({"1", esign::RecipientType::signer, "Nora Signer", "nora@signer.example", 1, std::nullopt});
  in.recipients.push_back({"2", esign::RecipientType::cc, "Carl Copy", "carl@copy.example", 2, std::nullopt});
  in.fields.push_back({"nda", "1", esign::FieldType::signature, 1, 72, 600, 200, 40, true});
  in.fields.push_back({"nda", "1", esign::FieldType::date_signed, 1, 320, 600, 120, 24, true});
  return CS_TRY(envelopes.create(who, std::move(in))).id;
}

Result<nlohmann::json> seed(identity::Directory& directory, oauth::AppService& apps, esign::EnvelopeService& envelopes) {
  auto actor = identity::Actor::system("demo-seed");
  nlohmann::json users = nlohmann::json::object();
  auto add_user = [&](const DemoUser& u) -> Result<identity::User> {
    auto [user, password] = CS_TRY(ensure_user(directory, u, actor));
    users[u.key] = {{"email", user.email}, {"password", password ? nlohmann::json(*password) : nullptr}};
    return user;
  };

  auto partner = CS_TRY(ensure_partner(directory, actor));
  auto padmin = CS_TRY(add_user({"partner_admin", "admin@acme-integrations.example", "Ada Acme"}));
  CS_TRY(directory.grant_partner_role(partner.id, padmin.id, identity::PartnerRole::partner_admin, actor));
  auto pdev = CS_TRY(add_user({"partner_developer", "developer@acme-integrations.example", "Dev Acme"}));
  CS_TRY(directory.grant_partner_role(partner.id, pdev.id, identity::PartnerRole::partner_developer, actor));

  auto sandbox = CS_TRY(ensure_account(directory, "Globex Sandbox", identity::Environment::sandbox, actor));
  auto production = CS_TRY(ensure_account(directory, "Globex", identity::Environment::production, actor));
  const struct {
    const identity::Account& account;
    DemoUser admin, sender;
  } accounts[] = {
      {sandbox, {"sandbox_admin", "admin@sandbox.globex.example", "Sandy Admin"},
       {"sandbox_sender", "sender@sandbox.globex.example", "Sam Sender"}},
      {production, {"production_admin", "admin@globex.example", "Grace Globex"},
       {"production_sender", "sender@globex.example", "Paul Sender"}},
  };
  std::optional<identity::User> sandbox_sender;
  for (const auto& a : accounts) {
    auto admin = CS_TRY(add_user(a.admin));
    CS_TRY(directory.grant_account_role(a.account.id, admin.id, identity::AccountRole::admin, actor));
    auto sender = CS_TRY(add_user(a.sender));
    if (&a.account == &sandbox) sandbox_sender = sender;
    CS_TRY(directory.grant_account_role(a.account.id, sender.id, identity::AccountRole::sender, actor));
  }

  const std::pair<identity::StaffRole, DemoUser> staff[] = {
      {identity::StaffRole::certification_engineer,
       {"certification_engineer", "engineer@countersign.example", "Cora Engineer"}},
      {identity::StaffRole::security_reviewer, {"security_reviewer", "security@countersign.example", "Sid Security"}},
      {identity::StaffRole::partner_manager, {"partner_manager", "partners@countersign.example", "Pat Manager"}},
      {identity::StaffRole::solution_consultant,
       {"solution_consultant", "consultant@countersign.example", "Sol Consultant"}},
      {identity::StaffRole::final_approver, {"final_approver", "cto@countersign.example", "Fay Approver"}},
      {identity::StaffRole::platform_operator, {"operator", "operator@countersign.example", "Otto Operator"}},
  };
  for (const auto& [role, u] : staff) {
    auto user = CS_TRY(add_user(u));
    CS_TRY(directory.grant_staff_role(user.id, role, actor));
  }

  auto app = CS_TRY(ensure_demo_app(directory, apps, partner, padmin));
  auto envelope_id = CS_TRY(ensure_demo_envelope(envelopes, sandbox, *sandbox_sender));

  return nlohmann::json{{"partner", {{"id", partner.id}, {"name", partner.name}}},
                        {"envelope", {{"id", envelope_id}, {"status", "created"}}},
                        {"app", app},
                        {"users", users},
                        {"accounts", {{"sandbox", {{"id", sandbox.id}, {"name", sandbox.name}}},
                                      {"production", {{"id", production.id}, {"name", production.name}}}}}};
}

}  // namespace

int cmd_demo_seed(const Config& config, const OutputOptions& out) {
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  auto result = seed((*rt)->directory, (*rt)->apps, (*rt)->envelopes);
  if (!result) return report_failure(result.error(), out);
  std::cout << result->dump(out.json ? -1 : 2) << "\n";
  return 0;
}

}  // namespace cs::app
