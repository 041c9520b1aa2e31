#include "notify/email.hpp"

#include "notify/mime.hpp"
#include "store/job_queue.hpp"

namespace cs::notify {

namespace {

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

nlohmann::json to_json(const EmailMessage& m) {
  nlohmann::json j{{"to", m.to},
                   {"to_name", m.to_name},
                   {"subject", m.subject},
                   {"text_body", m.text_body},
                   {"category", m.category}};
  if (m.html_body) j["html_body"] = *m.html_body;
  return j;
}

Result<EmailMessage> email_from_json(const nlohmann::json& j) {
  if (!j.is_object())
    return fail(Errc::internal, "Bad email job payload", "payload is not an object");
  EmailMessage m;
  try {
    m.to = j.at("to").get<std::string>();
    m.to_name = j.value("to_name", "");
    m.subject = j.at("subject").get<std::string>();
    m.text_body = j.at("text_body").get<std::string>();
    if (j.contains("html_body")) m.html_body = j.at("html_body").get<std::string>();
    m.category = j.value("category", "");
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::internal, "Bad email job payload", e.what());
  }
  return m;
}

Result<std::string> enqueue_email(store::Connection& conn, const EmailMessage& message,
                                  const Clock& clock) {
  if (!plausible_address(message.to)) {
    return fail(
        Error(Errc::validation_failed, "The email address is not valid").with_field("email"));
  }
  if (has_line_break(message.to_name) || has_line_break(message.subject) ||
      message.subject.empty() || message.text_body.empty()) {
    return fail(Errc::validation_failed,
                "The email has no subject or body, or a header contains a line break");
  }
  store::NewJob job{std::string(kEmailJobKind), to_json(message).dump()};
  job.max_attempts = kEmailMaxAttempts;
  return store::enqueue(conn, job, clock);
}

}  // namespace cs::notify
