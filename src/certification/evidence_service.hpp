// The evidence side of a certification request (issue 6 §2 evidence, §3 artifacts, §4 the
// automated pre-review): uploaded artifacts, the partner's instance access (encrypted), the
// questionnaire, the kickoff meeting, the optional dry run, the call-log date, and the
// automated pre-review with its waivers. RequestService reads the guards' facts through the
// EvidenceSource seam (request.hpp); the web routes call the other members.
//
// Every member that takes a Principal authorises first (issue 6 §8): partners see only their
// org's requests (others answer 404), certification engineers and security reviewers only the
// requests assigned to them, partner managers, final approvers and operators everything.
// Writes run in one transaction with their history line (cert_request_history) and, for
// decisions and secret readings, the audit entry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_log.hpp"
#include "certification/artifacts.hpp"
#include "certification/dry_run.hpp"
#include "certification/instance_access.hpp"
#include "certification/kickoff.hpp"
#include "certification/pre_review.hpp"
#include "certification/questionnaire.hpp"
#include "certification/request.hpp"
#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "crypto/field_cipher.hpp"
#include "events/url_guard.hpp"
#include "identity/actor.hpp"
#include "identity/principal.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"
#include "store/job_queue.hpp"

namespace cs::certification {

struct EvidenceLimits {
  std::int64_t video_max_bytes = kMaxSubmissionVideoBytes;          // Config::certification_video_max_bytes
  std::int64_t recording_max_bytes = 256LL * 1024 * 1024;           // ..._recording_max_bytes
  std::int64_t artifact_max_bytes = 25LL * 1024 * 1024;             // ..._artifact_max_bytes
  events::UrlPolicy instance_url_policy;                            // webhooks_allow_private_targets
};

class EvidenceService final : public EvidenceSource {
 public:
  // All references must outlive the service. `calendar` is the team's business calendar (its
  // time zone names the call-log day).
  EvidenceService(store::Database& db, store::BlobStore& blobs, const crypto::FieldCipher& cipher,
                  audit::AuditLog& audit, const BusinessCalendar& calendar, const Clock& clock,
                  EvidenceLimits limits = {});

  const EvidenceLimits& limits() const { return limits_; }

  // --- EvidenceSource -------------------------------------------------------------------------
  Result<SubmissionFacts> submission_facts(store::Connection& conn, const Request& request) override;
  Result<std::vector<std::string>> unresolved_checks(store::Connection& conn, const Request& request) override;
  Status enqueue_pre_review(store::Connection& conn, const Request& request) override;

  // --- Artifacts (artifacts.hpp) ----------------------------------------------------------------
  // Validates (video probe, trace scan, PDF inspection, size limits) and stores the bytes, then
  // records the artifact. A trace with a live secret also files a critical automated finding.
  // Blocking: call from a worker thread.
  Result<Artifact> upload_artifact(const identity::Principal& who, const identity::RequestContext& rc,
                                   std::string_view request_id, const NewArtifact& upload);
  Result<std::vector<Artifact>> list_artifacts(const identity::Principal& who, std::string_view request_id);
  Result<Artifact> get_artifact(const identity::Principal& who, std::string_view request_id,
                                std::string_view artifact_id);
  Result<std::vector<std::uint8_t>> artifact_content(const identity::Principal& who, std::string_view request_id,
                                                     std::string_view artifact_id, Artifact* meta = nullptr);

  // --- Instance access (instance_access.hpp) -----------------------------------------------------
  // Partners (certification_submit) replace it; the URL passes the SSRF guard.
  Result<InstanceAccessSummary> set_instance_access(const identity::Principal& who,
                                                    const identity::RequestContext& rc,
                                                    std::string_view request_id, const InstanceAccessInput& input);
  // Everyone who may see the request sees that it is given (never the password).
  Result<std::optional<InstanceAccessSummary>> instance_access_summary(const identity::Principal& who,
                                                                       std::string_view request_id);
  // Only the assigned certification engineer and security reviewer; every reading audited.
  Result<InstanceAccess> read_instance_access(const identity::Principal& who, const identity::RequestContext& rc,
                                              std::string_view request_id);

  // --- Questionnaire (questionnaire.hpp) -------------------------------------------------------
  Result<QuestionnaireAnswers> questionnaire(const identity::Principal& who, std::string_view request_id);
  // Merges `answers` (question id -> answer JSON) into the stored ones; validation_failed
  // naming the first bad question, nothing written.
  Result<QuestionnaireAnswers> put_questionnaire(const identity::Principal& who, const identity::RequestContext& rc,
                                                 std::string_view request_id, const nlohmann::json& answers);

  // --- Kickoff meeting (kickoff.hpp) ------------------------------------------------------------
  Result<std::optional<Kickoff>> kickoff(const identity::Principal& who, std::string_view request_id);
  // Staff (partner manager or solution consultant, or anyone with certification_review).
  Result<Kickoff> put_kickoff(const identity::Principal& who, const identity::RequestContext& rc,
                              std::string_view request_id, const KickoffInput& input);

  // --- Dry run (dry_run.hpp) --------------------------------------------------------------------
  Result<std::optional<DryRun>> dry_run(const identity::Principal& who, std::string_view request_id);
  Result<DryRun> put_dry_run(const identity::Principal& who, const identity::RequestContext& rc,
                             std::string_view request_id, const DryRunInput& input);

  // --- Call-log date -------------------------------------------------------------------------
  // YYYY-MM-DD (validation_failed otherwise); the in-week rule is the submission guard's.
  Status set_call_log_date(const identity::Principal& who, const identity::RequestContext& rc,
                           std::string_view request_id, std::string_view date);

  // --- Automated pre-review (pre_review.hpp) ----------------------------------------------------
  // A partner on a draft (any time), or staff: enqueues a run; answers the queued run.
  Result<PreReviewRun> request_pre_review(const identity::Principal& who, const identity::RequestContext& rc,
                                          std::string_view request_id);
  // The latest run (queued, running, done or failed) with its report; not_found when none.
  Result<PreReviewRun> latest_pre_review(const identity::Principal& who, std::string_view request_id);
  // The assigned certification engineer waives a failing automated check, with a reason.
  Result<Waiver> waive_check(const identity::Principal& who, const identity::RequestContext& rc,
                             std::string_view request_id, std::string_view requirement_id, std::string_view reason);

  // The `certification.pre_review` job handler: runs the checks and stores the report.
  Status run_pre_review_job(const store::Job& job);

 private:
  // Loads the request and applies issue 6 §8's visibility rules; not_found when hidden.
  Result<Request> load_visible(store::Connection& conn, const identity::Principal& who, std::string_view request_id);
  Result<Request> load_for_partner_edit(store::Connection& conn, const identity::Principal& who,
                                        std::string_view request_id);

  store::Database& db_;
  store::BlobStore& blobs_;
  const crypto::FieldCipher& cipher_;
  audit::AuditLog& audit_;
  const BusinessCalendar& calendar_;
  const Clock& clock_;
  EvidenceLimits limits_;
};

}  // namespace cs::certification
