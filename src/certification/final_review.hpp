// Final review (issue 6 §2 "final review"; DESIGN.md "Launch"): the certificate is itself an
// envelope signed through Countersign's own eSignature service.
//
//   promotion_requested ──(hook: job certification.final_review)──► the job assigns the least
//   loaded final approver, renders the certificate PDF (certificate_pdf.hpp), creates the
//   envelope in the platform account with the approver as its only signer, stores its id on the
//   request, sends it, and moves the request to final_review (the approver's 3-business-day
//   clock starts).
//   envelope.completed / envelope.declined ──(esign event listener: job
//   certification.envelope_outcome, enqueued in the signer's transaction)──► certify, or file a
//   `final_review` finding with the approver's reason (the decline edge: changes_requested).
//
// The platform account: envelopes belong to an account, and the certificate is the platform's
// own document, so it lives in a production account named kPlatformAccountName whose sender is
// the user kPlatformSenderEmail (no password anyone knows: a random one, never shown). Both are
// created on first use (and by the demo seed through the same function), so nothing depends on
// an operator step.
//
// Every step is idempotent, so a retried job never sends a second envelope: the envelope id is
// stored on the request before the envelope is sent, and a retry sends the stored one.
#pragma once

#include <string>
#include <string_view>

#include "certification/certificate_pdf.hpp"
#include "certification/request.hpp"
#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "esign/envelope_service.hpp"
#include "store/database.hpp"
#include "store/job_queue.hpp"

namespace cs::audit {
class AuditLog;
}
namespace cs::identity {
class Directory;
}
namespace cs::oauth {
class AppService;
}

namespace cs::certification {

class RequestService;

inline constexpr std::string_view kFinalReviewJobKind =
    "certification.final_review";  // {"request_id"}
// {"request_id", "envelope_id", "outcome": "completed"|"declined", "reason"}
inline constexpr std::string_view kEnvelopeOutcomeJobKind = "certification.envelope_outcome";
inline constexpr std::string_view kPlatformAccountName = "Countersign Certification Program";
inline constexpr std::string_view kPlatformSenderEmail = "certification@countersign.localhost";
inline constexpr std::string_view kPlatformSenderName = "Countersign Certification";
// The requirement a declined certificate's finding is filed against: the final sign-off
// (catalogue 2026.1 QUES-4; catalogue_test pins that the id exists).
inline constexpr std::string_view kFinalApprovalRequirement = "QUES-4";

struct FinalReviewDeps {
  store::Database& db;
  const Clock& clock;
  audit::AuditLog& audit;
  const BusinessCalendar& calendar;
  RequestService& requests;
  oauth::AppService& apps;
  identity::Directory& directory;
  esign::EnvelopeService& envelopes;
};

// The platform account's sender (created on first use; idempotent).
Result<esign::ApiActor> platform_sender(identity::Directory& directory);

class FinalReview {
 public:
  explicit FinalReview(FinalReviewDeps deps) : deps_(deps) {}

  // Registers the RequestService transition hook and the esign event listener. Call once while
  // wiring, before jobs run or requests are served.
  void attach();

  // The job handlers (registered in serve.cpp).
  Status handle_final_review_job(const store::Job& job);
  Status handle_envelope_outcome_job(const store::Job& job);

  // What the jobs do, callable directly. start(): promotion_requested -> final_review (no-op
  // once there). conclude(): certify or decline after the envelope completed or was declined
  // (no-op when the request already moved on).
  Status start(std::string_view request_id);
  Status conclude(std::string_view request_id, std::string_view envelope_id,
                  std::string_view outcome, std::string_view reason);

  // The certificate's content for a request (app, version, partner, catalogue, requirements).
  Result<CertificateContent> certificate_content(std::string_view request_id,
                                                 std::string_view approver_name);
  // The certificate envelope's document as stored (read-only; the caller authorises).
  Result<esign::Envelope> certificate_envelope(std::string_view request_id);
  Result<std::string> certificate_document(std::string_view request_id);

  RequestService& requests() { return deps_.requests; }
  const BusinessCalendar& calendar() const { return deps_.calendar; }
  store::Database& db() { return deps_.db; }
  const Clock& clock() const { return deps_.clock; }

 private:
  Status start_final_review_if_ready(std::string_view request_id);

  FinalReviewDeps deps_;
};

}  // namespace cs::certification
