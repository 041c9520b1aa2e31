// Outgoing email (issue 4 §3). Services queue a message in their own transaction with
// enqueue_email(); the `email.send` job handler (src/notify/mailer) delivers it over SMTP
// (libcurl), or, in demo mode with no SMTP configured, writes it as an .eml file under the
// outbox directory. A message is therefore sent only if the change that caused it commits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::store {
class Connection;
}

namespace cs::notify {

inline constexpr std::string_view kEmailJobKind = "email.send";
// Attempts before an email job goes dead. With the queue's backoff (2 s doubling, capped at an
// hour) twelve attempts span about 70 minutes: a relay outage of that length loses nothing.
inline constexpr int kEmailMaxAttempts = 12;

struct EmailMessage {
  std::string to;       // one address
  std::string to_name;  // display name; may be empty
  std::string subject;
  std::string text_body;                 // required
  std::optional<std::string> html_body;  // optional alternative part
  std::string category;  // "invitation", "completed", "webhook_disabled", ... (logs, tests)
};

nlohmann::json to_json(const EmailMessage& m);
Result<EmailMessage> email_from_json(const nlohmann::json& j);

// Validates the message (a syntactically valid address, no CR/LF in headers, a subject and a
// body) and enqueues an `email.send` job on `conn`, inside the caller's transaction. Answers the
// job id.
Result<std::string> enqueue_email(store::Connection& conn, const EmailMessage& message,
                                  const Clock& clock);

}  // namespace cs::notify
