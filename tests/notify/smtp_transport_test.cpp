// SMTP delivery over a real socket to the test sink (tests/support/smtp_sink): plain and
// authenticated submission, dot lines, refusals, a dead server, and STARTTLS being required.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "notify/eml_reader.hpp"
#include "notify/mime.hpp"
#include "notify/smtp_transport.hpp"
#include "support/smtp_sink.hpp"

namespace cs::notify {
namespace {

SmtpSettings plain_to(const cs::testing::SmtpSink& sink) {
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = sink.port();
  s.tls = SmtpTls::none;
  s.connect_timeout = std::chrono::milliseconds(5000);
  s.timeout = std::chrono::milliseconds(20000);
  return s;
}

std::string render(const std::string& body, const std::string& to = "ada@example.com") {
  EmailMessage m;
  m.to = to;
  m.to_name = "Ada";
  m.subject = "Test";
  m.text_body = body;
  MimeEnvelope e{{"Countersign", "no-reply@countersign.example"},
                 1'767'225'600'000'000,
                 "t1@countersign.example"};
  return *render_mime(m, e);
}

// A port on which nothing listens: bound, then closed.
int dead_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(SmtpTransport, DeliversWithoutAuthAndDotLinesSurvive) {
  cs::testing::SmtpSink sink;
  // A lone "." would end DATA early if the client did not dot-stuff it.
  const std::string body = "line one\n.\n..two dots\n.leading dot\nend\n";
  const std::string message = render(body);
  auto sent = send_smtp(plain_to(sink), "no-reply@countersign.example", "ada@example.com", message);
  ASSERT_TRUE(sent) << sent.error().detail();
  ASSERT_TRUE(sink.wait_for_messages(1));
  auto got = sink.messages().at(0);
  EXPECT_EQ(got.mail_from, "no-reply@countersign.example");
  EXPECT_EQ(got.rcpt_to, std::vector<std::string>{"ada@example.com"});
  EXPECT_EQ(got.auth_user, "");
  auto eml = cs::testing::parse_eml(got.data);
  EXPECT_EQ(eml.parts.at(0).body, "line one\r\n.\r\n..two dots\r\n.leading dot\r\nend\r\n\r\n");
  EXPECT_EQ(eml.header("subject"), "Test");
}

TEST(SmtpTransport, AuthenticatesWithTheConfiguredCredentials) {
  cs::testing::SmtpSink sink;
  sink.require_auth("mailer", "s3cret pw");
  SmtpSettings s = plain_to(sink);
  s.user = "mailer";
  s.password = "s3cret pw";
  auto sent = send_smtp(s, "no-reply@countersign.example", "ada@example.com", render("hi"));
  ASSERT_TRUE(sent) << sent.error().detail();
  ASSERT_EQ(sink.message_count(), 1u);
  EXPECT_EQ(sink.messages()[0].auth_user, "mailer");
  for (const auto& c : sink.commands()) EXPECT_EQ(c.find("s3cret"), std::string::npos) << c;
}

TEST(SmtpTransport, WrongPasswordFailsAndTheErrorNeverCarriesIt) {
  cs::testing::SmtpSink sink;
  sink.require_auth("mailer", "right");
  SmtpSettings s = plain_to(sink);
  s.user = "mailer";
  s.password = "wrong-password-123";
  SmtpFailure failure;
  auto sent =
      send_smtp(s, "no-reply@countersign.example", "ada@example.com", render("hi"), &failure);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().errc(), Errc::unavailable);
  EXPECT_EQ(sent.error().detail().find("wrong-password-123"), std::string::npos);
  EXPECT_EQ(sent.error().message().find("wrong-password-123"), std::string::npos);
  EXPECT_EQ(failure.reply_code, 535);
  EXPECT_EQ(sink.message_count(), 0u);
}

TEST(SmtpTransport, RefusedRecipientIsAPermanentFailure) {
  cs::testing::SmtpSink sink;
  sink.reject_recipient("gone@example.com");
  SmtpFailure failure;
  auto sent = send_smtp(plain_to(sink), "no-reply@countersign.example", "gone@example.com",
                        render("hi", "gone@example.com"), &failure);
  ASSERT_FALSE(sent);
  EXPECT_EQ(failure.reply_code, 550);
  EXPECT_TRUE(failure.permanent());
  EXPECT_EQ(sent.error().message(), "The email could not be delivered");
  EXPECT_NE(sent.error().detail().find("550"), std::string::npos) << sent.error().detail();
  EXPECT_EQ(sink.message_count(), 0u);
}

TEST(SmtpTransport, TemporaryFailureIsNotPermanent) {
  cs::testing::SmtpSink sink;
  sink.fail_next_transactions(1, 451);
  SmtpFailure failure;
  auto sent = send_smtp(plain_to(sink), "no-reply@countersign.example", "ada@example.com",
                        render("hi"), &failure);
  ASSERT_FALSE(sent);
  EXPECT_EQ(failure.reply_code, 451);
  EXPECT_FALSE(failure.permanent());
  // The next transaction goes through.
  ASSERT_TRUE(
      send_smtp(plain_to(sink), "no-reply@countersign.example", "ada@example.com", render("hi")));
  EXPECT_EQ(sink.message_count(), 1u);
}

TEST(SmtpTransport, NoServerIsAClearError) {
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = dead_port();
  s.tls = SmtpTls::none;
  SmtpFailure failure;
  auto sent =
      send_smtp(s, "no-reply@countersign.example", "ada@example.com", render("hi"), &failure);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().errc(), Errc::unavailable);
  EXPECT_EQ(sent.error().message(), "The email could not be delivered");
  const std::string& detail = sent.error().detail();
  EXPECT_NE(detail.find("127.0.0.1:" + std::to_string(s.port)), std::string::npos) << detail;
  EXPECT_NE(detail.find("connect"), std::string::npos) << detail;
  EXPECT_EQ(failure.reply_code, 0);
  EXPECT_FALSE(failure.permanent());
}

TEST(SmtpTransport, StarttlsModeRefusesAServerWithoutTls) {
  // The sink offers no STARTTLS: with `starttls` required, nothing (not the password, not the
  // message) may go out in the clear.
  cs::testing::SmtpSink sink;
  sink.require_auth("mailer", "secret");
  SmtpSettings s = plain_to(sink);
  s.tls = SmtpTls::starttls;
  s.user = "mailer";
  s.password = "secret";
  auto sent = send_smtp(s, "no-reply@countersign.example", "ada@example.com", render("hi"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sink.message_count(), 0u);
  for (const auto& c : sink.commands()) {
    EXPECT_NE(c.rfind("AUTH", 0), 0u) << c;
    EXPECT_NE(c.rfind("MAIL", 0), 0u) << c;
  }
}

TEST(SmtpTransport, ParsesTlsModes) {
  EXPECT_EQ(*parse_smtp_tls("starttls"), SmtpTls::starttls);
  EXPECT_EQ(*parse_smtp_tls("tls"), SmtpTls::tls);
  EXPECT_EQ(*parse_smtp_tls("none"), SmtpTls::none);
  EXPECT_FALSE(parse_smtp_tls("ssl"));
}

}  // namespace
}  // namespace cs::notify
