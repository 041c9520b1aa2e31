// The `email.send` job end to end on both backends: enqueue in a transaction, the real
// JobRunner, the Mailer delivering over SMTP to the test sink (or to the outbox), retries with
// backoff driven by a ManualClock, and the SMTP password encrypted at rest.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "app/key_rotation.hpp"
#include "crypto/keyring.hpp"
#include "notify/email.hpp"
#include "notify/eml_reader.hpp"
#include "notify/mailer.hpp"
#include "notify/smtp_password.hpp"
#include "store/job_runner.hpp"
#include "store/params.hpp"
#include "support/smtp_sink.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace cs::notify {
namespace {

constexpr Micros kHour = 3600 * kMicrosPerSecond;

// Polls (bounded) until `pred` holds; the runner's threads do the work.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class MailerTest : public cs::testing::BothBackends {
 protected:
  cs::testing::TempDir dir;
  crypto::KeyRing ring = crypto::KeyRing::generate();
  crypto::FieldCipher cipher{ring};
  ManualClock clock;
  cs::testing::SmtpSink sink;

  MailerSettings smtp_settings() {
    MailerSettings s;
    s.smtp_host = "127.0.0.1";
    s.smtp_port = sink.port();
    s.smtp_tls = SmtpTls::none;
    s.from = "Countersign <no-reply@countersign.example>";
    s.connect_timeout = std::chrono::milliseconds(5000);
    s.timeout = std::chrono::milliseconds(20000);
    return s;
  }

  std::string enqueue(const std::string& to = "ada@example.com") {
    EmailMessage m;
    m.to = to;
    m.to_name = "Ada Lovelace";
    m.subject = "Please sign: NDA";
    m.text_body = "Open https://cs.example/sign/tok_1\n.\nThanks\n";
    m.html_body = "<p><a href=\"https://cs.example/sign/tok_1\">Review and sign</a></p>";
    m.category = "invitation";
    auto conn = lease();
    auto id = store::in_transaction(
        *conn, [&](store::Connection& c) { return enqueue_email(c, m, clock); });
    EXPECT_TRUE(id) << id.error().message();
    return *id;
  }

  std::optional<store::Job> job(const std::string& id) { return *store::find_job(db(), id); }

  // Waits until the job has been attempted `n` times and is no longer running.
  bool attempted(const std::string& id, int n) {
    return eventually([&] {
      auto j = job(id);
      return j && j->attempts >= n && j->state != store::JobState::running;
    });
  }

  std::unique_ptr<store::JobRunner> runner(const Mailer& mailer) {
    store::JobRunnerOptions o;
    o.workers = 1;
    o.poll_interval = std::chrono::milliseconds(20);
    auto r = std::make_unique<store::JobRunner>(db(), clock, o);
    r->register_handler(std::string(kEmailJobKind),
                        [&mailer](const store::Job& j) { return mailer.handle(j); });
    return r;
  }
};

TEST_P(MailerTest, DeliversAQueuedEmailOverSmtp) {
  Mailer mailer(smtp_settings(), db(), cipher, clock);
  const std::string id = enqueue();
  auto r = runner(mailer);
  r->start();
  ASSERT_TRUE(sink.wait_for_messages(1));
  ASSERT_TRUE(eventually([&] { return job(id)->state == store::JobState::done; }));
  auto msg = sink.messages().at(0);
  EXPECT_EQ(msg.mail_from, "no-reply@countersign.example");
  EXPECT_EQ(msg.rcpt_to, std::vector<std::string>{"ada@example.com"});
  auto eml = cs::testing::parse_eml(msg.data);
  EXPECT_EQ(eml.header("message-id"), "<" + id + "@countersign.example>");
  EXPECT_EQ(eml.header("to"), "\"Ada Lovelace\" <ada@example.com>");
  ASSERT_EQ(eml.parts.size(), 2u);
  EXPECT_EQ(eml.parts[0].body, "Open https://cs.example/sign/tok_1\r\n.\r\nThanks\r\n");
}

TEST_P(MailerTest, EnqueueIsPartOfTheCallersTransaction) {
  auto conn = lease();
  EmailMessage m{"ada@example.com", "", "Subject", "Body", std::nullopt, "invitation"};
  auto rolled_back = store::in_transaction(*conn, [&](store::Connection& c) -> Result<std::string> {
    CS_TRY(enqueue_email(c, m, clock));
    return fail(Errc::conflict, "the change that caused the email failed");
  });
  ASSERT_FALSE(rolled_back);
  EXPECT_EQ(store::stats(db())->queued, 0);
  m.subject = "Hi\r\nBcc: victim@example.com";
  EXPECT_EQ(enqueue_email(*conn, m, clock).error().errc(), Errc::validation_failed);
  EXPECT_EQ(store::stats(db())->queued, 0);
}

TEST_P(MailerTest, AuthenticatesWithTheStoredPassword) {
  sink.require_auth("mailer", "correct horse battery");
  MailerSettings s = smtp_settings();
  s.smtp_user = "mailer";
  Mailer mailer(s, db(), cipher, clock);
  EmailMessage m{"ada@example.com", "Ada", "Subject", "Body", std::nullopt, "test"};

  // No password stored yet: a clear error naming the fix, nothing sent.
  auto missing = mailer.deliver(m, "k1", clock.now());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().detail().find("smtp set-password"), std::string::npos);

  auto conn = lease();
  ASSERT_TRUE(store_smtp_password(*conn, cipher, "correct horse battery", clock));
  auto sent = mailer.deliver(m, "k2", clock.now());
  ASSERT_TRUE(sent) << sent.error().detail();
  EXPECT_EQ(sent->via, Delivery::Via::smtp);
  ASSERT_EQ(sink.message_count(), 1u);
  EXPECT_EQ(sink.messages()[0].auth_user, "mailer");
}

TEST_P(MailerTest, RefusedRecipientRetriesBoundedThenTheJobIsDead) {
  sink.reject_recipient("gone@example.com");
  Mailer mailer(smtp_settings(), db(), cipher, clock);
  const std::string id = enqueue("gone@example.com");
  auto r = runner(mailer);
  r->start();
  for (int attempt = 1; attempt <= kEmailMaxAttempts; ++attempt) {
    ASSERT_TRUE(attempted(id, attempt)) << "attempt " << attempt;
    auto j = job(id);
    ASSERT_TRUE(j->last_error);
    EXPECT_NE(j->last_error->find("550"), std::string::npos) << *j->last_error;
    EXPECT_NE(j->last_error->find("permanent refusal"), std::string::npos) << *j->last_error;
    if (attempt < kEmailMaxAttempts) {
      EXPECT_EQ(j->state, store::JobState::queued);
      EXPECT_GT(j->run_at, clock.now()) << "retried later, with backoff";
      clock.advance(2 * kHour);
      r->notify();
    }
  }
  r->stop();
  auto dead = job(id);
  EXPECT_EQ(dead->state, store::JobState::dead);
  EXPECT_EQ(dead->attempts, kEmailMaxAttempts);
  EXPECT_EQ(sink.message_count(), 0u);
}

TEST_P(MailerTest, TemporaryFailureThenSuccessOnRetry) {
  sink.fail_next_transactions(1, 451);
  Mailer mailer(smtp_settings(), db(), cipher, clock);
  const std::string id = enqueue();
  auto r = runner(mailer);
  r->start();
  ASSERT_TRUE(attempted(id, 1));
  auto first = job(id);
  EXPECT_EQ(first->state, store::JobState::queued);
  EXPECT_NE(first->last_error->find("451"), std::string::npos) << *first->last_error;
  EXPECT_EQ(sink.message_count(), 0u);
  clock.advance(kHour);
  r->notify();
  ASSERT_TRUE(eventually([&] { return job(id)->state == store::JobState::done; }));
  EXPECT_EQ(job(id)->attempts, 2);
  ASSERT_EQ(sink.message_count(), 1u);
  EXPECT_EQ(cs::testing::parse_eml(sink.messages()[0].data).header("message-id"),
            "<" + id + "@countersign.example>");
}

TEST_P(MailerTest, NoSmtpHostWritesThePrivateOutbox) {
  MailerSettings s;
  s.from = "Countersign <no-reply@countersign.example>";
  s.outbox_dir = dir.path() / "data" / "outbox";
  Mailer mailer(s, db(), cipher, clock);
  const std::string id = enqueue();
  auto r = runner(mailer);
  r->start();
  ASSERT_TRUE(eventually([&] { return job(id)->state == store::JobState::done; }));
  r->stop();
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(s.outbox_dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string(), "20260101T000000Z-" + id + ".eml");
  struct stat st {};
  ASSERT_EQ(::stat(s.outbox_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the file holds a signing link";
  auto eml = cs::testing::parse_eml(read_file(files[0]));
  EXPECT_EQ(eml.header("subject"), "Please sign: NDA");
  EXPECT_NE(eml.parts.at(0).body.find("https://cs.example/sign/tok_1"), std::string::npos);

  // Delivering the same job again (a retry after a crash) replaces its file.
  EmailMessage m{"ada@example.com", "", "Again", "Body", std::nullopt, "x"};
  auto again = mailer.deliver(m, id, job(id)->created_at);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->file, files[0]);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(s.outbox_dir), {}), 1);
  EXPECT_FALSE(mailer.deliver(m, "../escape", clock.now())) << "the key becomes part of a path";
}

TEST_P(MailerTest, PasswordIsEncryptedAtRestAndClearable) {
  const std::string password = "Pl41ntext-Never-Stored-7f3a";
  auto conn = lease();
  ASSERT_TRUE(store_smtp_password(*conn, cipher, password, clock));
  ASSERT_TRUE(store_smtp_password(*conn, cipher, password, clock)) << "replacing works (upsert)";
  auto row = conn->query_one(
      "SELECT name, value, secret_value FROM platform_settings WHERE name = 'smtp.password'");
  ASSERT_TRUE(row && *row);
  const std::string stored = (*row)->text(2);
  EXPECT_EQ(stored.rfind("v1.k1.", 0), 0u);
  EXPECT_EQ(stored.find(password), std::string::npos);
  EXPECT_EQ(**load_smtp_password(db(), cipher), password);
  if (backend() == store::Backend::sqlite) {
    // The database file and its WAL, byte for byte.
    const std::string path = url().rfind("sqlite://", 0) == 0 ? url().substr(9) : url();
    std::string bytes = read_file(path) + read_file(path + "-wal");
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.find(password), std::string::npos);
    EXPECT_NE(bytes.find("platform_settings"), std::string::npos) << "scanned the right file";
  }
  // Bound to its row: the ciphertext moved to another setting does not decrypt.
  ASSERT_TRUE(conn->exec(
      "INSERT INTO platform_settings (name, secret_value, updated_at) VALUES ('other', $1, 0)",
      store::params(stored)));
  crypto::FieldCipher same_keys(ring);
  EXPECT_FALSE(same_keys.decrypt(stored, {"platform_settings", "secret_value", "other"}));

  EXPECT_FALSE(store_smtp_password(*conn, cipher, "", clock));
  EXPECT_FALSE(store_smtp_password(*conn, cipher, "two\nlines", clock));
  EXPECT_TRUE(*clear_smtp_password(*conn));
  EXPECT_FALSE(*clear_smtp_password(*conn));
  EXPECT_FALSE(*load_smtp_password(db(), cipher));
}

TEST_P(MailerTest, KeyRotationReencryptsThePassword) {
  auto key_file = dir.path() / "keys.json";
  auto file_ring = crypto::KeyRing::load_or_create(key_file);
  ASSERT_TRUE(file_ring);
  crypto::FieldCipher file_cipher(*file_ring);
  auto conn = lease();
  ASSERT_TRUE(store_smtp_password(*conn, file_cipher, "rotate-me", clock));
  auto new_key = file_ring->add_key(key_file);
  ASSERT_TRUE(new_key);
  // The registry the real `keys rotate` uses must name the column.
  auto report = app::reencrypt_columns(db(), file_cipher, *new_key, app::encrypted_columns());
  ASSERT_TRUE(report) << report.error().detail();
  EXPECT_EQ(report->reencrypted, 1);
  auto row =
      conn->query_one("SELECT secret_value FROM platform_settings WHERE name = 'smtp.password'");
  EXPECT_EQ(crypto::key_id_of((*row)->text(0)), std::optional<std::string_view>(*new_key));
  EXPECT_EQ(**load_smtp_password(db(), file_cipher), "rotate-me");
}

CS_INSTANTIATE_BOTH_BACKENDS(MailerTest);

}  // namespace
}  // namespace cs::notify
