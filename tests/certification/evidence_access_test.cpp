// Instance access, questionnaire, kickoff, dry run and call-log date (issue 6 §2-§3) through
// EvidenceService on both backends: ciphertext at rest, readable only by the assigned reviewers
// (every reading audited), the SSRF guard, per-type answer validation and completeness, the
// kickoff participant rule, the dry-run rule and professional-services gate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "certification/findings.hpp"
#include "evidence_fixture.hpp"

namespace cs::certification::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

constexpr std::string_view kPassword = "S3cret-Instance-Pa55";

class EvidenceAccessTest : public EvidenceTest {
 protected:
  bool allow_private_targets() const override { return true; }  // the URL below is loopback
  InstanceAccessInput access() {
    return {"https://127.0.0.1:8443/login", "reviewer@acme.example", std::string(kPassword), "MFA code: ask Dana"};
  }
};

TEST_P(EvidenceAccessTest, InstanceCredentialsAreEncryptedAndShownOnlyToAssignedReviewers) {
  auto id = insert_request(State::draft);
  ASSERT_OK_AND_ASSIGN(s, evidence_->set_instance_access(principal(developer_), rc_, id, access()));
  EXPECT_TRUE(s.given);
  // Ciphertext at rest: the column holds neither the password, the user nor the URL.
  {
    auto conn = lease();
    auto row = conn->query_one("SELECT credentials FROM cert_instance_access WHERE request_id = $1", store::params(id));
    ASSERT_TRUE(row && *row);
    const auto stored = (*row)->text(0);
    EXPECT_TRUE(stored.starts_with("v1.")) << stored;
    EXPECT_THAT(stored, ::testing::Not(HasSubstr(kPassword)));
    EXPECT_THAT(stored, ::testing::Not(HasSubstr("reviewer@acme.example")));
    EXPECT_THAT(stored, ::testing::Not(HasSubstr("127.0.0.1")));
  }
  // The partner sees that access is given, never the credentials.
  ASSERT_OK_AND_ASSIGN(summary, evidence_->instance_access_summary(principal(developer_), id));
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(evidence_->read_instance_access(principal(developer_), rc_, id).error().errc(), Errc::forbidden);
  // Unassigned staff do not see the request at all; a partner manager sees it but not the secret.
  EXPECT_EQ(evidence_->read_instance_access(principal(engineer_), rc_, id).error().errc(), Errc::not_found);
  EXPECT_EQ(evidence_->read_instance_access(principal(manager_), rc_, id).error().errc(), Errc::forbidden);
  EXPECT_EQ(evidence_->read_instance_access(principal(rival_), rc_, id).error().errc(), Errc::not_found);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'certification.instance_access.read' AND target_id = $1", id), 0);

  assign(id, AssignmentRole::certification_engineer, engineer_);
  assign(id, AssignmentRole::security_reviewer, reviewer_);
  for (const auto& who : {engineer_, reviewer_}) {
    ASSERT_OK_AND_ASSIGN(creds, evidence_->read_instance_access(principal(who), rc_, id));
    EXPECT_EQ(creds.password, kPassword);
    EXPECT_EQ(creds.username, "reviewer@acme.example");
    EXPECT_EQ(creds.url, "https://127.0.0.1:8443/login");
    EXPECT_EQ(creds.notes, "MFA code: ask Dana");
  }
  // Every reading is audited, with the reader; the audit details carry no secret.
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'certification.instance_access.read' AND target_id = $1", id), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%' || $1 || '%'", std::string(kPassword)), 0);
  // An engineer replaced by another loses access at once.
  assign(id, AssignmentRole::certification_engineer, other_engineer_);
  EXPECT_EQ(evidence_->read_instance_access(principal(engineer_), rc_, id).error().errc(), Errc::not_found);
}

TEST_P(EvidenceAccessTest, PartnerReplacesCredentialsAndCiphertextIsBoundToTheRow) {
  auto id = insert_request(State::draft);
  auto other = insert_request(State::withdrawn);
  ASSERT_TRUE(evidence_->set_instance_access(principal(developer_), rc_, id, access()));
  auto second = access();
  second.password = "Another-Pa55word";
  ASSERT_TRUE(evidence_->set_instance_access(principal(developer_), rc_, id, second));
  assign(id, AssignmentRole::security_reviewer, reviewer_);
  ASSERT_OK_AND_ASSIGN(creds, evidence_->read_instance_access(principal(reviewer_), rc_, id));
  EXPECT_EQ(creds.password, "Another-Pa55word");
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_instance_access WHERE request_id = $1", id), 1);
  // A ciphertext copied to another request's row does not decrypt there (AAD binds the row).
  auto conn = lease();
  ASSERT_TRUE(conn->exec("INSERT INTO cert_instance_access (request_id, credentials, updated_by, updated_at) "
                         "SELECT $2, credentials, updated_by, updated_at FROM cert_instance_access WHERE request_id = $1",
                         store::params(id, other)));
  EXPECT_FALSE(load_instance_access(*conn, *cipher_, other));
}

TEST_P(EvidenceAccessTest, InstanceUrlMustBeHttpsAndPublic) {
  auto id = insert_request(State::draft);
  auto in = access();
  in.url = "http://127.0.0.1/login";
  // http is refused without the operator's private-targets setting (the fixture's evidence_ has
  // it on); a strict service refuses http and loopback alike.
  EvidenceService strict(db(), *blobs_, *cipher_, audit_, *calendar_, clock_, EvidenceLimits{});
  auto refused = strict.set_instance_access(principal(developer_), rc_, id, in);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::url_not_allowed);
  in.url = "https://127.0.0.1/login";
  refused = strict.set_instance_access(principal(developer_), rc_, id, in);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::url_not_allowed);
  in.password = "";
  refused = strict.set_instance_access(principal(developer_), rc_, id, in);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::validation_failed);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_instance_access WHERE request_id = $1", id), 0);
}

json complete_answers() {
  json a = {{"integration.summary", "Sends contracts for signature"},
            {"integration.document_generation", "Templates rendered to PDF"},
            {"integration.status_tracking", "webhooks"},
            {"integration.signing_experience", {"email", "embedded"}},
            {"integration.exception_handling", "Declines void the deal; 429s back off per Retry-After"},
            {"security.tokens_encrypted", true},
            {"security.app_secret_encrypted", true},
            {"security.storage_description", "AES-256-GCM with keys in a KMS"}};
  for (int i = 1; i <= 10; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "owasp.a%02d", i);
    a[id] = {{"status", "addressed"}, {"note", "covered by our secure SDLC"}};
  }
  return a;
}

TEST_P(EvidenceAccessTest, QuestionnaireValidatesAnswersAndComputesCompleteness) {
  auto id = insert_request(State::draft);
  auto who = principal(developer_);
  // Per-type validation: nothing is written when one answer is bad.
  auto bad_note = evidence_->put_questionnaire(who, rc_, id, {{"owasp.a01", {{"status", "addressed"}}}});
  ASSERT_FALSE(bad_note);
  EXPECT_EQ(bad_note.error().errc(), Errc::validation_failed);
  EXPECT_EQ(bad_note.error().field(), "owasp.a01");
  auto bad_choice = evidence_->put_questionnaire(who, rc_, id, {{"integration.summary", "ok"}, {"integration.status_tracking", "carrier pigeon"}});
  ASSERT_FALSE(bad_choice);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_questionnaires WHERE request_id = $1", id), 0);
  auto unknown = evidence_->put_questionnaire(who, rc_, id, {{"no.such.question", "x"}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().errc(), Errc::unknown_field);
  auto url = evidence_->put_questionnaire(who, rc_, id, {{"integration.documentation_url", "javascript:alert(1)"}});
  EXPECT_FALSE(url);

  auto answers = complete_answers();
  answers["security.tokens_encrypted"] = false;  // answered, but not attested
  ASSERT_OK_AND_ASSIGN(partial, evidence_->put_questionnaire(who, rc_, id, answers));
  auto c = completeness(current_questionnaire(), partial.answers);
  EXPECT_FALSE(c.complete);
  EXPECT_EQ(c.missing, std::vector<std::string>{"security.tokens_encrypted"});
  EXPECT_TRUE(c.owasp_checklist_answered);
  EXPECT_FALSE(c.token_encryption_attested);

  ASSERT_OK_AND_ASSIGN(done, evidence_->put_questionnaire(who, rc_, id, {{"security.tokens_encrypted", true}}));
  c = completeness(current_questionnaire(), done.answers);
  EXPECT_TRUE(c.complete);
  EXPECT_TRUE(c.token_encryption_attested);
  {
    auto conn = lease();
    ASSERT_OK_AND_ASSIGN(facts, evidence_->submission_facts(*conn, load_request(*conn, id).value()));
    EXPECT_TRUE(facts.questionnaire_complete);
    EXPECT_TRUE(facts.owasp_checklist_answered);
    EXPECT_TRUE(facts.token_encryption_attested);
  }
  // null clears an answer; completeness follows.
  ASSERT_OK_AND_ASSIGN(cleared, evidence_->put_questionnaire(who, rc_, id, {{"owasp.a10", nullptr}}));
  c = completeness(current_questionnaire(), cleared.answers);
  EXPECT_FALSE(c.owasp_checklist_answered);
  EXPECT_EQ(c.missing, std::vector<std::string>{"owasp.a10"});
  // Staff and other orgs do not answer for the partner.
  EXPECT_EQ(evidence_->put_questionnaire(principal(manager_), rc_, id, {{"owasp.a10", nullptr}}).error().errc(), Errc::forbidden);
  EXPECT_EQ(evidence_->put_questionnaire(principal(rival_), rc_, id, {{"owasp.a10", nullptr}}).error().errc(), Errc::not_found);
}

TEST_P(EvidenceAccessTest, QuestionnaireDefinitionHasTheOwaspTopTenAndAttestations) {
  const auto& d = current_questionnaire();
  EXPECT_EQ(d.version, "2026.1");
  int owasp = 0;
  for (const auto& s : d.sections) {
    if (s.id != kOwaspSection) continue;
    for (const auto& q : s.questions) {
      EXPECT_EQ(q.type, QuestionType::checklist);
      ++owasp;
    }
  }
  EXPECT_EQ(owasp, 10);
  for (auto id : kTokenAttestations) {
    ASSERT_NE(d.find(id), nullptr) << id;
    EXPECT_EQ(d.find(id)->type, QuestionType::attestation);
  }
  EXPECT_FALSE(parse_questionnaire("version = \"x\"\ntitle = \"t\"\n[[section]]\nid = \"s\"\ntitle = \"S\"\n"
                                   "[[section.question]]\nid = \"q\"\ntype = \"choice\"\ntext = \"?\"\n"));
}

TEST_P(EvidenceAccessTest, KickoffNeedsTheThreeRolesAndARecordingOfThisRequest) {
  auto id = insert_request(State::draft);
  auto pm = principal(manager_);
  KickoffInput in{"2026-11-20", {manager_, reviewer_}, "Walked through OAuth", std::nullopt};
  auto missing = evidence_->put_kickoff(pm, rc_, id, in);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errc(), Errc::requirements_unmet);
  EXPECT_THAT(missing.error().message(), HasSubstr("solution_consultant"));
  in.participants.push_back(developer_);  // not staff
  EXPECT_EQ(evidence_->put_kickoff(pm, rc_, id, in).error().errc(), Errc::validation_failed);
  in.participants = {manager_, reviewer_, consultant_};
  in.recording_artifact_id = "art_notarecording00000000";
  EXPECT_EQ(evidence_->put_kickoff(pm, rc_, id, in).error().errc(), Errc::validation_failed);
  ASSERT_OK_AND_ASSIGN(rec, evidence_->upload_artifact(pm, rc_, id, upload(ArtifactKind::meeting_recording, Media::get().mp4(), "kickoff.mp4")));
  in.recording_artifact_id = rec.id;
  EXPECT_EQ(evidence_->put_kickoff(principal(developer_), rc_, id, in).error().errc(), Errc::forbidden);
  ASSERT_OK_AND_ASSIGN(k, evidence_->put_kickoff(pm, rc_, id, in));
  EXPECT_TRUE(k.missing.empty());
  EXPECT_EQ(k.recording_artifact_id, rec.id);
  EXPECT_EQ(format_local_date(k.held_on), "2026-11-20");
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'certification.kickoff.recorded' AND target_id = $1", id), 1);
  ASSERT_OK_AND_ASSIGN(seen, evidence_->kickoff(principal(developer_), id));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->participants.size(), 3u);
}

TEST_P(EvidenceAccessTest, CallLogDateIsValidatedAndStored) {
  auto id = insert_request(State::draft);
  auto bad = evidence_->set_call_log_date(principal(developer_), rc_, id, "2026-02-30");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errc(), Errc::validation_failed);
  EXPECT_EQ(bad.error().field(), "call_log_date");
  ASSERT_TRUE(evidence_->set_call_log_date(principal(developer_), rc_, id, "2026-11-20"));
  auto conn = lease();
  auto r = load_request(*conn, id).value();
  ASSERT_TRUE(r.call_log_date.has_value());
  EXPECT_EQ(format_local_date(*r.call_log_date), "2026-11-20");
  EXPECT_EQ(evidence_->set_call_log_date(principal(rival_), rc_, id, "2026-11-20").error().errc(), Errc::not_found);
}

TEST_P(EvidenceAccessTest, DryRunIsOnlyForProfessionalServicesPartners) {
  auto id = insert_request(State::draft);
  DryRunInput in{"2026-11-24", "2026-12-21", "first pass", std::nullopt};
  auto refused = evidence_->put_dry_run(principal(developer_), rc_, id, in);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::forbidden);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_dry_runs WHERE request_id = $1", id), 0);
}

class EvidenceDryRunTest : public EvidenceTest {
 protected:
  bool professional_services() const override { return true; }
};

TEST_P(EvidenceDryRunTest, DryRunMustBeTenBusinessDaysBeforeAndItsFindingsBlock) {
  auto id = insert_request(State::draft);
  auto dev = principal(developer_);
  // Tuesday 2026-12-08 to Monday 2026-12-21 is 9 business days: too late.
  auto late = evidence_->put_dry_run(dev, rc_, id, DryRunInput{"2026-12-08", "2026-12-21", std::nullopt, std::nullopt});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().field(), "scheduled_on");
  EXPECT_EQ(evidence_->put_dry_run(dev, rc_, id, DryRunInput{"2026-12-07", "not a date", std::nullopt, std::nullopt})
                .error()
                .field(),
            "planned_certification_date");
  // Monday 2026-12-07 is exactly 10 business days before: accepted.
  ASSERT_OK_AND_ASSIGN(d, evidence_->put_dry_run(dev, rc_, id, DryRunInput{"2026-12-07", "2026-12-21", "notes", std::nullopt}));
  EXPECT_EQ(format_local_date(d.scheduled_on), "2026-12-07");
  {
    auto conn = lease();
    auto r = load_request(*conn, id).value();
    ASSERT_TRUE(r.planned_certification_date.has_value());
    EXPECT_EQ(format_local_date(*r.planned_certification_date), "2026-12-21");
  }
  // Partners do not mark it held; the staff do. Its open finding blocks submission.
  EXPECT_EQ(evidence_->put_dry_run(dev, rc_, id, DryRunInput{std::nullopt, std::nullopt, std::nullopt, true}).error().errc(),
            Errc::forbidden);
  ASSERT_OK_AND_ASSIGN(held, evidence_->put_dry_run(principal(manager_), rc_, id,
                                                    DryRunInput{std::nullopt, std::nullopt, std::nullopt, true}));
  EXPECT_TRUE(held.held_at.has_value());
  auto conn = lease();
  ASSERT_TRUE(file_finding(*conn, audit_, id, NewFinding{"OAUTH-2", "dry_run", "reviewer", "medium", "no PKCE", ""},
                           identity::Actor::user(manager_), clock_.now()));
  ASSERT_OK_AND_ASSIGN(facts, evidence_->submission_facts(*conn, load_request(*conn, id).value()));
  EXPECT_TRUE(facts.dry_run_held);
  EXPECT_EQ(facts.dry_run_open_findings, 1);
}

CS_INSTANTIATE_BOTH_BACKENDS(EvidenceAccessTest);
CS_INSTANTIATE_BOTH_BACKENDS(EvidenceDryRunTest);

}  // namespace
}  // namespace cs::certification::testing
