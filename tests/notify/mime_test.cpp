// Rendering an email (issue 4 §3): RFC 5322 headers, RFC 2047 subjects and names, CRLF,
// quoted-printable bodies with lines <= 76, header injection refused.
#include <gtest/gtest.h>

#include "core/utf8.hpp"
#include "notify/eml_reader.hpp"
#include "notify/mime.hpp"

namespace cs::notify {
namespace {

using cs::testing::eml_decode_words;
using cs::testing::parse_eml;

EmailMessage sample() {
  EmailMessage m;
  m.to = "ada@example.com";
  m.to_name = "Ada Lovelace";
  m.subject = "Please sign: NDA";
  m.text_body = "Hello Ada,\n\nplease sign: https://cs.example/sign/abc\n";
  m.category = "invitation";
  return m;
}

MimeEnvelope envelope() {
  MimeEnvelope e;
  e.from = {"Countersign", "no-reply@countersign.example"};
  e.date = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z, a Thursday
  e.message_id = "job_abc@countersign.example";
  return e;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find("\r\n", pos);
    if (eol == std::string::npos) {
      out.push_back(text.substr(pos));
      break;
    }
    out.push_back(text.substr(pos, eol - pos));
    pos = eol + 2;
  }
  return out;
}

TEST(Mime, RendersHeadersAndASinglePlainPart) {
  auto text = render_mime(sample(), envelope());
  ASSERT_TRUE(text) << text.error().message();
  auto eml = parse_eml(*text);
  EXPECT_EQ(eml.header("date"), "Thu, 01 Jan 2026 00:00:00 +0000");
  EXPECT_EQ(eml.header("from"), "\"Countersign\" <no-reply@countersign.example>");
  EXPECT_EQ(eml.header("to"), "\"Ada Lovelace\" <ada@example.com>");
  EXPECT_EQ(eml.header("subject"), "Please sign: NDA");
  EXPECT_EQ(eml.header("message-id"), "<job_abc@countersign.example>");
  EXPECT_EQ(eml.header("mime-version"), "1.0");
  EXPECT_EQ(eml.header("content-type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(eml.header("content-transfer-encoding"), "quoted-printable");
  ASSERT_EQ(eml.parts.size(), 1u);
  EXPECT_EQ(eml.parts[0].body,
            "Hello Ada,\r\n\r\nplease sign: https://cs.example/sign/abc\r\n\r\n");
}

TEST(Mime, EveryLineEndsInCrlfAndNoLineIsLong) {
  EmailMessage m = sample();
  m.text_body = std::string(5000, 'x') + "\n" + std::string(300, '=') + "\r" + "trailing space \n";
  m.html_body = "<p>" + std::string(3000, 'y') + "</p>";
  m.subject = std::string(2000, 's');
  auto text = render_mime(m, envelope());
  ASSERT_TRUE(text);
  for (std::size_t i = 0; i < text->size(); ++i) {
    if ((*text)[i] == '\n') {
      ASSERT_TRUE(i > 0 && (*text)[i - 1] == '\r') << "bare LF at " << i;
    }
    if ((*text)[i] == '\r') {
      ASSERT_TRUE(i + 1 < text->size() && (*text)[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  for (const auto& line : lines_of(*text)) EXPECT_LE(line.size(), 998u);
  auto eml = parse_eml(*text);
  ASSERT_EQ(eml.parts.size(), 2u);
  // Body lines are quoted-printable: at most 76 characters; decoding restores the text.
  EXPECT_EQ(eml.parts[0].body,
            std::string(5000, 'x') + "\r\n" + std::string(300, '=') + "\r\ntrailing space \r\n");
  EXPECT_EQ(eml.parts[1].body, *m.html_body);
  EXPECT_EQ(eml_decode_words(eml.header("subject")), m.subject);
  // The trailing space before a line break is encoded (RFC 2045 §6.7 rule 3).
  EXPECT_NE(text->find("trailing space=20\r\n"), std::string::npos);
}

TEST(Mime, NonAsciiSubjectAndNamesAreEncodedWordsThatDecodeBack) {
  EmailMessage m = sample();
  m.subject =
      "Bitte unterschreiben: Vertrag für Zoë — 契約書に署名してください ✍️";
  m.to_name = "Zoë Ångström";
  MimeEnvelope e = envelope();
  e.from.name = "Countersign Müller";
  auto text = render_mime(m, e);
  ASSERT_TRUE(text);
  for (unsigned char c : *text) ASSERT_LT(c, 0x80) << "headers and QP bodies are 7-bit";
  auto eml = parse_eml(*text);
  const std::string subject = eml.header("subject");
  EXPECT_EQ(subject.rfind("=?UTF-8?B?", 0), 0u);
  EXPECT_EQ(eml_decode_words(subject), m.subject);
  EXPECT_EQ(eml_decode_words(eml.header("to")), "Zoë Ångström <ada@example.com>");
  EXPECT_EQ(eml_decode_words(eml.header("from")),
            "Countersign Müller <no-reply@countersign.example>");
  // Every encoded word is at most 75 characters (RFC 2047 §2).
  for (const auto& line : lines_of(*text)) {
    for (std::size_t p = line.find("=?"); p != std::string::npos; p = line.find("=?", p + 2)) {
      auto end = line.find("?=", line.find('?', line.find('?', p + 2) + 1) + 1);
      EXPECT_LE(end + 2 - p, 75u) << line;
      p = end;
    }
  }
}

TEST(Mime, EncodedWordsNeverSplitAUtf8Character) {
  const std::string s = std::string(44, 'a') + "€€€";  // the first € straddles the 45-byte limit
  const std::string encoded = encode_header_text(s);
  EXPECT_EQ(eml_decode_words(encoded), s);
  std::size_t pos = 0;
  while ((pos = encoded.find("=?UTF-8?B?", pos)) != std::string::npos) {
    auto end = encoded.find("?=", pos + 10);
    std::string word = cs::testing::eml_base64_decode(encoded.substr(pos + 10, end - pos - 10));
    EXPECT_TRUE(is_valid_utf8(word));
    pos = end;
  }
}

TEST(Mime, QuotedPrintableEscapesWhatItMust) {
  EXPECT_EQ(quoted_printable("a=b"), "a=3Db");
  EXPECT_EQ(quoted_printable("é"), "=C3=A9");
  EXPECT_EQ(quoted_printable("x \ny\t"), "x=20\r\ny=09");
  EXPECT_EQ(quoted_printable("a\r\nb\rc\nd"), "a\r\nb\r\nc\r\nd");
  // A dot line is left for SMTP's dot-stuffing (libcurl does it; the sink tests prove it).
  EXPECT_EQ(quoted_printable(".\n..x"), ".\r\n..x");
}

TEST(Mime, MultipartAlternativeCarriesTextThenHtml) {
  EmailMessage m = sample();
  m.html_body = "<p>Hello <b>Ada</b> — <a href=\"https://cs.example/sign/abc\">sign</a></p>";
  auto text = render_mime(m, envelope());
  ASSERT_TRUE(text);
  auto eml = parse_eml(*text);
  EXPECT_EQ(eml.header("content-type").rfind("multipart/alternative; boundary=\"", 0), 0u);
  ASSERT_EQ(eml.parts.size(), 2u);
  EXPECT_EQ(eml.parts[0].headers.at("content-type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(eml.parts[1].headers.at("content-type"), "text/html; charset=UTF-8");
  EXPECT_EQ(eml.parts[1].body, *m.html_body);
}

TEST(Mime, HeaderInjectionIsRefusedNotCleaned) {
  for (const std::string evil :
       {"x\r\nBcc: victim@example.com", "x\nBcc: v@example.com", "x\rBcc: v@example.com"}) {
    EmailMessage m = sample();
    m.subject = evil;
    auto r = render_mime(m, envelope());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().errc(), Errc::validation_failed);
    m = sample();
    m.to_name = evil;
    EXPECT_FALSE(render_mime(m, envelope()));
    MimeEnvelope e = envelope();
    e.from.name = evil;
    EXPECT_FALSE(render_mime(sample(), e));
  }
  for (const std::string bad_to :
       {"ada@example.com\r\nBcc: v@example.com", "ada@example.com>, <v@example.com",
        "Ada <ada@example.com>", "nobody", "a@b", "a b@example.com"}) {
    EmailMessage m = sample();
    m.to = bad_to;
    EXPECT_FALSE(render_mime(m, envelope())) << bad_to;
  }
  EmailMessage m = sample();
  m.subject.clear();
  EXPECT_FALSE(render_mime(m, envelope()));
  m = sample();
  m.text_body = "\xff\xfe not UTF-8";
  EXPECT_FALSE(render_mime(m, envelope()));
}

TEST(Mime, ParsesConfiguredSenders) {
  auto a = parse_mailbox("Countersign <no-reply@countersign.localhost>");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "Countersign");
  EXPECT_EQ(a->address, "no-reply@countersign.localhost");
  auto b = parse_mailbox("  ops@example.com ");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name, "");
  EXPECT_EQ(b->address, "ops@example.com");
  auto c = parse_mailbox("\"Counter, Sign\" <x@example.com>");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "Counter, Sign");
  EXPECT_FALSE(parse_mailbox("Countersign <not-an-address>"));
  EXPECT_FALSE(parse_mailbox("Countersign <a@example.com"));
  EXPECT_FALSE(parse_mailbox("A <a@example.com>\r\nBcc: <b@example.com>"));
}

TEST(Mime, PlausibleAddress) {
  EXPECT_TRUE(plausible_address("ada@example.com"));
  EXPECT_FALSE(plausible_address("ada@example.com\r\n"));
  EXPECT_FALSE(plausible_address("<ada@example.com>"));
  EXPECT_FALSE(plausible_address("ada@@example.com"));
}

}  // namespace
}  // namespace cs::notify
