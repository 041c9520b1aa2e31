#include "notify/mime.hpp"

#include <ctime>
#include <span>

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "crypto/primitives.hpp"

namespace cs::notify {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// RFC 2047 §2: an encoded word is at most 75 characters; "=?UTF-8?B?" + "?=" leave 63 for the
// base64 text, i.e. 45 input bytes.
constexpr std::size_t kEncodedWordBytes = 45;
constexpr std::size_t kQpLine = 76;  // RFC 2045 §6.7 rule 5

bool has_line_break(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

bool is_ascii_printable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

std::string b_word(std::string_view bytes) {
  auto span = std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return "=?UTF-8?B?" + crypto::base64_encode(span) + "?=";
}

// Length of the UTF-8 sequence that starts with `lead` (1 for continuation bytes, which
// is_valid_utf8 has already ruled out at chunk starts).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

std::string quoted_phrase(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string format_mailbox(const Mailbox& m) {
  if (m.name.empty()) return "<" + m.address + ">";
  std::string phrase =
      is_ascii_printable(m.name) ? quoted_phrase(m.name) : encode_header_text(m.name);
  return phrase + " <" + m.address + ">";
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string("countersign.localhost")
                                      : std::string(address.substr(at + 1));
}

tl::unexpected<Error> invalid(std::string message, std::string field = {}) {
  Error e(Errc::validation_failed, std::move(message));
  if (!field.empty()) return fail(std::move(e).with_field(std::move(field)));
  return fail(std::move(e));
}

void append_part_headers(std::string& out, std::string_view type) {
  out += fmt::format(
      "Content-Type: {}; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
      type);
}

}  // namespace

bool plausible_address(std::string_view a) {
  auto at = a.find('@');
  if (at == std::string_view::npos || at == 0 || a.find('@', at + 1) != std::string_view::npos)
    return false;
  auto domain = a.substr(at + 1);
  if (domain.empty() || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    return false;
  return is_ascii_printable(a) && a.find_first_of(" <>,;:\"()[]\\") == std::string_view::npos &&
         a.size() <= 254;
}

Result<Mailbox> parse_mailbox(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  Mailbox m;
  if (has_line_break(text)) return invalid("The sender address contains a line break", "from");
  auto open = text.rfind('<');
  if (open == std::string_view::npos) {
    m.address = std::string(text);
  } else {
    if (text.back() != '>') return invalid("The sender address is not \"Name <address>\"", "from");
    m.address = std::string(text.substr(open + 1, text.size() - open - 2));
    std::string_view name = text.substr(0, open);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
      name = name.substr(1, name.size() - 2);
    m.name = std::string(name);
  }
  if (!plausible_address(m.address)) return invalid("The sender address is not valid", "from");
  if (!is_valid_utf8(m.name)) return invalid("The sender name is not valid UTF-8", "from");
  return m;
}

std::string encode_header_text(std::string_view utf8) {
  std::string out;
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    std::size_t end = pos;
    while (end < utf8.size()) {
      std::size_t len = sequence_length(static_cast<unsigned char>(utf8[end]));
      if (end + len - pos > kEncodedWordBytes) break;
      end += len;
    }
    if (end == pos)
      end = std::min(utf8.size(), pos + sequence_length(static_cast<unsigned char>(utf8[pos])));
    if (!out.empty()) out += "\r\n ";  // folding: the space between encoded words is not displayed
    out += b_word(utf8.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  std::size_t line_len = 0;
  auto emit = [&](std::string_view token) {
    if (line_len + token.size() > kQpLine - 1) {  // leave room for the soft break's '='
      out += "=\r\n";
      line_len = 0;
    }
    out += token;
    line_len += token.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += kCrlf;
      line_len = 0;
      continue;
    }
    const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
    const bool literal =
        (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    if (literal) {
      char ch = static_cast<char>(c);
      emit(std::string_view(&ch, 1));
    } else {
      emit(fmt::format("={:02X}", c));
    }
  }
  return out;
}

std::string format_rfc5322_date(Micros t) {
  std::time_t secs = static_cast<std::time_t>(t / kMicrosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} +0000", kDays[tm.tm_wday],
                     tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
}

Result<std::string> render_mime(const EmailMessage& m, const MimeEnvelope& env) {
  if (!plausible_address(m.to)) return invalid("The email address is not valid", "email");
  if (!plausible_address(env.from.address))
    return invalid("The sender address is not valid", "from");
  if (has_line_break(m.to_name) || has_line_break(m.subject) || has_line_break(env.from.name) ||
      has_line_break(env.message_id)) {
    return invalid("A header of the email contains a line break");
  }
  if (m.subject.empty() || m.text_body.empty())
    return invalid("The email has no subject or no body");
  if (!is_valid_utf8(m.to_name) || !is_valid_utf8(m.subject) || !is_valid_utf8(m.text_body) ||
      (m.html_body && !is_valid_utf8(*m.html_body))) {
    return invalid("The email is not valid UTF-8");
  }

  std::string out;
  out += "Date: " + format_rfc5322_date(env.date) + "\r\n";
  out += "From: " + format_mailbox(env.from) + "\r\n";
  out += "To: " + format_mailbox({m.to_name, m.to}) + "\r\n";
  // ASCII subjects that fit stay readable; anything else becomes folded encoded words, which
  // also keeps every header line under 998 octets.
  const bool plain_subject = is_ascii_printable(m.subject) && m.subject.size() <= 900;
  out += "Subject: " + (plain_subject ? m.subject : encode_header_text(m.subject)) + "\r\n";
  out += "Message-ID: <" +
         (env.message_id.empty() ? "message@" + domain_of(env.from.address) : env.message_id) +
         ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  // RFC 3834: marks the message as automatic, so auto-responders do not answer it.
  out += "Auto-Submitted: auto-generated\r\n";
  if (!m.html_body) {
    append_part_headers(out, "text/plain");
    out += quoted_printable(m.text_body);
    out += kCrlf;
    return out;
  }
  const std::string boundary = "=_cs_" + crypto::hex_encode(crypto::random_bytes(12));
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is a multi-part message in MIME format.\r\n";
  out += "--" + boundary + "\r\n";
  append_part_headers(out, "text/plain");
  out += quoted_printable(m.text_body) + "\r\n";
  out += "--" + boundary + "\r\n";
  append_part_headers(out, "text/html");
  out += quoted_printable(*m.html_body) + "\r\n";
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace cs::notify
