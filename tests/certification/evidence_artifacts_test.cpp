// Artifacts (issue 6 §3) through EvidenceService on both backends: real videos made by ffmpeg
// (a small mp4, the 4,718,592-byte boundary), a renamed text file refused, traces with and
// without live secrets (the automatic critical finding), a qpdf-made PDF report, supplemental
// evidence tied to a finding, and who may upload and read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "certification/findings.hpp"
#include "evidence_fixture.hpp"

namespace cs::certification::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kCleanHar = R"({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [
  {"request": {"method": "POST", "url": "https://api.example/v1/envelopes", "headers": [{"name": "Authorization", "value": "Bearer [REDACTED]"}]},
   "response": {"status": 201, "headers": [], "content": {"text": "{\"id\": \"env_1\"}"}}},
  {"request": {"method": "GET", "url": "https://api.example/v1/envelopes/env_1", "headers": []},
   "response": {"status": 200, "headers": [], "content": {"text": "{}"}}}]}})";

constexpr std::string_view kLeakyHar = R"({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [
  {"request": {"method": "POST", "url": "https://api.example/v1/envelopes", "headers": [{"name": "Authorization", "value": "Bearer cs_at_live0123456789abcdefghij"}]},
   "response": {"status": 201, "headers": [], "content": {"text": "{}"}}}]}})";

class EvidenceArtifactsTest : public EvidenceTest {};

TEST_P(EvidenceArtifactsTest, RealVideoIsStoredWithDurationAndLabels) {
  auto id = insert_request(State::draft);
  auto in = upload(ArtifactKind::video, Media::get().mp4(), "flow.mp4");
  in.label_normal = true;
  ASSERT_OK_AND_ASSIGN(a, evidence_->upload_artifact(principal(developer_), rc_, id, in));
  EXPECT_EQ(a.kind, ArtifactKind::video);
  ASSERT_TRUE(a.duration_us.has_value());
  EXPECT_NEAR(static_cast<double>(*a.duration_us), 2e6, 2e5);
  EXPECT_TRUE(a.label_normal);
  EXPECT_FALSE(a.label_exception);
  // The bytes are in the blob store under their hash and download unchanged.
  Artifact meta;
  ASSERT_OK_AND_ASSIGN(bytes, evidence_->artifact_content(principal(developer_), id, a.id, &meta));
  EXPECT_EQ(bytes, Media::get().mp4());
  EXPECT_EQ(meta.blob_sha256, store::sha256_hex(Media::get().mp4()));
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_request_history WHERE request_id = $1 AND action = 'artifact_uploaded'", id), 1);
  // The submission facts see the normal-flow video but no exception flows yet.
  auto conn = lease();
  ASSERT_OK_AND_ASSIGN(facts, evidence_->submission_facts(*conn, load_request(*conn, id).value()));
  EXPECT_TRUE(facts.has_normal_flow_video);
  EXPECT_FALSE(facts.exception_flows_covered);
}

TEST_P(EvidenceArtifactsTest, VideoAtTheLimitIsAcceptedAndOneByteMoreRefused) {
  auto id = insert_request(State::draft);
  auto at_limit = Media::get().video_of_exact_size(kMaxSubmissionVideoBytes);
  ASSERT_EQ(at_limit.size(), 4'718'592u);
  auto in = upload(ArtifactKind::video, at_limit, "exact.mkv");
  in.label_exception = true;
  ASSERT_OK_AND_ASSIGN(ok, evidence_->upload_artifact(principal(developer_), rc_, id, in));
  EXPECT_EQ(ok.size_bytes, kMaxSubmissionVideoBytes);
  auto over = Media::get().video_of_exact_size(kMaxSubmissionVideoBytes + 1);
  auto too_big = upload(ArtifactKind::video, over, "over.mkv");
  too_big.label_normal = true;
  auto refused = evidence_->upload_artifact(principal(developer_), rc_, id, too_big);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::payload_too_large);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_artifacts WHERE request_id = $1", id), 1);
}

TEST_P(EvidenceArtifactsTest, RenamedTextFileIsNotAVideo) {
  auto id = insert_request(State::draft);
  auto text = text_bytes("this is a plain text file pretending to be a video\n");
  auto in = upload(ArtifactKind::video, text, "flow.mp4");
  in.label_normal = true;
  auto refused = evidence_->upload_artifact(principal(developer_), rc_, id, in);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::artifact_invalid);
  EXPECT_THAT(refused.error().message(), HasSubstr("video"));
  // A video needs a label too.
  auto unlabelled = evidence_->upload_artifact(principal(developer_), rc_, id,
                                               upload(ArtifactKind::video, Media::get().mp4(), "flow.mp4"));
  ASSERT_FALSE(unlabelled);
  EXPECT_EQ(unlabelled.error().errc(), Errc::validation_failed);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_artifacts WHERE request_id = $1", id), 0);
}

TEST_P(EvidenceArtifactsTest, CleanTraceMapsFunctionsAndFilesNoFinding) {
  auto id = insert_request(State::draft);
  ASSERT_OK_AND_ASSIGN(a, evidence_->upload_artifact(principal(developer_), rc_, id,
                                                     upload(ArtifactKind::trace, text_bytes(kCleanHar), "capture.har")));
  EXPECT_EQ(a.live_secrets, 0);
  EXPECT_EQ(a.detail["format"], "har");
  EXPECT_EQ(a.detail["pairs"], 2);
  EXPECT_EQ(a.detail["functions_covered"], nlohmann::json::array({"send", "track"}));
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_findings WHERE request_id = $1", id), 0);
  auto conn = lease();
  ASSERT_OK_AND_ASSIGN(facts, evidence_->submission_facts(*conn, load_request(*conn, id).value()));
  EXPECT_EQ(facts.functions_covered_by_traces, (std::set<std::string>{"send", "track"}));
  EXPECT_FALSE(facts.traces_have_live_secrets);
}

TEST_P(EvidenceArtifactsTest, LiveSecretInTraceFilesCriticalAutomatedFinding) {
  auto id = insert_request(State::draft);
  ASSERT_OK_AND_ASSIGN(a, evidence_->upload_artifact(principal(developer_), rc_, id,
                                                     upload(ArtifactKind::trace, text_bytes(kLeakyHar), "leak.har")));
  EXPECT_GE(a.live_secrets, 1);
  // The stored detail names where the secret is, never the secret itself.
  EXPECT_THAT(a.detail.dump(), HasSubstr("Authorization"));
  EXPECT_THAT(a.detail.dump(), ::testing::Not(HasSubstr("live0123456789abcdefghij")));
  auto conn = lease();
  ASSERT_OK_AND_ASSIGN(findings, list_findings(*conn, id));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].requirement_id, "TRC-2");
  EXPECT_EQ(findings[0].severity, "critical");
  EXPECT_EQ(findings[0].source, "automated");
  EXPECT_EQ(findings[0].status, "open");
  EXPECT_THAT(findings[0].evidence, HasSubstr("request header Authorization"));
  EXPECT_THAT(findings[0].evidence, ::testing::Not(HasSubstr("live0123456789abcdefghij")));
  ASSERT_OK_AND_ASSIGN(facts, evidence_->submission_facts(*conn, load_request(*conn, id).value()));
  EXPECT_TRUE(facts.traces_have_live_secrets);
}

TEST_P(EvidenceArtifactsTest, SecurityReportMustBeAReadablePdf) {
  auto id = insert_request(State::draft);
  ASSERT_OK_AND_ASSIGN(a, evidence_->upload_artifact(principal(developer_), rc_, id,
                                                     upload(ArtifactKind::security_report, Media::get().pdf(), "pentest.pdf")));
  EXPECT_EQ(a.detail["pages"], 1);
  auto fake = evidence_->upload_artifact(principal(developer_), rc_, id,
                                         upload(ArtifactKind::security_report, text_bytes("not a pdf"), "pentest.pdf"));
  ASSERT_FALSE(fake);
  EXPECT_EQ(fake.error().errc(), Errc::artifact_invalid);
}

TEST_P(EvidenceArtifactsTest, SupplementalFileIsSizeLimitedAndMayAnswerAFinding) {
  auto id = insert_request(State::draft);
  Bytes big(1024 * 1024 + 1, 'x');
  auto too_big = evidence_->upload_artifact(principal(developer_), rc_, id, upload(ArtifactKind::supplemental, big, "big.bin"));
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().errc(), Errc::payload_too_large);

  auto in = upload(ArtifactKind::supplemental, text_bytes("rotation log"), "rotation.txt");
  in.finding_id = "fnd_doesnotexist000000000";
  auto unknown = evidence_->upload_artifact(principal(developer_), rc_, id, in);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().errc(), Errc::validation_failed);

  std::string finding_id;
  {
    auto conn = lease();
    ASSERT_OK_AND_ASSIGN(f, file_finding(*conn, audit_, id,
                                         NewFinding{"SEC-2", "review", "reviewer", "high", "tokens in clear", ""},
                                         identity::Actor::user(engineer_), clock_.now()));
    finding_id = f.id;
  }
  in.finding_id = finding_id;
  ASSERT_OK_AND_ASSIGN(a, evidence_->upload_artifact(principal(developer_), rc_, id, in));
  EXPECT_EQ(a.finding_id, finding_id);
}

TEST_P(EvidenceArtifactsTest, OnlyTheOrgAndVisibleStaffSeeArtifacts) {
  auto id = insert_request(State::draft);
  auto in = upload(ArtifactKind::supplemental, text_bytes("notes"), "notes.txt");
  ASSERT_OK_AND_ASSIGN(a, evidence_->upload_artifact(principal(developer_), rc_, id, in));
  // Another partner org: 404 for the request, its artifacts and uploads, as if it did not exist.
  for (auto r : {evidence_->list_artifacts(principal(rival_), id).error().errc(),
                 evidence_->get_artifact(principal(rival_), id, a.id).error().errc(),
                 evidence_->upload_artifact(principal(rival_), rc_, id, in).error().errc()}) {
    EXPECT_EQ(r, Errc::not_found);
  }
  // An engineer not assigned to the request does not see it either; once assigned, they do.
  EXPECT_EQ(evidence_->list_artifacts(principal(engineer_), id).error().errc(), Errc::not_found);
  assign(id, AssignmentRole::certification_engineer, engineer_);
  ASSERT_OK_AND_ASSIGN(seen, evidence_->list_artifacts(principal(engineer_), id));
  EXPECT_EQ(seen.size(), 1u);
  // Partner managers see every request; staff never upload partner evidence.
  ASSERT_OK_AND_ASSIGN(pm, evidence_->list_artifacts(principal(manager_), id));
  EXPECT_EQ(pm.size(), 1u);
  EXPECT_EQ(evidence_->upload_artifact(principal(manager_), rc_, id, in).error().errc(), Errc::forbidden);
  // An artifact id of another request answers 404.
  auto other = insert_request(State::withdrawn);
  EXPECT_EQ(evidence_->get_artifact(principal(developer_), other, a.id).error().errc(), Errc::not_found);
}

TEST_P(EvidenceArtifactsTest, EvidenceIsFrozenOnceSubmittedButRecordingsStillCome) {
  auto id = insert_request(State::in_review);
  auto refused = evidence_->upload_artifact(principal(developer_), rc_, id,
                                            upload(ArtifactKind::trace, text_bytes(kCleanHar), "capture.har"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::invalid_transition);
  // The partner manager uploads the kickoff recording at any open state; partners cannot.
  auto rec = upload(ArtifactKind::meeting_recording, Media::get().mp4(), "kickoff.mp4");
  EXPECT_EQ(evidence_->upload_artifact(principal(developer_), rc_, id, rec).error().errc(), Errc::forbidden);
  ASSERT_OK_AND_ASSIGN(a, evidence_->upload_artifact(principal(manager_), rc_, id, rec));
  EXPECT_EQ(a.kind, ArtifactKind::meeting_recording);
  EXPECT_TRUE(a.duration_us.has_value());
}

CS_INSTANTIATE_BOTH_BACKENDS(EvidenceArtifactsTest);

}  // namespace
}  // namespace cs::certification::testing
