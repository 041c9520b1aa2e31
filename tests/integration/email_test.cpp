// Email with the real binary (issue 4 §3): `countersign smtp ...` against the SMTP test sink,
// the server's job runner delivering `email.send` jobs over SMTP (with the stored password,
// also after `keys rotate` re-encrypted it under a key the server has not loaded), and the
// demo outbox when no SMTP host is configured.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "notify/eml_reader.hpp"
#include "server_process.hpp"
#include "support/smtp_sink.hpp"

namespace cs::testing {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct EmailWorld {
  TempDir dir;
  SmtpSink sink;
  std::string data() const { return (dir.path() / "data").string(); }
  std::map<std::string, std::string> smtp_env(bool with_user = true) const {
    std::map<std::string, std::string> env{
        {"COUNTERSIGN_SMTP_HOST", "127.0.0.1"},
        {"COUNTERSIGN_SMTP_PORT", std::to_string(sink.port())},
        {"COUNTERSIGN_SMTP_TLS", "none"},
        {"COUNTERSIGN_SMTP_FROM", "Countersign Test <no-reply@cs-test.example>"}};
    if (with_user) env["COUNTERSIGN_SMTP_USER"] = "mailer";
    return env;
  }
  CliResult cli(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                const std::string& in = {}) const {
    args.push_back("--data-dir");
    args.push_back(data());
    return run_cli(args, env, in);
  }
};

// Queues an `email.send` job the way a service would, straight into the server's database
// (nothing in this test's scope enqueues email through HTTP yet).
void insert_email_job(const std::filesystem::path& db_file, const std::string& id,
                      const std::string& to) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  nlohmann::json payload{{"to", to},
                         {"to_name", "Grace Hopper"},
                         {"subject", "Bitte unterschreiben — NDA"},
                         {"text_body", "Sign here: https://cs.example/sign/tok\n"},
                         {"html_body", "<a href=\"https://cs.example/sign/tok\">Sign</a>"},
                         {"category", "invitation"}};
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(
                db,
                "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, "
                "created_at, updated_at) VALUES (?1, 'email.send', ?2, 'queued', 0, 12, 0, "
                "1767225600000000, 0)",
                -1, &st, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  const std::string text = payload.dump();
  sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, text.c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

bool server_logged(const ServerProcess& server, const std::string& needle) {
  for (int i = 0; i < 1000; ++i) {
    for (const auto& line : server.output_lines())
      if (line.find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(EmailCli, SetPasswordThenSmtpTestDeliversWithAuth) {
  EmailWorld w;
  w.sink.require_auth("mailer", "pa55 word from stdin");
  auto set = w.cli({"smtp", "set-password", "--json"}, w.smtp_env(), "pa55 word from stdin\n");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_TRUE(set.json()["stored"].get<bool>());

  auto sent = w.cli({"smtp", "test", "--to", "ops@example.com", "--json"}, w.smtp_env());
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  EXPECT_EQ(sent.json()["via"], "smtp");
  ASSERT_TRUE(w.sink.wait_for_messages(1));
  auto msg = w.sink.messages()[0];
  EXPECT_EQ(msg.auth_user, "mailer");
  EXPECT_EQ(msg.rcpt_to, std::vector<std::string>{"ops@example.com"});
  auto eml = parse_eml(msg.data);
  EXPECT_EQ(eml.header("subject"), "Countersign SMTP test");
  EXPECT_EQ(eml.header("from"), "\"Countersign Test\" <no-reply@cs-test.example>");
  EXPECT_EQ(eml.header("message-id"), "<" + sent.json()["message_id"].get<std::string>() + ">");

  // Never in the database file in plaintext; the change is in the (intact) audit log.
  const auto db_file = w.dir.path() / "data/countersign.db";
  std::string bytes = slurp(db_file) + slurp(db_file.string() + "-wal");
  EXPECT_EQ(bytes.find("pa55 word from stdin"), std::string::npos);
  EXPECT_NE(bytes.find("smtp.password.set"), std::string::npos);
  auto verify = w.cli({"audit", "verify", "--json"}, {});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;

  auto cleared = w.cli({"smtp", "clear-password", "--json"}, {});
  ASSERT_EQ(cleared.exit_code, 0) << cleared.err;
  EXPECT_TRUE(cleared.json()["cleared"].get<bool>());
  auto without = w.cli({"smtp", "test", "--to", "ops@example.com"}, w.smtp_env());
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_NE(without.err.find("set-password"), std::string::npos) << without.err;
}

TEST(EmailCli, SmtpTestReportsRefusalsAndDeadServersClearly) {
  EmailWorld w;
  w.sink.require_auth("mailer", "right");
  ASSERT_EQ(w.cli({"smtp", "set-password"}, {}, "wrong-secret-xyz\n").exit_code, 0);
  auto refused = w.cli({"smtp", "test", "--to", "ops@example.com"}, w.smtp_env());
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("NOT delivered"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("535"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("wrong-secret-xyz"), std::string::npos)
      << "the password never appears";

  auto env = w.smtp_env(false);
  w.sink.stop();
  auto dead = w.cli({"smtp", "test", "--to", "ops@example.com", "--json"}, env);
  EXPECT_EQ(dead.exit_code, 1);
  auto j = dead.json();
  EXPECT_FALSE(j["sent"].get<bool>());
  EXPECT_NE(j["detail"].get<std::string>().find("connect"), std::string::npos) << dead.out;

  EXPECT_EQ(w.cli({"smtp", "test"}, env).exit_code, 2) << "--to is required";
  EXPECT_EQ(w.cli({"smtp", "test", "--to", "not an address"}, env).exit_code, 1);
  EXPECT_EQ(w.cli({"smtp", "set-password"}, {}, "\n").exit_code, 1)
      << "an empty password is refused";
}

TEST(EmailServer, DeliversQueuedEmailAndSurvivesKeyRotation) {
  EmailWorld w;
  w.sink.require_auth("mailer", "rotating secret");
  ASSERT_EQ(w.cli({"smtp", "set-password"}, {}, "rotating secret\n").exit_code, 0);
  ServerProcess server({w.dir.path() / "data", "", {}, w.smtp_env()});
  const auto db_file = w.dir.path() / "data/countersign.db";

  insert_email_job(db_file, "job_first", "grace@example.com");
  ASSERT_TRUE(w.sink.wait_for_messages(1));
  auto first = parse_eml(w.sink.messages()[0].data);
  EXPECT_EQ(first.header("message-id"), "<job_first@cs-test.example>");
  EXPECT_EQ(eml_decode_words(first.header("subject")), "Bitte unterschreiben — NDA");
  EXPECT_EQ(w.sink.messages()[0].auth_user, "mailer");

  // `keys rotate` in another process re-encrypts the password under k2; the running server
  // reloads its key ring on meeting k2 instead of failing until a restart.
  auto rotated = w.cli({"keys", "rotate", "--json"}, {});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_EQ(rotated.json()["active_key"], "k2");
  EXPECT_EQ(rotated.json()["reencrypted"], 1);
  insert_email_job(db_file, "job_second", "grace@example.com");
  ASSERT_TRUE(w.sink.wait_for_messages(2)) << "the server could not use the re-encrypted password";
  EXPECT_EQ(parse_eml(w.sink.messages()[1].data).header("message-id"),
            "<job_second@cs-test.example>");
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

TEST(EmailServer, WithoutSmtpHostEmailsLandInTheOutbox) {
  EmailWorld w;
  ServerProcess server({w.dir.path() / "data", "", {}, {}});
  const auto outbox = w.dir.path() / "data/outbox";
  EXPECT_TRUE(server_logged(server, outbox.string())) << "serve names the outbox at startup";
  insert_email_job(w.dir.path() / "data/countersign.db", "job_outbox", "grace@example.com");
  const auto file = outbox / "20260101T000000Z-job_outbox.eml";
  EXPECT_TRUE(server_logged(server, file.string())) << "the path of each written email is logged";
  ASSERT_TRUE(std::filesystem::exists(file));
  struct stat st {};
  ASSERT_EQ(::stat(outbox.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto eml = parse_eml(slurp(file));
  EXPECT_EQ(eml.header("to"), "\"Grace Hopper\" <grace@example.com>");
  EXPECT_EQ(eml.header("from"), "\"Countersign\" <no-reply@countersign.localhost>");
  ASSERT_EQ(eml.parts.size(), 2u);
  EXPECT_EQ(eml.parts[0].body, "Sign here: https://cs.example/sign/tok\r\n");
  EXPECT_EQ(eml.parts[1].body, "<a href=\"https://cs.example/sign/tok\">Sign</a>");

  // `smtp test` in outbox mode says where the message went.
  auto test = w.cli({"smtp", "test", "--to", "ops@example.com", "--json"}, {});
  ASSERT_EQ(test.exit_code, 0) << test.err;
  EXPECT_EQ(test.json()["via"], "outbox");
  EXPECT_TRUE(std::filesystem::exists(test.json()["file"].get<std::string>()));
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

}  // namespace
}  // namespace cs::testing
