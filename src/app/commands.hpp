// One function per subcommand. Each returns the process exit code: 0 success, 1 the operation
// failed (the reason is printed on stderr), 2 bad usage.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/config.hpp"
#include "core/business_calendar.hpp"

namespace cs::app {

struct OutputOptions {
  bool json = false;
};

int cmd_serve(const Config& config);
int cmd_migrate(const Config& config, bool status_only, const OutputOptions& out);
int cmd_keys_list(const Config& config, const OutputOptions& out);
int cmd_keys_rotate(const Config& config, const OutputOptions& out);
int cmd_audit_verify(const Config& config, const OutputOptions& out);

struct CreatePartnerArgs {
  std::string name;
  bool professional_services = false;
};
int cmd_admin_create_partner(const Config& config, const CreatePartnerArgs& args, const OutputOptions& out);

struct CreateAccountArgs {
  std::string name;
  std::string environment;
  std::string partner_id;
};
int cmd_admin_create_account(const Config& config, const CreateAccountArgs& args, const OutputOptions& out);

struct CreateUserArgs {
  std::string email;
  std::string name;
  bool password_stdin = false;  // otherwise a random password is generated and printed once
};
int cmd_admin_create_user(const Config& config, const CreateUserArgs& args, const OutputOptions& out);

struct GrantRoleArgs {
  std::string user;  // email or usr_ id
  std::string role;
  std::string account_id;
  std::string partner_id;
};
int cmd_admin_grant_role(const Config& config, const GrantRoleArgs& args, const OutputOptions& out);

int cmd_demo_seed(const Config& config, const OutputOptions& out);

// `countersign smtp ...` (src/app/smtp_commands.cpp)
int cmd_smtp_set_password(const Config& config, const OutputOptions& out);  // reads stdin
int cmd_smtp_clear_password(const Config& config, const OutputOptions& out);
struct SmtpTestArgs {
  std::string to;
};
int cmd_smtp_test(const Config& config, const SmtpTestArgs& args, const OutputOptions& out);

// `countersign verify FILE.pdf` (src/app/verify_command.cpp, issue 7): always JSON on stdout.
struct VerifyArgs {
  std::string file;
};
int cmd_verify(const Config& config, const VerifyArgs& args);

// `countersign cert list|show|assign|history|metrics` (src/app/cert_commands.cpp, issue 6 §8).
enum class CertCommand { list, show, assign, history, metrics };
struct CertArgs {
  std::string id;     // crq_... (show, assign, history)
  std::string state;  // list --state
  std::string role;   // assign --role
  std::string user;   // assign --user: email or usr_ id; empty: the least loaded
};
int cmd_cert(const Config& config, CertCommand which, const CertArgs& args, const OutputOptions& out);
// The certification team's business calendar from [certification] (time zone, weekend, holidays file).
Result<BusinessCalendar> certification_calendar(const Config& config);

// Prints an error for the operator: JSON on stderr with --json, else one line.
int report_failure(const Error& error, const OutputOptions& out);
// Prints a result on stdout: `j` with --json, else the `human` line.
void print_result(const nlohmann::json& j, const OutputOptions& out, const std::string& human);

}  // namespace cs::app
