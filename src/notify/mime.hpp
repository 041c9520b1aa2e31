// Rendering an EmailMessage as an RFC 5322 / MIME message, ready for SMTP DATA or an .eml file:
// CRLF line endings, no line over 998 octets, UTF-8 text and HTML as quoted-printable parts of a
// multipart/alternative, non-ASCII display names and subjects as RFC 2047 encoded words.
// Header values that could smuggle in another header (CR or LF) are refused, not cleaned.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "notify/email.hpp"

namespace cs::notify {

// "Display Name <local@domain>" or a bare "local@domain", split.
struct Mailbox {
  std::string name;  // may be empty
  std::string address;
};

// Parses a configured From value; Errc::validation_failed when it is not one plausible mailbox.
Result<Mailbox> parse_mailbox(std::string_view text);

// A syntactically plausible single address (no spaces, brackets, line breaks; one '@'; a dotted
// domain). Not full RFC 5322: its job is to keep envelope commands and headers clean.
bool plausible_address(std::string_view address);

struct MimeEnvelope {
  Mailbox from;
  Micros date = 0;
  std::string message_id;  // without angle brackets: "job_abc@countersign.localhost"
};

// The complete message. Errc::validation_failed for an implausible address, a header value
// with CR/LF, or an empty subject or body.
Result<std::string> render_mime(const EmailMessage& message, const MimeEnvelope& envelope);

// Pieces, exposed for tests.
std::string encode_header_text(std::string_view utf8);  // RFC 2047 "B" words when not ASCII
std::string quoted_printable(std::string_view text);    // input with any line endings; CRLF out
std::string format_rfc5322_date(Micros t);              // "Thu, 01 Jan 2026 00:00:00 +0000"

}  // namespace cs::notify
