// The `email.send` job handler (issue 4 §3): renders the queued EmailMessage and delivers it
// over SMTP, or, with no SMTP host configured (demo mode), writes it to the outbox directory.
//
// Failures are failed job attempts: the job queue retries with backoff and the job goes dead
// after its max_attempts. That holds for permanent refusals too (a 5xx for the recipient),
// because a misconfigured relay answers 5xx as readily as a bad address does, and a bounded
// number of retries costs little; the dead job stays for the operator (`jobs` table) and the
// last attempt is logged as an error.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/field_cipher.hpp"
#include "notify/email.hpp"
#include "notify/smtp_transport.hpp"
#include "store/job_queue.hpp"

namespace cs::notify {

struct MailerSettings {
  std::string smtp_host;  // empty: outbox mode
  int smtp_port = 587;
  SmtpTls smtp_tls = SmtpTls::starttls;
  std::string smtp_user;
  std::string from = "Countersign <no-reply@countersign.localhost>";
  std::filesystem::path outbox_dir;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{60000};
};

struct Delivery {
  enum class Via { smtp, outbox };
  Via via = Via::outbox;
  std::filesystem::path file;  // outbox only
  std::string message_id;
};

class Mailer {
 public:
  // `db`, `cipher` and `clock` must outlive the mailer (the password is read from `db` at each
  // delivery). Thread-safe: job workers call handle() concurrently.
  Mailer(MailerSettings settings, store::Database& db, const crypto::FieldCipher& cipher,
         const Clock& clock);

  // The JobRunner handler for kEmailJobKind.
  Status handle(const store::Job& job) const;

  // Renders and delivers one message now. `key` (a job id, or any [A-Za-z0-9_-] name) makes the
  // Message-ID and, in outbox mode, the file name together with `created_at`.
  Result<Delivery> deliver(const EmailMessage& message, std::string_view key,
                           Micros created_at) const;

  bool uses_smtp() const { return !settings_.smtp_host.empty(); }
  const MailerSettings& settings() const { return settings_; }

 private:
  MailerSettings settings_;
  store::Database& db_;
  const crypto::FieldCipher& cipher_;
  const Clock& clock_;
};

}  // namespace cs::notify
