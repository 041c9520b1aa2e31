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

CS_INSTANTIATE_BOTH_BACKENDS(FinalReviewTest);

// A declined certificate's finding must name a requirement partners can look up.
TEST(FinalReviewRequirement, ExistsInTheCurrentCatalogue) {
  EXPECT_NE(current_catalogue().find(kFinalApprovalRequirement), nullptr);
}

}  // namespace
}  // namespace cs::certification::testing
