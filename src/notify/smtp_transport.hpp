// One SMTP submission through libcurl (DESIGN.md "Dependencies": libcurl for SMTP).
//
// TLS modes, as configured in `smtp.tls`:
//   starttls  smtp://, STARTTLS required (CURLUSESSL_ALL): a server that does not offer it fails
//             the delivery instead of the password and message going out in the clear;
//   tls       smtps:// (implicit TLS, usually port 465);
//   none      plain smtp:// (local relays and tests only).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cs::notify {

enum class SmtpTls { starttls, tls, none };

// "starttls" | "tls" | "none"; anything else is Errc::validation_failed.
Result<SmtpTls> parse_smtp_tls(std::string_view text);

struct SmtpSettings {
  std::string host;
  int port = 587;
  SmtpTls tls = SmtpTls::starttls;
  std::string user;      // empty: no AUTH
  std::string password;  // only with a user
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{60000};  // the whole conversation
};

// What the server last said, for logs and for telling a refusal from a transient failure.
struct SmtpFailure {
  long reply_code = 0;  // the last SMTP reply code, 0 when there was none (no connection)
  bool permanent() const { return reply_code >= 500 && reply_code < 600; }
};

// Sends `message` (complete RFC 5322 text with CRLF line endings; libcurl dot-stuffs it) from
// `mail_from` to one recipient. On failure: Errc::unavailable with a generic public message;
// the detail names the server, curl's error and the SMTP reply code, never the password.
Status send_smtp(const SmtpSettings& settings, std::string_view mail_from, std::string_view rcpt_to,
                 std::string_view message, SmtpFailure* failure = nullptr);

}  // namespace cs::notify
