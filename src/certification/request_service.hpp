// Certification requests (issue 6 §2): opening one, every lifecycle transition with its guard,
// reviewer assignments, findings, the encryption confirmation and the promotion form.
//
// Two layers:
//  * the unscoped operations (transition, assign, assignments) work inside the caller's
//    transaction on a connection: cert-finish drives final review, certify and launch through
//    them, and they never authorise;
//  * the principal-scoped operations (open, get, list, submit, ... taking an identity::Principal)
//    authorise, run in a transaction of their own, and back the /v1/certification/requests API.
//
// Who sees what (issue 6 §8): partner members see their org's requests; partner managers and
// final approvers see every request; certification engineers and security reviewers see the
// requests they are assigned to. Anything else answers not_found, like an unknown id.
//
// Every transition locks the request row, checks the graph (invalid_transition, nothing
// changed), the action's guard (requirements_unmet; the error's extensions carry a `missing`
// array of {requirement_id, message}), updates the state and clocks, and writes the history
// line, the audit entry, the notices (email + certification.* event) and the hooks in the same
// transaction.
//
// The app version's certification status: opening a request sets it to `in_certification`
// (AppService::set_certification_status, right after the request commits); a withdrawn or
// rejected request sets it back to `uncertified` the same way. certified is cert-finish's.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certification/assignments.hpp"
#include "certification/findings.hpp"
#include "certification/lifecycle.hpp"
#include "certification/request.hpp"
#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "identity/principal.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}
namespace cs::oauth {
class AppService;
}

namespace cs::certification {

// The stored integration key promotion form (migration 0011).
struct StoredPromotionForm {
  PromotionForm form;
  std::string submitted_by;
  Micros submitted_at = 0;
};

// One line of the timeline with its time.
struct TimelineEntry {
  HistoryEntry entry;
  Micros at = 0;
};

struct RequestFilter {
  std::optional<State> state;
  std::optional<std::string> app_id;
};

class RequestService {
 public:
  using TransitionHook =
      std::function<Status(store::Connection&, const Request& after, Action, const identity::Actor&)>;

  // Every reference must outlive the service. `evidence` may be set later (set_evidence_source)
  // when the evidence service is built after this one; until then submit and approve refuse
  // with Errc::unavailable.
  RequestService(store::Database& db, const Clock& clock, audit::AuditLog& audit, const BusinessCalendar& calendar,
                 oauth::AppService& apps, EvidenceSource* evidence = nullptr);

  void set_evidence_source(EvidenceSource* evidence) { evidence_ = evidence; }
  // Runs inside the transaction after every transition (also the automatic ones); an error
  // rolls the whole transition back.
  void on_transition(TransitionHook hook);

  // ---- unscoped, inside the caller's transaction -------------------------------------------
  Result<Request> transition(store::Connection& conn, std::string_view request_id, Action action,
                             const identity::Actor& actor, std::string_view reason);
  // user_id nullopt: the least loaded staff member with that role (open assignments). When the
  // request is submitted or remedied and both reviewers are assigned it moves to in_review.
  Result<Assignment> assign(store::Connection& conn, std::string_view request_id, AssignmentRole role,
                            std::optional<std::string> user_id, const identity::Actor& actor);
  Result<std::vector<Assignment>> assignments(store::Connection& conn, std::string_view request_id);

  // ---- principal-scoped (their own transaction) --------------------------------------------
  // A partner member (certification_submit on the app's org) opens an `initial` request for the
  // app's current version. conflict naming the active request when the app has one.
  Result<Request> open(const identity::Principal& who, std::string_view app_id, const identity::Actor& actor);

  Result<Request> get(const identity::Principal& who, std::string_view request_id);
  // Newest first.
  Result<std::vector<Request>> list(const identity::Principal& who, const RequestFilter& filter);

  // Partner actions.
  Result<Request> submit(const identity::Principal& who, std::string_view request_id, const identity::Actor& actor);
  Result<Request> remedy(const identity::Principal& who, std::string_view request_id, const identity::Actor& actor);
  Result<Request> withdraw(const identity::Principal& who, std::string_view request_id, std::string_view reason,
                           const identity::Actor& actor);
  // Validates the form (validate_promotion_form against the app's client_id), stores it and
  // moves engineer_approved -> promotion_requested.
  Result<Request> request_promotion(const identity::Principal& who, std::string_view request_id,
                                    const PromotionForm& form, const identity::Actor& actor);
  Result<std::optional<StoredPromotionForm>> promotion_form(const identity::Principal& who,
                                                            std::string_view request_id);

  // Staff actions.
  Result<Request> reject(const identity::Principal& who, std::string_view request_id, std::string_view reason,
                         const identity::Actor& actor);
  // The assigned certification engineer's sign-off (missing_for_approval).
  Result<Request> approve(const identity::Principal& who, std::string_view request_id, const identity::Actor& actor);
  // The assigned security reviewer confirms that all tokens and the app secret are stored
  // encrypted (while the request is under review).
  Result<Request> confirm_encryption(const identity::Principal& who, std::string_view request_id,
                                     const identity::Actor& actor);
  // A partner manager assigns (user_id nullopt: least loaded). The final approver is assigned
  // automatically once the promotion form is in; from then on (promotion_requested,
  // final_review) a partner manager may reassign them, and user_id nullopt picks the least
  // loaded *other* final approver. In final review the unscoped assign forgets the certificate
  // envelope out for signature and enqueues certification.final_review to void it and send a
  // new one (FinalReview::assign_final_approver also does that at once).
  Result<Assignment> assign(const identity::Principal& who, std::string_view request_id, AssignmentRole role,
                            std::optional<std::string> user_id, const identity::Actor& actor);
  Result<std::vector<Assignment>> assignments(const identity::Principal& who, std::string_view request_id);

  // Findings: an assigned engineer or security reviewer files and closes; the partner responds.
  Result<Finding> file_finding(const identity::Principal& who, std::string_view request_id, const NewFinding& finding,
                               const identity::Actor& actor);
  Result<Finding> respond_to_finding(const identity::Principal& who, std::string_view request_id,
                                     std::string_view finding_id, std::string_view response,
                                     const identity::Actor& actor);
  Result<Finding> close_finding(const identity::Principal& who, std::string_view request_id,
                                std::string_view finding_id, std::string_view note, const identity::Actor& actor);
  Result<std::vector<Finding>> findings(const identity::Principal& who, std::string_view request_id);

  // The timeline, oldest first.
  Result<std::vector<TimelineEntry>> history(const identity::Principal& who, std::string_view request_id);

  // not_found unless `who` may see the request (partner member, partner manager, final approver,
  // or assigned reviewer).
  Status check_visible(store::Connection& conn, const identity::Principal& who, const Request& request);

  const BusinessCalendar& calendar() const { return calendar_; }
  const Clock& clock() const { return clock_; }

 private:
  Result<Request> run_edge(store::Connection& conn, const Request& before, Action action, const identity::Actor& actor,
                           std::string_view reason);
  Status check_guard(store::Connection& conn, const Request& request, Action action, std::string_view reason);
  Result<Request> advance_if_staffed(store::Connection& conn, Request request, const identity::Actor& actor);
  Result<Request> load_visible(store::Connection& conn, const identity::Principal& who, std::string_view request_id,
                               bool lock);
  Status after_close(const Request& request, const identity::Actor& actor);

  store::Database& db_;
  const Clock& clock_;
  audit::AuditLog& audit_;
  const BusinessCalendar& calendar_;
  oauth::AppService& apps_;
  EvidenceSource* evidence_;
  std::vector<TransitionHook> hooks_;
};

}  // namespace cs::certification
