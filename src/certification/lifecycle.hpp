// The certification request lifecycle (DESIGN.md "The certification program", issue 6 §2) as
// pure rules: the state graph, and the guards each step must pass. The service applies them in
// one transaction with the audit entry; nothing here touches storage, so every illegal transition
// and every guard is unit-tested directly.
//
//   draft ─submit─► submitted ─assign─► in_review ─approve─► engineer_approved ─promotion─►
//   promotion_requested ─final_review─► final_review ─certify─► certified ─launch─► launched
//   in_review ─request_changes─► changes_requested ─remedy─► remedied ─assign─► in_review
//   final_review ─decline─► changes_requested (the approver's reason is a finding to remedy)
//   withdraw (partner) and reject (staff, with a reason) end any request not yet certified.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace cs::certification {

enum class State {
  draft,
  submitted,
  in_review,
  changes_requested,
  remedied,
  engineer_approved,
  promotion_requested,
  final_review,
  certified,
  launched,
  withdrawn,
  rejected,
};

enum class Action {
  submit,
  assign,           // submitted/remedied -> in_review (reviewers assigned, or re-engaged)
  request_changes,  // a finding was filed
  remedy,           // the partner resubmits after addressing the findings
  approve,          // the certification engineer's sign-off
  request_promotion,  // the integration key promotion form
  start_final_review,  // the certification envelope goes to the final approver
  certify,          // the final approver signed
  decline,          // the final approver declined, with a reason
  launch,
  withdraw,
  reject,
};

std::string_view to_string(State s);
std::string_view to_string(Action a);
std::optional<State> parse_state(std::string_view text);

// The state `action` leads to from `from`; nullopt when the graph has no such edge (the
// service answers 409 invalid_transition and changes nothing).
std::optional<State> next_state(State from, Action action);
// withdrawn, rejected and launched: nothing follows.
bool is_final(State s);
// A request that still blocks a new one for the same app (everything but withdrawn, rejected,
// launched).
bool is_active(State s);

// One unmet requirement, named by its catalogue id, with what is missing in plain words.
struct Missing {
  std::string requirement_id;
  std::string message;
  bool operator==(const Missing&) const = default;
};

// What the submission guard looks at (issue 6 §2 "submit requires").
struct SubmissionFacts {
  bool questionnaire_complete = false;
  bool has_normal_flow_video = false;
  bool exception_flows_covered = false;   // in the same video or a separate one
  std::set<std::string> declared_functions;
  std::set<std::string> functions_covered_by_traces;
  bool traces_have_live_secrets = false;
  std::optional<LocalDate> call_log_date;
  bool instance_access_given = false;
  bool owasp_checklist_answered = false;
  bool token_encryption_attested = false;
  // The optional dry run (professional-services partners only).
  bool dry_run_held = false;
  int dry_run_open_findings = 0;
};

// Everything that keeps a draft from being submitted at `now`, requirement by requirement, in
// catalogue order; empty means it may be submitted.
std::vector<Missing> missing_for_submission(const SubmissionFacts& facts, Micros now, const BusinessCalendar& calendar);

// The call-log date rule, precisely: the date falls within the seven days up to and including
// the day of `now`, both in the certification team's time zone.
bool call_log_date_in_week(const LocalDate& date, Micros now, const BusinessCalendar& calendar);

// The dry-run rule: only for professional-services partners, and scheduled no later than 10
// business days before the planned certification date (the seed's "two weeks before").
inline constexpr int kDryRunLeadBusinessDays = 10;
Status check_dry_run_schedule(bool professional_services, const LocalDate& dry_run_date,
                              const LocalDate& planned_certification_date, const BusinessCalendar& calendar);

// The kickoff meeting must include a partner manager, a security reviewer and a solution
// consultant (staff role names, as identity::StaffRole prints them).
std::vector<Missing> missing_kickoff_participants(const std::set<std::string>& participant_roles);

// What engineer approval requires.
struct ApprovalFacts {
  // Requirements whose automated check neither passed nor was waived by the engineer with a reason.
  std::vector<std::string> failing_checks;
  int open_findings = 0;
  bool security_reviewer_confirmed_encryption = false;
};
std::vector<Missing> missing_for_approval(const ApprovalFacts& facts);

// The integration key promotion form (DocuSign step 8).
struct PromotionForm {
  std::string system_integrator_name;
  std::string technical_contact_name;
  std::string technical_contact_email;
  std::string technical_contact_phone;  // E.164: +, then 8..15 digits, no leading zero
  std::string production_date_estimate;  // YYYY-MM-DD, today or later in the team's zone
  std::string integration_key;          // must equal the app's client_id
};
// validation_failed naming the first bad field.
Status validate_promotion_form(const PromotionForm& form, std::string_view app_client_id, Micros now,
                               const BusinessCalendar& calendar);
bool is_e164(std::string_view phone);

// Service-level clocks (DESIGN.md "Service level").
inline constexpr int kReviewBusinessDays = 6;
inline constexpr int kFinalApprovalBusinessDays = 3;
enum class ClockStatus { on_track, due_soon, overdue };
std::string_view to_string(ClockStatus s);
// overdue after the due instant; due_soon when the due instant falls on or before the end of the
// next business day; on_track otherwise.
ClockStatus clock_status(Micros due, Micros now, const BusinessCalendar& calendar);

}  // namespace cs::certification
