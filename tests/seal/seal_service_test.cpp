// The sealing job end to end on SQLite and PostgreSQL: an envelope completed through the real
// esign services enqueues `envelope.seal` in the same transaction; the job renders, seals,
// stores and records; pdfsig and qpdf accept the result; the envelope's history and the audit
// log carry the final SHA-256; the last failed attempt alerts and leaves the envelope completed.
#include <span>

#include "esign/esign_fixture.hpp"
#include "pades_support.hpp"
#include "seal/seal_job.hpp"
#include "seal/seal_service.hpp"
#include "seal/verify.hpp"
#include "store/job_queue.hpp"
#include "store/params.hpp"

namespace cs::seal::testing {
namespace {

using esign::testing::describe;
using esign::testing::EsignTest;

class SealServiceTest : public EsignTest {
 protected:
  void SetUp() override {
    EsignTest::SetUp();
    envelopes_->add_event_listener(seal_on_completion(clock_));
    seal_ = std::make_unique<SealService>(db(), *blobs_, cipher_, audit_, clock_, SealOptions{});
  }

  std::string completed_envelope() {
    auto env = envelopes_->create(who(), two_signers()).value();
    EXPECT_TRUE(sign(token_for("alice@example.com"), "Alice Able"));
    EXPECT_TRUE(sign(token_for("bob@example.com"), "Bob Baker"));
    EXPECT_EQ(envelopes_->get(who(), env.id).value().status, esign::EnvelopeStatus::completed);
    return env.id;
  }

  std::vector<store::Job> seal_jobs() {
    auto conn = lease();
    auto rows = conn->query("SELECT id FROM jobs WHERE kind = $1 ORDER BY created_at, id",
                            store::params(kSealJobKind));
    std::vector<store::Job> out;
    for (const auto& r : rows.value())
      out.push_back(store::find_job(db(), r.text(0)).value().value());
    return out;
  }

  // Claims the next due seal job, as a worker would.
  store::Job claim_seal_job() {
    auto job = store::claim(db(), "test-worker", 60 * kMicrosPerSecond, {std::string(kSealJobKind)},
                            clock_);
    EXPECT_TRUE(job && *job);
    return job.value().value();
  }

  std::string sha256_of(const std::string& s) {
    return store::sha256_hex(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  }

  crypto::FieldCipher cipher_{keys_};
  std::unique_ptr<SealService> seal_;
  cs::testing::TempDir files_;
};

TEST_P(SealServiceTest, CompletionEnqueuesExactlyOneSealJob) {
  auto env = envelopes_->create(who(), two_signers()).value();
  ASSERT_TRUE(sign(token_for("alice@example.com")));
  EXPECT_TRUE(seal_jobs().empty());  // one signer of two: not completed, nothing to seal
  ASSERT_TRUE(sign(token_for("bob@example.com")));
  auto jobs = seal_jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(envelope_of(jobs[0].payload).value(), env.id);
  EXPECT_EQ(jobs[0].max_attempts, kSealJobAttempts);
}

TEST_P(SealServiceTest, TheJobSealsTheCompletedEnvelope) {
  auto id = completed_envelope();
  auto pending = seal_->sealed_pdf(id);
  ASSERT_FALSE(pending);
  EXPECT_EQ(pending.error().errc(), Errc::seal_pending);
  EXPECT_EQ(seal_->certificate_pdf(id).error().errc(), Errc::seal_pending);

  auto job = claim_seal_job();
  auto handled = seal_->handle_job(job);
  ASSERT_TRUE(handled) << describe(handled.error());
  ASSERT_TRUE(store::complete(db(), job, clock_));

  auto rec = seal_->find(id).value();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->account_id, account_);
  EXPECT_EQ(rec->identity_source, "countersign_ca");
  ASSERT_EQ(rec->documents.size(), 1u);
  EXPECT_EQ(rec->documents[0]["name"], "contract.pdf");
  EXPECT_EQ(rec->documents[0]["pages"], 2);

  auto sealed = seal_->sealed_pdf(id).value();
  EXPECT_EQ(sha256_of(sealed), rec->sealed_sha256);
  EXPECT_EQ(static_cast<std::int64_t>(sealed.size()), rec->sealed_size);
  write_file(files_ / "sealed.pdf", sealed);
  auto v = pdfsig(files_ / "sealed.pdf");
  EXPECT_TRUE(v.valid) << v.output;
  EXPECT_TRUE(v.total_document) << v.output;
  EXPECT_TRUE(qpdf_check(files_ / "sealed.pdf"));
  auto certificate = seal_->certificate_pdf(id).value();
  EXPECT_EQ(sha256_of(certificate), rec->certificate_sha256);
  EXPECT_EQ(certificate.rfind("%PDF-", 0), 0u);

  // The envelope's history (what GET /v1/envelopes/{id}/events shows) ends with the seal.
  auto events = envelopes_->events(who(), id).value();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "envelope.sealed");
  EXPECT_EQ(events.back().data["sealed_sha256"], rec->sealed_sha256);
  EXPECT_EQ(events.back().data["documents"][0]["final_sha256"], rec->documents[0]["final_sha256"]);
  // And the audit log.
  auto conn = lease();
  audit::AuditQuery q;
  q.action = "envelope.sealed";
  q.target_id = id;
  auto entries = audit_.list(*conn, q).value();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fields.details["sealed_sha256"], rec->sealed_sha256);

  // Offline verification accepts it against this deployment.
  auto anchors = deployment_trust_anchors(db(), "").value();
  auto report = verify_sealed_pdf(
      sealed, anchors, [&](std::string_view sha) { return seal_->find_by_sealed_sha256(sha); });
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  ASSERT_TRUE(report->record);
  EXPECT_EQ(report->record->envelope_id, id);
}

TEST_P(SealServiceTest, SealingAgainAnswersTheFirstSeal) {
  auto id = completed_envelope();
  auto first = seal_->seal_envelope(id);
  ASSERT_TRUE(first) << describe(first.error());
  clock_.advance(60 * kMicrosPerSecond);
  auto second = seal_->seal_envelope(id);
  ASSERT_TRUE(second) << describe(second.error());
  EXPECT_EQ(second->sealed_sha256, first->sealed_sha256);
  auto types = event_types(id);
  EXPECT_EQ(count(types, "envelope.sealed"), 1);
  auto conn = lease();
  EXPECT_EQ(conn->query("SELECT envelope_id FROM envelope_seals").value().size(), 1u);
}

TEST_P(SealServiceTest, RefusesAnEnvelopeThatIsNotCompleted) {
  auto env = envelopes_->create(who(), two_signers()).value();
  auto r = seal_->seal_envelope(env.id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::invalid_state);
  auto missing = seal_->seal_envelope("env_unknown");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errc(), Errc::not_found);
}

TEST_P(SealServiceTest, TheLastFailedAttemptAlertsAndTheEnvelopeStaysCompleted) {
  auto id = completed_envelope();
  // Sealing fails while the document blob is missing (e.g. storage trouble).
  auto env = envelopes_->get(who(), id).value();
  ASSERT_TRUE(blobs_->remove(env.documents[0].sha256));

  auto job = claim_seal_job();
  auto first = seal_->handle_job(job);
  ASSERT_FALSE(first);
  EXPECT_EQ(seal_->alerts_total(), 0);  // attempts remain: retried with backoff, no alert yet
  ASSERT_TRUE(store::fail(db(), job, first.error().message(), clock_));

  // Jump to the last attempt.
  {
    auto conn = lease();
    ASSERT_TRUE(conn->exec("UPDATE jobs SET attempts = max_attempts - 1, run_at = 0 WHERE id = $1",
                           store::params(job.id)));
  }
  auto last = claim_seal_job();
  EXPECT_EQ(last.attempts, last.max_attempts);
  ASSERT_FALSE(seal_->handle_job(last));
  ASSERT_TRUE(store::fail(db(), last, "failed", clock_));
  EXPECT_EQ(seal_->alerts_total(), 1);
  EXPECT_EQ(store::find_job(db(), job.id).value()->state, store::JobState::dead);

  auto conn = lease();
  audit::AuditQuery q;
  q.action = "envelope.seal.failed";
  q.target_id = id;
  auto entries = audit_.list(*conn, q).value();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(envelopes_->get(who(), id).value().status, esign::EnvelopeStatus::completed);
  EXPECT_EQ(seal_->sealed_pdf(id).error().errc(), Errc::seal_pending);
}

TEST_P(SealServiceTest, AMalformedJobFails) {
  store::Job job;
  job.id = "job_x";
  job.kind = std::string(kSealJobKind);
  job.payload = "{\"nope\": 1}";
  auto r = seal_->handle_job(job);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errc(), Errc::invalid_request);
}

CS_INSTANTIATE_BOTH_BACKENDS(SealServiceTest);

}  // namespace
}  // namespace cs::seal::testing
