// A real SMTP server for C++ tests, on a loopback port (RFC 5321 subset): EHLO/HELO, AUTH PLAIN
// and LOGIN, MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT. No TLS: point the
// client at it with TLS mode `none`. It records every accepted message (envelope and the raw
// RFC 5322 text) and can be told to refuse recipients or to answer a reply code once.
//
// Usage (link `cs_test_support`):
//
//   cs::testing::SmtpSink sink;                       // listening on 127.0.0.1:<sink.port()>
//   sink.require_auth("mailer", "s3cret");            // optional: MAIL before AUTH -> 530
//   sink.reject_recipient("nobody@example.com");      // RCPT TO:<nobody@...> -> 550
//   sink.fail_next_transactions(1, 451);              // next DATA end answers 451 (not stored)
//   ... run the code that sends ...
//   ASSERT_TRUE(sink.wait_for_messages(1));           // bounded wait, no timing asserts
//   auto m = sink.messages().at(0);  // m.mail_from, m.rcpt_to, m.data, m.auth_user
//
// The message text of a test email is easiest to check with tests/notify/eml_reader.hpp
// (parse_eml: headers, decoded parts).
//
// Thread-safe: each connection is served on its own thread, and every accessor may be called
// from any thread. The destructor (or stop()) closes the listening socket and every session,
// and joins the threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cs::testing {

struct SmtpMessage {
  std::string mail_from;             // the reverse path, without angle brackets
  std::vector<std::string> rcpt_to;  // accepted recipients, without angle brackets
  std::string data;                  // the message as received, dot-unstuffed, CRLF line endings
  std::string auth_user;             // empty when the session did not authenticate
  std::string helo;                  // the EHLO/HELO argument
};

class SmtpSink {
 public:
  SmtpSink();  // binds 127.0.0.1:0 and starts serving; throws std::runtime_error on failure
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  // With credentials set, the sink advertises AUTH PLAIN LOGIN and refuses MAIL without a
  // successful AUTH (530); wrong credentials get 535.
  void require_auth(std::string user, std::string password);
  // RCPT TO for this address (case-insensitive) answers 550.
  void reject_recipient(std::string address);
  // The next `count` transactions answer `code` (4xx or 5xx) at the end of DATA instead of
  // 250, and are not stored.
  void fail_next_transactions(int count, int code);

  std::vector<SmtpMessage> messages() const;
  std::size_t message_count() const;
  // Waits (bounded, default 20 s) until at least `count` messages were accepted.
  bool wait_for_messages(std::size_t count,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  // Every command line received (after AUTH, credentials are recorded as "<redacted>").
  std::vector<std::string> commands() const;
  // Closes the listener and every open session; idempotent.
  void stop();

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::thread> sessions_;
  std::set<int> open_fds_;
  std::vector<SmtpMessage> messages_;
  std::vector<std::string> commands_;
  std::string auth_user_, auth_password_;
  std::set<std::string> rejected_;
  int fail_count_ = 0;
  int fail_code_ = 0;
};

}  // namespace cs::testing
