// `countersign smtp ...` (issue 4 §3): the SMTP password at rest, and a test delivery.
// The password is read from standard input, never from argv (which `ps` and shell history
// show), stored only as a FieldCipher ciphertext, and every change is audited.
#include <iostream>
#include <string>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/runtime.hpp"
#include "core/ids.hpp"
#include "identity/audit_record.hpp"
#include "notify/smtp_password.hpp"
#include "store/database.hpp"

namespace cs::app {
namespace {

identity::AuditRecord smtp_password_record(std::string action) {
  return {std::move(action), "platform_setting", std::string(notify::kSmtpPasswordSetting)};
}

}  // namespace

int cmd_smtp_set_password(const Config& config, const OutputOptions& out) {
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  Runtime& r = **rt;
  auto stored = store::transact(*r.db, [&](store::Connection& conn) -> Status {
    CS_CHECK(notify::store_smtp_password(conn, r.cipher, password, r.clock));
    return identity::record(r.audit, conn, identity::Actor::operator_cli(),
                            smtp_password_record("smtp.password.set"));
  });
  std::fill(password.begin(), password.end(), '\0');
  if (!stored) return report_failure(stored.error(), out);
  std::string human = "SMTP password stored (encrypted)";
  if (config.smtp_user.empty()) human += "; note: smtp.user is not set, so it is not used yet";
  print_result({{"stored", true}, {"smtp_user_configured", !config.smtp_user.empty()}}, out, human);
  return 0;
}

int cmd_smtp_clear_password(const Config& config, const OutputOptions& out) {
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  Runtime& r = **rt;
  auto cleared = store::transact(*r.db, [&](store::Connection& conn) -> Result<bool> {
    bool had = CS_TRY(notify::clear_smtp_password(conn));
    if (had) {
      CS_CHECK(identity::record(r.audit, conn, identity::Actor::operator_cli(),
                                smtp_password_record("smtp.password.cleared")));
    }
    return had;
  });
  if (!cleared) return report_failure(cleared.error(), out);
  print_result({{"cleared", *cleared}}, out,
        *cleared ? "SMTP password removed" : "no SMTP password was stored");
  return 0;
}

int cmd_smtp_test(const Config& config, const SmtpTestArgs& args, const OutputOptions& out) {
  // The command prints the outcome itself; the mailer's info lines would only break --json.
  spdlog::set_level(spdlog::level::warn);
  auto rt = open_runtime(config);
  if (!rt) return report_failure(rt.error(), out);
  Runtime& r = **rt;
  notify::EmailMessage message;
  message.to = args.to;
  message.subject = "Countersign SMTP test";
  message.text_body =
      "This is a test email from Countersign (`countersign smtp test`).\n"
      "If you can read it, email delivery is configured correctly.\n";
  message.category = "smtp_test";
  // Not queued: the operator wants the outcome of this very attempt.
  auto delivered = r.mailer.deliver(message, new_id("smtptest"), r.clock.now());
  if (!delivered) {
    // The operator's own terminal: the detail (server, curl error, SMTP reply) is what they need.
    const Error& e = delivered.error();
    if (out.json) {
      std::cout << nlohmann::json{{"sent", false},
                                  {"code", e.code()},
                                  {"error", e.message()},
                                  {"detail", e.detail()}}
                       .dump()
                << "\n";
    } else {
      std::cerr << "countersign: test email NOT delivered: " << e.message();
      if (!e.detail().empty()) std::cerr << " (" << e.detail() << ")";
      std::cerr << "\n";
    }
    return 1;
  }
  nlohmann::json j{{"sent", true}, {"message_id", delivered->message_id}};
  std::string human;
  if (delivered->via == notify::Delivery::Via::smtp) {
    j["via"] = "smtp";
    j["server"] = config.smtp_host + ":" + std::to_string(config.smtp_port);
    human = "test email accepted by " + config.smtp_host + ":" + std::to_string(config.smtp_port) +
            " for delivery to " + args.to + " (Message-ID <" + delivered->message_id + ">)";
  } else {
    j["via"] = "outbox";
    j["file"] = delivered->file.string();
    human =
        "no SMTP host configured (smtp.host); test email written to " + delivered->file.string();
  }
  print_result(j, out, human);
  return 0;
}

}  // namespace cs::app
