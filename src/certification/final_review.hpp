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
//
// Reassigning the final approver while the certificate is out for signature (RequestService::
// assign with AssignmentRole::final_approver, from `countersign cert assign --role
// final_approver` or POST .../assignments): in the assignment's transaction the request forgets
// its envelope (so the old envelope's outcome no longer decides anything: conclude() only
// listens to the current certificate) and enqueues certification.final_review with
// {"request_id", "replaces_envelope_id"}. start() then voids the old envelope with a reason (its
// signing link stops working) and sends a new one to the new approver. The CLI and the route
// call start() right after the assignment commits, so the old link stops at once; the durable
// job repeats it harmlessly, or finishes it after a crash. The final approver's clock keeps
// running (clocks.hpp).
//
// A declined certificate stays on the request (partners see what was declined); the next
// round's start() finds it declined and replaces it with a new envelope.
#pragma once

#include <string>
#include <string_view>

#include "certification/assignments.hpp"
#include "certification/certificate_pdf.hpp"
#include "certification/request.hpp"
#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "esign/envelope_service.hpp"
#include "identity/actor.hpp"
#include "identity/principal.hpp"
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
    "certification.final_review";  // {"request_id", "replaces_envelope_id"?}
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

  // What the jobs do, callable directly. start(): promotion_requested -> final_review, or (after
  // a reassignment) a new envelope for the request in final_review; a no-op once the request
  // has its envelope out. `superseded_envelope_id`: the reassigned approver's envelope, voided
  // unless it is still the request's certificate or can no longer be signed. conclude(): certify
  // or decline after the envelope completed or was declined (no-op when the request already
  // moved on, or for an envelope that is not the request's current certificate).
  Status start(std::string_view request_id, std::string_view superseded_envelope_id = {});
  Status conclude(std::string_view request_id, std::string_view envelope_id,
                  std::string_view outcome, std::string_view reason);

  // Assigns (or reassigns) the request's final approver through RequestService (`who`: a
  // partner manager, scoped; nullptr: the operator CLI, unscoped, in its own transaction). When
  // that replaced a certificate out for signature, the old envelope is voided and the new one
  // sent right away (start()); should that fail, the durable job enqueued with the assignment
  // does it, so the answer is the committed assignment either way.
  Result<Assignment> assign_final_approver(const identity::Principal* who, std::string_view request_id,
                                           std::optional<std::string> user_id, const identity::Actor& actor);

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
  Status void_superseded(const esign::ApiActor& sender, std::string_view request_id,
                         std::string_view envelope_id);

  FinalReviewDeps deps_;
};

}  // namespace cs::certification
