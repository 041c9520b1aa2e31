// Final review and launch (issue 6 §2) with the real esign service on SQLite and PostgreSQL: the
// certificate envelope goes to the least loaded final approver, who signs (certified, then
// launched: the version is certified and the two launch notices go out) or declines (a
// final_review finding; changes_requested).
#include "cert_finish_fixture.hpp"
#include "certification/catalogue.hpp"

namespace cs::certification::testing {
namespace {

esign::SignerContext signer() { return {"198.51.100.7", "approver-browser"}; }

TEST(CertificatePdf, IsAValidPdfNamingTheAppVersionPartnerAndEveryRequirement) {
  cs::testing::TempDir dir;
  CertificateContent c;
  c.request_id = "crq_test";
  c.kind = "initial";
  c.app_name = "Acme Sign Connector";
  c.client_id = "ik_abc";
  c.version_number = 3;
  c.partner_name = "Acme (Partner) \\ Inc";
  c.catalogue_version = "2026.1";
  c.issued_on = "2026-11-23";
  c.approver_name = "Cleo Approver";
  for (const auto& r : current_catalogue().requirements) c.requirements.push_back({r.id, r.title});
  CertificatePdf pdf = render_certificate(c);
  auto report = inspect_pdf(pdf.bytes, dir, "certificate.pdf");
  EXPECT_EQ(report.qpdf_status, 0);
  EXPECT_NE(report.text.find("Acme Sign Connector"), std::string::npos) << report.text;
  EXPECT_NE(report.text.find("Acme (Partner) \\ Inc"), std::string::npos) << report.text;
  EXPECT_NE(report.text.find("Version:"), std::string::npos);
  EXPECT_NE(report.text.find("2026.1"), std::string::npos);
  for (const auto& r : c.requirements) EXPECT_NE(report.text.find(r.id), std::string::npos) << r.id;
  EXPECT_NE(report.text.find("Signature of the final approver"), std::string::npos);
  // The signature box lies on a page of the document, inside the page.
  EXPECT_GE(pdf.signature.page, 1);
  EXPECT_LE(pdf.signature.page, pdf.page_count);
  EXPECT_LE(pdf.signature.y + pdf.signature.height, 792 - 36);
}

TEST(CertificatePdf, LongRequirementListsContinueOnMorePagesAndOddTextStaysValid) {
  cs::testing::TempDir dir;
  CertificateContent c;
  c.app_name = "Caf\xC3\xA9 (\x01) app";
  c.kind = "recertification";
  for (int i = 0; i < 120; ++i)
    c.requirements.push_back({"REQ-" + std::to_string(i), std::string(200, 'x')});
  CertificatePdf pdf = render_certificate(c);
  EXPECT_GE(pdf.page_count, 3);
  EXPECT_EQ(pdf.signature.page, pdf.page_count);
  auto report = inspect_pdf(pdf.bytes, dir, "long.pdf");
  EXPECT_EQ(report.qpdf_status, 0);
  EXPECT_NE(report.text.find("REQ-119"), std::string::npos);
  EXPECT_NE(report.text.find("Caf? (?) app"), std::string::npos) << report.text;
  EXPECT_NE(report.text.find("Recertification"), std::string::npos);
}

class FinalReviewTest : public CertFinishTest {};

TEST_P(FinalReviewTest, PromotionFormEnqueuesTheFinalReviewJobInItsTransaction) {
  std::string id = insert_request(State::engineer_approved);
  PromotionForm form{"Acme Integrations", "Pat Partner", "pat@partner.example",
                     "+14155550100",      "2026-12-01",  app_.client_id};
  auto promoted = requests_->request_promotion(principal(partner_admin_), id, form,
                                               identity::Actor::user(partner_admin_));
  ASSERT_TRUE(promoted) << describe(promoted.error());
  EXPECT_EQ(promoted->state, State::promotion_requested);
  EXPECT_EQ(count("SELECT COUNT(*) FROM jobs WHERE kind = 'certification.final_review' AND payload "
                  "LIKE '%' || $1 || '%'",
                  id),
            1);
}

TEST_P(FinalReviewTest, ApproverSignsThroughTheSigningServiceThenCertifiedAndLaunched) {
  std::string id = insert_request(State::promotion_requested);
  ASSERT_TRUE(final_review_->start(id)) << "start";
  Request r = request(id);
  ASSERT_EQ(r.state, State::final_review);
  ASSERT_TRUE(r.certification_envelope_id);
  ASSERT_TRUE(r.final_due_at);
  // Three business days from Monday 2026-11-23: the end of Thursday.
  EXPECT_EQ(format_rfc3339(*r.final_due_at), "2026-11-27T00:00:00Z");
  {
    auto conn = lease();
    auto approver = current_assignment(*conn, id, AssignmentRole::final_approver).value();
    ASSERT_TRUE(approver);
    EXPECT_EQ(approver->user_id, approver_);
  }
  // The envelope lives in the platform account and carries the certificate.
  ASSERT_OK_AND_ASSIGN(env, final_review_->certificate_envelope(id));
  EXPECT_EQ(env.status, esign::EnvelopeStatus::sent);
  ASSERT_EQ(env.recipients.size(), 1u);
  EXPECT_EQ(env.recipients[0].email, "cto@countersign.example");
  ASSERT_OK_AND_ASSIGN(sender, platform_sender(*directory_));
  EXPECT_EQ(env.account_id, sender.account_id);
  ASSERT_OK_AND_ASSIGN(pdf, final_review_->certificate_document(id));
  auto report = inspect_pdf(pdf, work_dir_, "cert.pdf");
  EXPECT_EQ(report.qpdf_status, 0);
  EXPECT_NE(report.text.find("Acme Sign Connector"), std::string::npos);
  EXPECT_NE(report.text.find("Acme Partner"), std::string::npos);
  EXPECT_NE(report.text.find("OAUTH-1"), std::string::npos);

  // A retried job sends nothing twice.
  ASSERT_TRUE(final_review_->start(id));
  EXPECT_EQ(count("SELECT COUNT(*) FROM envelopes WHERE account_id = $1", sender.account_id), 1);

  // The approver signs through the emailed link.
  std::string token = signing_token("cto@countersign.example");
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(signing_->open(token, signer()));
  ASSERT_TRUE(signing_->accept_disclosure(token, signer()));
  esign::AdoptedSignature sig;
  sig.typed_name = "Cleo Approver";
  auto finished = signing_->finish(token, sig, {}, signer());
  ASSERT_TRUE(finished) << describe(finished.error());
  EXPECT_EQ(request(id).state, State::final_review);  // the outcome is a durable job
  EXPECT_EQ(count("SELECT COUNT(*) FROM jobs WHERE kind = 'certification.envelope_outcome' AND "
                  "payload LIKE "
                  "'%' || $1 || '%'",
                  id),
            1);

  run_certification_jobs();
  r = request(id);
  EXPECT_EQ(r.state, State::launched);
  EXPECT_TRUE(r.certified_at);
  EXPECT_TRUE(r.launched_at);
  auto a = app();
  ASSERT_TRUE(a.certified);
  EXPECT_EQ(a.certified->id, r.app_version_id);
  EXPECT_EQ(a.current.certification, oauth::CertificationStatus::certified);

  // Two launch notices to the partner: the completed certificate, and production activation.
  auto mails = emails_to("admin@partner.example");
  int certificate = 0, activation = 0;
  for (const auto& m : mails) {
    if (m.value("category", "") == "certification_certificate") {
      ++certificate;
      EXPECT_NE(m.value("text_body", "").find(certificate_path(id)), std::string::npos);
    }
    if (m.value("category", "") == "certification.launched") ++activation;
  }
  EXPECT_EQ(certificate, 1);
  EXPECT_EQ(activation, 1);
  // History: final review started by the system, certified by the approver.
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_request_history WHERE request_id = $1 AND action = "
                  "'certify' AND "
                  "actor_id = '" +
                      approver_ + "'",
                  id),
            1);
}

TEST_P(FinalReviewTest, ApproverDeclinesWithAReasonThenAFindingAndChangesRequested) {
  std::string id = insert_request(State::promotion_requested);
  ASSERT_TRUE(final_review_->start(id));
  std::string token = signing_token("cto@countersign.example");
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(signing_->open(token, signer()));
  auto declined = signing_->decline(token, "The video does not show the exception flow", signer());
  ASSERT_TRUE(declined) << describe(declined.error());
  run_certification_jobs();

  Request r = request(id);
  EXPECT_EQ(r.state, State::changes_requested);
  auto conn = lease();
  auto found = list_findings(*conn, id).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].phase, "final_review");
  EXPECT_EQ(found[0].status, "open");
  EXPECT_EQ(found[0].requirement_id, std::string(kFinalApprovalRequirement));
  EXPECT_NE(found[0].description.find("The video does not show the exception flow"),
            std::string::npos);
  EXPECT_FALSE(app().certified);  // nothing reached production
}

TEST_P(FinalReviewTest, OutcomeOfAnotherEnvelopeOrALaterRoundChangesNothing) {
  std::string id = insert_request(State::promotion_requested);
  ASSERT_TRUE(final_review_->start(id));
  // Not this request's certificate: ignored.
  ASSERT_TRUE(final_review_->conclude(id, "env_someotherenvelope", "completed", ""));
  EXPECT_EQ(request(id).state, State::final_review);
  // A request the approver has not signed cannot be launched.
  auto launched = launch_->launch(id, identity::Actor::operator_cli());
  ASSERT_FALSE(launched);
  EXPECT_EQ(launched.error().errc(), Errc::invalid_transition);
  EXPECT_EQ(request(id).state, State::final_review);
  EXPECT_FALSE(app().certified);
}

// clocks.hpp: the promotion form, the last final item, starts the final approver's clock; a
// certificate job that runs a business day late does not give the platform more time.
TEST_P(FinalReviewTest, TheFinalClockRunsFromThePromotionFormNotFromTheJob) {
  std::string id = insert_request(State::engineer_approved);
  Micros filed = clock_.now();  // Monday 2026-11-23 09:00Z
  PromotionForm form{"Acme Integrations", "Pat Partner", "pat@partner.example",
                     "+14155550100",      "2026-12-01",  app_.client_id};
  ASSERT_TRUE(requests_->request_promotion(principal(partner_admin_), id, form,
                                           identity::Actor::user(partner_admin_)));
  clock_.advance(24LL * 3600 * kMicrosPerSecond);  // the job runs on Tuesday
  run_certification_jobs();
  Request r = request(id);
  ASSERT_EQ(r.state, State::final_review);
  EXPECT_EQ(r.final_clock_started_at, filed);
  EXPECT_EQ(format_rfc3339(*r.final_due_at), "2026-11-27T00:00:00Z");  // not Friday's end
}

// Reassigning the final approver in final review (final_review.hpp): the old envelope is voided
// with a reason and its link stops working, a new one goes to the new approver, the old
// envelope's outcome no longer decides anything, and the approver's clock keeps running.
TEST_P(FinalReviewTest, ReassigningTheFinalApproverReplacesTheEnvelope) {
  std::string id = insert_request(State::promotion_requested);
  ASSERT_TRUE(final_review_->start(id));
  Request before = request(id);
  ASSERT_TRUE(before.certification_envelope_id);
  std::string first_envelope = *before.certification_envelope_id;
  std::string first_token = signing_token("cto@countersign.example");
  ASSERT_FALSE(first_token.empty());
  ASSERT_TRUE(signing_->open(first_token, signer()));  // works until the reassignment

  std::string cfo = user("cfo@countersign.example", "Finn Approver");
  directory_->grant_staff_role(cfo, identity::StaffRole::final_approver, identity::Actor::operator_cli())
      .value();
  clock_.advance(3600LL * kMicrosPerSecond);
  auto manager = principal(manager_);
  ASSERT_OK_AND_ASSIGN(assigned, final_review_->assign_final_approver(
                                     &manager, id, cfo, identity::Actor::user(manager_)));
  EXPECT_EQ(assigned.user_id, cfo);

  Request after = request(id);
  EXPECT_EQ(after.state, State::final_review);
  ASSERT_TRUE(after.certification_envelope_id);
  EXPECT_NE(*after.certification_envelope_id, first_envelope);
  EXPECT_EQ(after.final_due_at, before.final_due_at);
  ASSERT_OK_AND_ASSIGN(sender, platform_sender(*directory_));
  ASSERT_OK_AND_ASSIGN(old_env, envelopes_->get(sender, first_envelope));
  EXPECT_EQ(old_env.status, esign::EnvelopeStatus::voided);
  ASSERT_TRUE(old_env.status_reason);
  EXPECT_NE(old_env.status_reason->find("reassigned to Finn Approver"), std::string::npos)
      << *old_env.status_reason;
  auto stale = signing_->open(first_token, signer());
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().errc(), Errc::link_expired);
  ASSERT_OK_AND_ASSIGN(new_env, final_review_->certificate_envelope(id));
  EXPECT_EQ(new_env.status, esign::EnvelopeStatus::sent);
  ASSERT_EQ(new_env.recipients.size(), 1u);
  EXPECT_EQ(new_env.recipients[0].email, "cfo@countersign.example");
  // Even had the old approver signed in time, that envelope no longer decides.
  ASSERT_TRUE(final_review_->conclude(id, first_envelope, "completed", ""));
  EXPECT_EQ(request(id).state, State::final_review);
  // The durable job enqueued with the assignment finds the work done: no third envelope.
  EXPECT_EQ(count("SELECT COUNT(*) FROM jobs WHERE kind = 'certification.final_review' AND payload "
                  "LIKE '%' || $1 || '%'",
                  first_envelope),
            1);
  run_certification_jobs();
  EXPECT_EQ(count("SELECT COUNT(*) FROM envelopes WHERE account_id = $1", sender.account_id), 2);
  EXPECT_EQ(*request(id).certification_envelope_id, new_env.id);

  // The operator (no principal) reassigns without naming anyone: the least loaded other
  // approver, back to the first one, who gets a third envelope; the second link stops too.
  std::string second_token = signing_token("cfo@countersign.example");
  ASSERT_FALSE(second_token.empty());
  ASSERT_OK_AND_ASSIGN(back, final_review_->assign_final_approver(nullptr, id, std::nullopt,
                                                                  identity::Actor::operator_cli()));
  EXPECT_EQ(back.user_id, approver_);
  EXPECT_EQ(signing_->open(second_token, signer()).error().errc(), Errc::link_expired);
  std::string third_token = signing_token("cto@countersign.example");
  ASSERT_NE(third_token, first_token);

  // The current approver signs the current envelope: certified by them, then launched.
  ASSERT_TRUE(signing_->open(third_token, signer()));
  ASSERT_TRUE(signing_->accept_disclosure(third_token, signer()));
  esign::AdoptedSignature sig;
  sig.typed_name = "Cleo Approver";
  auto finished = signing_->finish(third_token, sig, {}, signer());
  ASSERT_TRUE(finished) << describe(finished.error());
  run_certification_jobs();
  EXPECT_EQ(request(id).state, State::launched);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_request_history WHERE request_id = $1 AND action = "
                  "'certify' AND actor_id = '" +
                      approver_ + "'",
                  id),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_request_history WHERE request_id = $1 AND action = "
                  "'certificate_envelope_created'",
                  id),
            3);
}

// A decline sends the request back for remedy; the next round's certificate is a new envelope
// (the declined one cannot be signed again).
TEST_P(FinalReviewTest, TheRoundAfterADeclineGetsANewEnvelope) {
  std::string id = insert_request(State::promotion_requested);
  ASSERT_TRUE(final_review_->start(id));
  std::string declined_envelope = *request(id).certification_envelope_id;
  std::string token = signing_token("cto@countersign.example");
  ASSERT_TRUE(signing_->open(token, signer()));
  ASSERT_TRUE(signing_->decline(token, "Wrong partner name", signer()));
  run_certification_jobs();
  ASSERT_EQ(request(id).state, State::changes_requested);
  // Remedy, review, approval and a new promotion form happen elsewhere (RequestService tests).
  {
    auto conn = lease();
    ASSERT_TRUE(conn->exec("UPDATE cert_requests SET state = 'promotion_requested', approved_at = $2 "
                           "WHERE id = $1",
                           store::params(id, clock_.now() + 1)));
  }
  clock_.advance(3600LL * kMicrosPerSecond);
  ASSERT_TRUE(final_review_->start(id));
  Request r = request(id);
  EXPECT_EQ(r.state, State::final_review);
  ASSERT_TRUE(r.certification_envelope_id);
  EXPECT_NE(*r.certification_envelope_id, declined_envelope);
  ASSERT_OK_AND_ASSIGN(env, final_review_->certificate_envelope(id));
  EXPECT_EQ(env.status, esign::EnvelopeStatus::sent);
  std::string second = signing_token("cto@countersign.example");
  ASSERT_NE(second, token);
  ASSERT_TRUE(signing_->open(second, signer()));
  ASSERT_TRUE(signing_->accept_disclosure(second, signer()));
  esign::AdoptedSignature sig;
  sig.typed_name = "Cleo Approver";
  ASSERT_TRUE(signing_->finish(second, sig, {}, signer()));
  run_certification_jobs();
  EXPECT_EQ(request(id).state, State::launched);
}

CS_INSTANTIATE_BOTH_BACKENDS(FinalReviewTest);

// A declined certificate's finding must name a requirement partners can look up.
TEST(FinalReviewRequirement, ExistsInTheCurrentCatalogue) {
  EXPECT_NE(current_catalogue().find(kFinalApprovalRequirement), nullptr);
}

}  // namespace
}  // namespace cs::certification::testing
