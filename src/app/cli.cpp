#include "app/cli.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "app/config.hpp"

namespace cs::app {
namespace {

constexpr const char* kVersion = "0.1.0";

constexpr const char* kFooter = R"(Configuration precedence: defaults < TOML file (--config or COUNTERSIGN_CONFIG)
< COUNTERSIGN_* environment variables < flags. With no configuration, data (SQLite database,
key file, blobs) lives in ./data and keys are created on first run.

Environment: COUNTERSIGN_CONFIG, COUNTERSIGN_LISTEN, COUNTERSIGN_DATA_DIR,
COUNTERSIGN_DATABASE_URL, COUNTERSIGN_PUBLIC_URL, COUNTERSIGN_KEY_FILE, COUNTERSIGN_MASTER_KEYS,
COUNTERSIGN_IO_THREADS, COUNTERSIGN_WORKER_THREADS, COUNTERSIGN_TLS_CERT_FILE,
COUNTERSIGN_TLS_KEY_FILE, COUNTERSIGN_PASSWORD_PROFILE, COUNTERSIGN_LOG_LEVEL,
COUNTERSIGN_ACCESS_LOG, COUNTERSIGN_SMTP_* and the limits (see README.md, "Configuration").)";

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"Countersign: the partner program of an e-signature platform (server and operator CLI)",
               "countersign"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // --data-dir, --database and --config work after any subcommand too
  app.set_version_flag("--version", kVersion);

  std::string config_file;
  std::string data_dir;
  std::string database;
  std::string listen;
  OutputOptions out;
  app.add_option("--config", config_file, "TOML configuration file (env COUNTERSIGN_CONFIG)");
  app.add_option("--data-dir", data_dir, "Data directory: SQLite database, key file, blobs (env COUNTERSIGN_DATA_DIR; default ./data)");
  app.add_option("--database", database, "Database URL: a SQLite file path, or postgresql://... (env COUNTERSIGN_DATABASE_URL; default <data-dir>/countersign.db)");

  auto* serve = app.add_subcommand("serve", "Run the HTTP server (migrates the database first)");
  serve->add_option("--listen", listen, "HOST:PORT to listen on (env COUNTERSIGN_LISTEN; default 127.0.0.1:8080; port 0 picks a free port)");

  bool status_only = false;
  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  migrate->add_flag("--status", status_only, "Only report the current and latest migration");
  migrate->add_flag("--json", out.json, "JSON output");

  auto* keys = app.add_subcommand("keys", "Manage the master key ring");
  keys->require_subcommand(1);
  auto* keys_list = keys->add_subcommand("list", "List key ids, creation times and the active key (never key material)");
  keys_list->add_flag("--json", out.json, "JSON output");
  auto* keys_rotate = keys->add_subcommand("rotate", "Add a master key, make it active and re-encrypt every encrypted field");
  keys_rotate->add_flag("--json", out.json, "JSON output");

  auto* audit = app.add_subcommand("audit", "Audit log");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand("verify", "Check the audit log's hash chain; names the first bad entry");
  audit_verify->add_flag("--json", out.json, "JSON output");

  auto* admin = app.add_subcommand("admin", "Operator commands: partners, accounts, users, roles");
  admin->require_subcommand(1);
  CreatePartnerArgs partner_args;
  auto* create_partner = admin->add_subcommand("create-partner", "Create a partner org");
  create_partner->add_option("--name", partner_args.name, "Partner org name")->required();
  create_partner->add_flag("--professional-services", partner_args.professional_services,
                           "The partner has a professional-services engagement (allows a certification dry run)");
  create_partner->add_flag("--json", out.json, "JSON output");

  CreateAccountArgs account_args;
  auto* create_account = admin->add_subcommand("create-account", "Create a customer account");
  create_account->add_option("--name", account_args.name, "Account name")->required();
  create_account->add_option("--environment", account_args.environment, "sandbox or production")
      ->required()
      ->check(CLI::IsMember({"sandbox", "production"}));
  create_account->add_option("--partner", account_args.partner_id, "Owning partner org id (ptn_...)");
  create_account->add_flag("--json", out.json, "JSON output");

  CreateUserArgs user_args;
  auto* create_user = admin->add_subcommand("create-user", "Create a user; prints a generated password once unless --password-stdin");
  create_user->add_option("--email", user_args.email, "Email address (unique)")->required();
  create_user->add_option("--name", user_args.name, "Display name")->required();
  create_user->add_flag("--password-stdin", user_args.password_stdin, "Read the password from standard input");
  create_user->add_flag("--json", out.json, "JSON output");

  GrantRoleArgs grant_args;
  auto* grant_role = admin->add_subcommand(
      "grant-role",
      "Grant a role: account admin|sender (--account), partner partner_admin|partner_developer (--partner), "
      "or a staff role certification_engineer|security_reviewer|partner_manager|solution_consultant|final_approver|operator");
  grant_role->add_option("--user", grant_args.user, "User email or id (usr_...)")->required();
  grant_role->add_option("--role", grant_args.role, "Role name")->required();
  grant_role->add_option("--account", grant_args.account_id, "Account id (acc_...) for account roles");
  grant_role->add_option("--partner", grant_args.partner_id, "Partner org id (ptn_...) for partner roles");
  grant_role->add_flag("--json", out.json, "JSON output");

  auto* demo = app.add_subcommand("demo", "Demo data");
  demo->require_subcommand(1);
  auto* demo_seed = demo->add_subcommand(
      "seed", "Create the demo partner, accounts and users idempotently; passwords are printed only when created");
  demo_seed->add_flag("--json", out.json, "JSON output (the only format)");

  auto* smtp = app.add_subcommand("smtp", "Email delivery: the SMTP password and a test email");
  smtp->require_subcommand(1);
  auto* smtp_set_password = smtp->add_subcommand(
      "set-password", "Store the SMTP password (read from standard input, never argv), encrypted; audited");
  smtp_set_password->add_flag("--json", out.json, "JSON output");
  auto* smtp_clear_password = smtp->add_subcommand("clear-password", "Remove the stored SMTP password; audited");
  smtp_clear_password->add_flag("--json", out.json, "JSON output");
  SmtpTestArgs smtp_test_args;
  auto* smtp_test = smtp->add_subcommand(
      "test", "Send a test email now (SMTP, or the outbox when smtp.host is empty) and print the outcome");
  smtp_test->add_option("--to", smtp_test_args.to, "Recipient address")->required();
  smtp_test->add_flag("--json", out.json, "JSON output");

  VerifyArgs verify_args;
  auto* verify = app.add_subcommand(
      "verify", "Check a sealed PDF offline: the PAdES seal, its byte ranges, that this deployment issued it, "
                "and that Countersign recorded the file; prints JSON, exit 0 only when everything holds");
  verify->add_option("file", verify_args.file, "The sealed PDF")->required();

  CertArgs cert_args;
  auto* cert = app.add_subcommand("cert", "Certification requests: list, show, assign staff, history, metrics (as the operator)");
  cert->require_subcommand(1);
  auto* cert_list = cert->add_subcommand("list", "List certification requests, newest first");
  cert_list->add_option("--state", cert_args.state,
                        "Only requests in this state (draft, submitted, in_review, changes_requested, remedied, "
                        "engineer_approved, promotion_requested, final_review, certified, launched, withdrawn, rejected)");
  auto* cert_show = cert->add_subcommand("show", "One request: state, clocks, assignments, unclosed findings, and a "
                                                 "recertification's configuration difference");
  auto* cert_assign = cert->add_subcommand(
      "assign", "Assign a certification_engineer, security_reviewer or final_approver (audited); without --user the "
                "least loaded holder of the role");
  cert_assign->add_option("--role", cert_args.role, "certification_engineer, security_reviewer or final_approver")
      ->required();
  cert_assign->add_option("--user", cert_args.user, "Staff user email or id (usr_...)");
  auto* cert_history = cert->add_subcommand("history", "A request's timeline: transitions and decisions, oldest first");
  auto* cert_metrics = cert->add_subcommand(
      "metrics", "Requests per state, time to certify in business days (median, p90), clock breaches, remedy rounds");
  for (auto* sub : {cert_show, cert_assign, cert_history}) {
    sub->add_option("id", cert_args.id, "The request id (crq_...)")->required();
  }
  for (auto* sub : {cert_list, cert_show, cert_assign, cert_history, cert_metrics}) {
    sub->add_flag("--json", out.json, "JSON output");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  Config config;
  auto env = process_environment();
  if (config_file.empty()) {
    if (auto it = env.find("COUNTERSIGN_CONFIG"); it != env.end()) config_file = it->second;
  }
  Status loaded = Status{};
  if (!config_file.empty()) loaded = apply_toml_file(config, config_file);
  if (loaded) loaded = apply_environment(config, env);
  if (!loaded) {
    std::cerr << "countersign: " << loaded.error().message() << "\n";
    return 2;
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!database.empty()) config.database_url = database;
  if (!listen.empty()) config.listen = listen;
  if (auto valid = validate(config); !valid) {
    std::cerr << "countersign: " << valid.error().message() << "\n";
    return 2;
  }

  if (*serve) return cmd_serve(config);
  if (*migrate) return cmd_migrate(config, status_only, out);
  if (*keys_list) return cmd_keys_list(config, out);
  if (*keys_rotate) return cmd_keys_rotate(config, out);
  if (*audit_verify) return cmd_audit_verify(config, out);
  if (*create_partner) return cmd_admin_create_partner(config, partner_args, out);
  if (*create_account) return cmd_admin_create_account(config, account_args, out);
  if (*create_user) return cmd_admin_create_user(config, user_args, out);
  if (*grant_role) return cmd_admin_grant_role(config, grant_args, out);
  if (*demo_seed) return cmd_demo_seed(config, out);
  if (*smtp_set_password) return cmd_smtp_set_password(config, out);
  if (*smtp_clear_password) return cmd_smtp_clear_password(config, out);
  if (*smtp_test) return cmd_smtp_test(config, smtp_test_args, out);
  if (*verify) return cmd_verify(config, verify_args);
  if (*cert_list) return cmd_cert(config, CertCommand::list, cert_args, out);
  if (*cert_show) return cmd_cert(config, CertCommand::show, cert_args, out);
  if (*cert_assign) return cmd_cert(config, CertCommand::assign, cert_args, out);
  if (*cert_history) return cmd_cert(config, CertCommand::history, cert_args, out);
  if (*cert_metrics) return cmd_cert(config, CertCommand::metrics, cert_args, out);
  return 2;
}

}  // namespace cs::app
