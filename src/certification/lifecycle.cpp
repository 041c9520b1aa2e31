#include "certification/lifecycle.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "identity/validation.hpp"

namespace cs::certification {

namespace {

constexpr std::array<std::pair<State, std::string_view>, 12> kStateNames{{
    {State::draft, "draft"},
    {State::submitted, "submitted"},
    {State::in_review, "in_review"},
    {State::changes_requested, "changes_requested"},
    {State::remedied, "remedied"},
    {State::engineer_approved, "engineer_approved"},
    {State::promotion_requested, "promotion_requested"},
    {State::final_review, "final_review"},
    {State::certified, "certified"},
    {State::launched, "launched"},
    {State::withdrawn, "withdrawn"},
    {State::rejected, "rejected"},
}};

constexpr std::array<std::pair<Action, std::string_view>, 12> kActionNames{{
    {Action::submit, "submit"},
    {Action::assign, "assign"},
    {Action::request_changes, "request_changes"},
    {Action::remedy, "remedy"},
    {Action::approve, "approve"},
    {Action::request_promotion, "request_promotion"},
    {Action::start_final_review, "start_final_review"},
    {Action::certify, "certify"},
    {Action::decline, "decline"},
    {Action::launch, "launch"},
    {Action::withdraw, "withdraw"},
    {Action::reject, "reject"},
}};

struct Edge {
  State from;
  Action action;
  State to;
};

// The whole graph. withdraw/reject are added for every state before `certified` below.
constexpr std::array<Edge, 11> kEdges{{
    {State::draft, Action::submit, State::submitted},
    {State::submitted, Action::assign, State::in_review},
    {State::remedied, Action::assign, State::in_review},
    {State::in_review, Action::request_changes, State::changes_requested},
    {State::changes_requested, Action::remedy, State::remedied},
    {State::in_review, Action::approve, State::engineer_approved},
    {State::engineer_approved, Action::request_promotion, State::promotion_requested},
    {State::promotion_requested, Action::start_final_review, State::final_review},
    {State::final_review, Action::certify, State::certified},
    {State::final_review, Action::decline, State::changes_requested},
    {State::certified, Action::launch, State::launched},
}};

bool before_certified(State s) {
  return s != State::certified && s != State::launched && s != State::withdrawn && s != State::rejected;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

}  // namespace

std::string_view to_string(State s) {
  for (const auto& [v, name] : kStateNames) {
    if (v == s) return name;
  }
  return "unknown";
}

std::string_view to_string(Action a) {
  for (const auto& [v, name] : kActionNames) {
    if (v == a) return name;
  }
  return "unknown";
}

std::optional<State> parse_state(std::string_view text) {
  for (const auto& [v, name] : kStateNames) {
    if (name == text) return v;
  }
  return std::nullopt;
}

std::optional<State> next_state(State from, Action action) {
  for (const auto& e : kEdges) {
    if (e.from == from && e.action == action) return e.to;
  }
  if (action == Action::withdraw && before_certified(from)) return State::withdrawn;
  // Staff reject what was submitted to them; a draft is the partner's to withdraw.
  if (action == Action::reject && before_certified(from) && from != State::draft) return State::rejected;
  return std::nullopt;
}

bool is_final(State s) { return s == State::launched || s == State::withdrawn || s == State::rejected; }

bool is_active(State s) { return !is_final(s); }

bool call_log_date_in_week(const LocalDate& date, Micros now, const BusinessCalendar& calendar) {
  LocalDate today = calendar.local_date(now);
  if (date > today) return false;
  // Seven calendar days including today: today-6 .. today.
  // Compare dates, never instants: noon six days before today is safely inside that local date
  // whatever DST does in between.
  Micros noon_six_days_ago = calendar.start_of_day(today) - 6LL * 24 * 3600 * kMicrosPerSecond + 12LL * 3600 * kMicrosPerSecond;
  return date >= calendar.local_date(noon_six_days_ago);
}

std::vector<Missing> missing_for_submission(const SubmissionFacts& f, Micros now, const BusinessCalendar& calendar) {
  std::vector<Missing> out;
  if (!f.instance_access_given) out.push_back({"SEC-4", "Give the reviewers access to an instance of your platform"});
  if (!f.owasp_checklist_answered) out.push_back({"SEC-1", "Answer the OWASP Top 10 checklist"});
  if (!f.token_encryption_attested) {
    out.push_back({"SEC-2", "Attest that all tokens and the app secret are stored encrypted"});
  }
  if (!f.questionnaire_complete) out.push_back({"QUES-1", "Complete every required question of the questionnaire"});
  if (f.dry_run_held && f.dry_run_open_findings > 0) {
    out.push_back({"QUES-2", "Remedy the " + std::to_string(f.dry_run_open_findings) + " open dry-run finding(s)"});
  }
  if (!f.has_normal_flow_video) out.push_back({"VID-1", "Upload a video of the normal flow (at most 4.5 MB)"});
  if (!f.exception_flows_covered) out.push_back({"VID-2", "Cover the exception flows in a video"});
  std::vector<std::string> uncovered;
  for (const auto& fn : f.declared_functions) {
    if (!f.functions_covered_by_traces.count(fn)) uncovered.push_back(fn);
  }
  if (!uncovered.empty()) {
    std::string list;
    for (const auto& fn : uncovered) list += (list.empty() ? "" : ", ") + fn;
    out.push_back({"TRC-1", "Upload traces covering: " + list});
  }
  if (f.traces_have_live_secrets) out.push_back({"TRC-2", "Remove the live secrets from your traces and rotate them"});
  if (!f.call_log_date) {
    out.push_back({"API-1", "Name the date of your API call log"});
  } else if (!call_log_date_in_week(*f.call_log_date, now, calendar)) {
    out.push_back({"API-1", "The call-log date must be within the seven days up to and including today (" +
                                format_local_date(calendar.local_date(now)) + ", " + calendar.spec().time_zone + ")"});
  }
  return out;
}

Status check_dry_run_schedule(bool professional_services, const LocalDate& dry_run_date,
                              const LocalDate& planned_certification_date, const BusinessCalendar& calendar) {
  if (!professional_services) {
    return fail(Errc::forbidden, "A dry run is available only with a professional-services engagement");
  }
  if (calendar.add_business_days(dry_run_date, kDryRunLeadBusinessDays) > planned_certification_date) {
    return fail(Error(Errc::validation_failed,
                      "The dry run must be scheduled at least 10 business days (two weeks) before the planned "
                      "certification date")
                    .with_field("scheduled_for"));
  }
  return {};
}

std::vector<Missing> missing_kickoff_participants(const std::set<std::string>& roles) {
  std::vector<Missing> out;
  for (std::string_view role : {"partner_manager", "security_reviewer", "solution_consultant"}) {
    if (!roles.count(std::string(role))) {
      out.push_back({"SEC-7", "The kickoff meeting needs a " + std::string(role)});
    }
  }
  return out;
}

std::vector<Missing> missing_for_approval(const ApprovalFacts& f) {
  std::vector<Missing> out;
  if (!f.security_reviewer_confirmed_encryption) {
    out.push_back({"SEC-2", "The security reviewer has not confirmed that tokens and the app secret are encrypted"});
  }
  if (f.open_findings > 0) out.push_back({"SEC-5", std::to_string(f.open_findings) + " finding(s) still open"});
  for (const auto& id : f.failing_checks) {
    out.push_back({id, "The automated check has neither passed nor been waived with a reason"});
  }
  return out;
}

bool is_e164(std::string_view p) {
  if (p.size() < 9 || p.size() > 16 || p[0] != '+' || p[1] == '0') return false;
  return std::all_of(p.begin() + 1, p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status validate_promotion_form(const PromotionForm& f, std::string_view app_client_id, Micros now,
                               const BusinessCalendar& calendar) {
  auto bad = [](std::string field, std::string message) {
    return fail(Error(Errc::validation_failed, std::move(message)).with_field(std::move(field)));
  };
  if (blank(f.system_integrator_name) || f.system_integrator_name.size() > 200) {
    return bad("system_integrator_name", "Give the system integrator's name (at most 200 characters)");
  }
  if (blank(f.technical_contact_name) || f.technical_contact_name.size() > 200) {
    return bad("technical_contact_name", "Give the technical contact's name (at most 200 characters)");
  }
  if (!identity::validate_email(f.technical_contact_email)) {
    return bad("technical_contact_email", "The email address is not valid");
  }
  if (!is_e164(f.technical_contact_phone)) {
    return bad("technical_contact_phone", "Write the phone number in E.164 form, for example +14155550123");
  }
  auto date = parse_local_date(f.production_date_estimate);
  if (!date) return bad("production_date_estimate", "Write the production date estimate as YYYY-MM-DD");
  if (*date < calendar.local_date(now)) return bad("production_date_estimate", "The production date cannot be in the past");
  if (f.integration_key != app_client_id) {
    return bad("integration_key", "The integration key must be this app's client_id");
  }
  return {};
}

std::string_view to_string(ClockStatus s) {
  switch (s) {
    case ClockStatus::on_track: return "on_track";
    case ClockStatus::due_soon: return "due_soon";
    case ClockStatus::overdue: return "overdue";
  }
  return "on_track";
}

ClockStatus clock_status(Micros due, Micros now, const BusinessCalendar& calendar) {
  if (now > due) return ClockStatus::overdue;
  if (due <= calendar.deadline(now, 1)) return ClockStatus::due_soon;
  return ClockStatus::on_track;
}

}  // namespace cs::certification
