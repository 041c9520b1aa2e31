// `countersign admin ...`: the operator creates partner orgs, accounts and users and grants
// roles. Every change is audited with the operator CLI as its actor.
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/runtime.hpp"
#include "crypto/primitives.hpp"
#include "identity/roles.hpp"

namespace cs::app {
namespace {

// A random password for people to copy once: 24 base64url characters (144 bits).
std::string generated_password() { return crypto::base64url_encode(crypto::random_bytes(18)); }

Result<std::string> read_password_stdin() {
  std::string line;
  if (!std::getline(std::cin, line)) return fail(Errc::validation_failed, "no password on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<identity::User> resolve_user(identity::Directory& directory, const std::string& user) {
  if (user.rfind("usr_", 0) == 0) return directory.get_user(user);
  auto found = CS_TRY(directory.find_user_by_email(user));
  if (!found) return fail(Errc::not_found, "no user with email " + user);
  return *found;
}

}  // namespace

int cmd_admin_create_partner(const Config& config, const CreatePartnerArgs& args, const OutputOptions& out) {
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  auto org = (*rt)->directory.create_partner_org({args.name, args.professional_services},
                                                 identity::Actor::operator_cli());
  if (!org) return report_failure(org.error(), out);
  print_result({{"id", org->id}, {"name", org->name}, {"professional_services", org->professional_services}}, out,
        "created partner org " + org->id + " (" + org->name + ")");
  return 0;
}

int cmd_admin_create_account(const Config& config, const CreateAccountArgs& args, const OutputOptions& out) {
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  auto env = identity::parse_environment(args.environment);
  if (!env) return report_failure(Error(Errc::validation_failed, "environment must be sandbox or production"), out);
  identity::NewAccount in{args.name, *env, std::nullopt};
  if (!args.partner_id.empty()) in.partner_org_id = args.partner_id;
  auto account = (*rt)->directory.create_account(in, identity::Actor::operator_cli());
  if (!account) return report_failure(account.error(), out);
  nlohmann::json j{{"id", account->id},
                   {"name", account->name},
                   {"environment", identity::to_string(account->environment)},
                   {"partner_org_id", account->partner_org_id ? nlohmann::json(*account->partner_org_id) : nullptr},
                   {"allow_uncertified_apps", account->allow_uncertified_apps}};
  print_result(j, out, "created " + std::string(identity::to_string(account->environment)) + " account " + account->id);
  return 0;
}

int cmd_admin_create_user(const Config& config, const CreateUserArgs& args, const OutputOptions& out) {
  std::string password;
  bool generated = false;
  if (args.password_stdin) {
    auto read = read_password_stdin();
    if (!read) return report_failure(read.error(), out);
    password = *read;
  } else {
    password = generated_password();
    generated = true;
  }
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  auto user = (*rt)->directory.create_user({args.email, args.name, password}, identity::Actor::operator_cli());
  if (!user) return report_failure(user.error(), out);
  nlohmann::json j{{"id", user->id}, {"email", user->email}, {"name", user->name}};
  std::string human = "created user " + user->id + " <" + user->email + ">";
  if (generated) {
    j["password"] = password;  // shown once; only its Argon2id hash is stored
    human += "\npassword (shown once): " + password;
  }
  print_result(j, out, human);
  return 0;
}

int cmd_admin_grant_role(const Config& config, const GrantRoleArgs& args, const OutputOptions& out) {
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  auto& directory = (*rt)->directory;
  auto user = resolve_user(directory, args.user);
  if (!user) return report_failure(user.error(), out);
  auto actor = identity::Actor::operator_cli();
  Result<bool> granted = fail(Errc::validation_failed, "unknown role " + args.role);
  nlohmann::json j{{"user_id", user->id}, {"role", args.role}};
  if (auto role = identity::parse_account_role(args.role)) {
    if (args.account_id.empty()) return report_failure(Error(Errc::validation_failed, "account roles need --account"), out);
    granted = directory.grant_account_role(args.account_id, user->id, *role, actor);
    j["account_id"] = args.account_id;
  } else if (auto prole = identity::parse_partner_role(args.role)) {
    if (args.partner_id.empty()) return report_failure(Error(Errc::validation_failed, "partner roles need --partner"), out);
    granted = directory.grant_partner_role(args.partner_id, user->id, *prole, actor);
    j["partner_org_id"] = args.partner_id;
  } else if (auto srole = identity::parse_staff_role(args.role)) {
    granted = directory.grant_staff_role(user->id, *srole, actor);
  }
  if (!granted) return report_failure(granted.error(), out);
  j["changed"] = *granted;
  print_result(j, out, std::string(*granted ? "granted " : "already had ") + args.role + " to " + user->email);
  return 0;
}

}  // namespace cs::app
