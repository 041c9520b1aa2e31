#include "certification/lifecycle.hpp"

#include <gtest/gtest.h>

#include "certification/clocks.hpp"

namespace cs::certification {
namespace {

constexpr Micros kHour = 3600LL * kMicrosPerSecond;
constexpr Micros kFri20Utc = 1'795'132'800'000'000;  // 2026-11-20T00:00:00Z, a Friday

BusinessCalendar calendar(std::string zone = "America/Los_Angeles", std::set<LocalDate> holidays = {}) {
  return BusinessCalendar::create(CalendarSpec{std::move(zone), {6, 7}, std::move(holidays)}).value();
}

constexpr State kAll[] = {State::draft,          State::submitted,         State::in_review,
                          State::changes_requested, State::remedied,       State::engineer_approved,
                          State::promotion_requested, State::final_review, State::certified,
                          State::launched,       State::withdrawn,         State::rejected};
constexpr Action kActions[] = {Action::submit,  Action::assign,  Action::request_changes, Action::remedy,
                               Action::approve, Action::request_promotion, Action::start_final_review,
                               Action::certify, Action::decline, Action::launch, Action::withdraw, Action::reject};

TEST(Lifecycle, TheHappyPathFollowsTheDesignDiagram) {
  State s = State::draft;
  for (auto [action, expected] : {std::pair{Action::submit, State::submitted}, {Action::assign, State::in_review},
                                  {Action::approve, State::engineer_approved},
                                  {Action::request_promotion, State::promotion_requested},
                                  {Action::start_final_review, State::final_review}, {Action::certify, State::certified},
                                  {Action::launch, State::launched}}) {
    auto next = next_state(s, action);
    ASSERT_TRUE(next.has_value()) << to_string(s) << " --" << to_string(action);
    EXPECT_EQ(*next, expected);
    s = *next;
  }
  EXPECT_TRUE(is_final(s));
}

TEST(Lifecycle, FindingsLoopBackThroughRemedy) {
  EXPECT_EQ(next_state(State::in_review, Action::request_changes), State::changes_requested);
  EXPECT_EQ(next_state(State::changes_requested, Action::remedy), State::remedied);
  EXPECT_EQ(next_state(State::remedied, Action::assign), State::in_review);
  EXPECT_EQ(next_state(State::final_review, Action::decline), State::changes_requested);
}

TEST(Lifecycle, EveryEdgeOutsideTheGraphIsRefused) {
  // The complete table: exactly these (state, action) pairs are legal.
  int legal = 0;
  for (State s : kAll) {
    for (Action a : kActions) {
      auto next = next_state(s, a);
      bool withdraw_ok = a == Action::withdraw && s != State::certified && !is_final(s);
      bool reject_ok = a == Action::reject && s != State::draft && s != State::certified && !is_final(s);
      if (a == Action::withdraw) {
        EXPECT_EQ(next.has_value(), withdraw_ok) << to_string(s);
      }
      if (a == Action::reject) {
        EXPECT_EQ(next.has_value(), reject_ok) << to_string(s);
      }
      if (next) ++legal;
    }
  }
  // 11 drawn edges + withdraw from 8 states + reject from 7.
  EXPECT_EQ(legal, 11 + 8 + 7);
  EXPECT_FALSE(next_state(State::draft, Action::approve));
  EXPECT_FALSE(next_state(State::submitted, Action::certify));
  EXPECT_FALSE(next_state(State::changes_requested, Action::assign));
  EXPECT_FALSE(next_state(State::certified, Action::withdraw));
  EXPECT_FALSE(next_state(State::launched, Action::reject));
}

TEST(Lifecycle, StateNamesRoundTrip) {
  for (State s : kAll) EXPECT_EQ(parse_state(to_string(s)), s);
  EXPECT_FALSE(parse_state("approved"));
  EXPECT_TRUE(is_active(State::certified));
  EXPECT_FALSE(is_active(State::withdrawn));
}

SubmissionFacts complete_facts() {
  SubmissionFacts f;
  f.questionnaire_complete = true;
  f.has_normal_flow_video = true;
  f.exception_flows_covered = true;
  f.declared_functions = {"send", "track"};
  f.functions_covered_by_traces = {"send", "track", "sign"};
  f.call_log_date = LocalDate{2026, 11, 20};
  f.instance_access_given = true;
  f.owasp_checklist_answered = true;
  f.token_encryption_attested = true;
  return f;
}

TEST(SubmissionGuard, ACompleteRequestHasNothingMissing) {
  EXPECT_TRUE(missing_for_submission(complete_facts(), kFri20Utc + 20 * kHour, calendar()).empty());
}

TEST(SubmissionGuard, ListsEachMissingItemByRequirement) {
  SubmissionFacts f;
  f.declared_functions = {"send", "webhooks"};
  f.functions_covered_by_traces = {"send"};
  f.traces_have_live_secrets = true;
  f.dry_run_held = true;
  f.dry_run_open_findings = 2;
  auto missing = missing_for_submission(f, kFri20Utc + 20 * kHour, calendar());
  std::vector<std::string> ids;
  for (const auto& m : missing) ids.push_back(m.requirement_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"SEC-4", "SEC-1", "SEC-2", "QUES-1", "QUES-2", "VID-1", "VID-2", "TRC-1",
                                           "TRC-2", "API-1"}));
  EXPECT_NE(missing[7].message.find("webhooks"), std::string::npos);
  EXPECT_EQ(missing[7].message.find("send"), std::string::npos);
}

TEST(CallLogDate, WithinTheSevenDaysUpToAndIncludingTodayInTheTeamsZone) {
  auto cal = calendar();
  Micros friday_noon = kFri20Utc + 20 * kHour;  // 2026-11-20 12:00 PST
  EXPECT_TRUE(call_log_date_in_week({2026, 11, 20}, friday_noon, cal));
  EXPECT_TRUE(call_log_date_in_week({2026, 11, 14}, friday_noon, cal));   // today - 6
  EXPECT_FALSE(call_log_date_in_week({2026, 11, 13}, friday_noon, cal));  // today - 7
  EXPECT_FALSE(call_log_date_in_week({2026, 11, 21}, friday_noon, cal));  // tomorrow
  // 2026-11-21T05:00Z is still Friday in Los Angeles but Saturday in UTC.
  Micros late_friday = kFri20Utc + 29 * kHour;
  EXPECT_TRUE(call_log_date_in_week({2026, 11, 14}, late_friday, cal));
  EXPECT_FALSE(call_log_date_in_week({2026, 11, 14}, late_friday, calendar("UTC")));
  // Across the end of DST (Nov 1): Thursday Nov 5 looks back to Friday Oct 30.
  Micros thursday = kFri20Utc - 15 * 24 * kHour + 20 * kHour;
  EXPECT_TRUE(call_log_date_in_week({2026, 10, 30}, thursday, cal));
  EXPECT_FALSE(call_log_date_in_week({2026, 10, 29}, thursday, cal));
}

TEST(DryRun, OnlyForProfessionalServicesAndTenBusinessDaysAhead) {
  auto cal = calendar("America/Los_Angeles", {{2026, 11, 26}});
  EXPECT_EQ(check_dry_run_schedule(false, {2026, 11, 2}, {2026, 12, 31}, cal).error().errc(), Errc::forbidden);
  // From Mon Nov 9, ten business days: 10,11,12,13,16,17,18,19,20,23 -> Nov 23 is the earliest date.
  EXPECT_TRUE(check_dry_run_schedule(true, {2026, 11, 9}, {2026, 11, 23}, cal).has_value());
  EXPECT_EQ(check_dry_run_schedule(true, {2026, 11, 9}, {2026, 11, 20}, cal).error().field(), "scheduled_for");
  // Thanksgiving pushes it: from Mon Nov 16: 17,18,19,20,23,24,25,(26),27,30,Dec 1 -> Dec 1.
  EXPECT_FALSE(check_dry_run_schedule(true, {2026, 11, 16}, {2026, 11, 30}, cal).has_value());
  EXPECT_TRUE(check_dry_run_schedule(true, {2026, 11, 16}, {2026, 12, 1}, cal).has_value());
}

TEST(Kickoff, NeedsThePartnerManagerSecurityReviewerAndSolutionConsultant) {
  EXPECT_TRUE(missing_kickoff_participants({"partner_manager", "security_reviewer", "solution_consultant",
                                            "certification_engineer"})
                  .empty());
  auto missing = missing_kickoff_participants({"partner_manager"});
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_NE(missing[0].message.find("security_reviewer"), std::string::npos);
  EXPECT_NE(missing[1].message.find("solution_consultant"), std::string::npos);
}

TEST(Approval, NeedsChecksFindingsAndTheEncryptionConfirmation) {
  EXPECT_TRUE(missing_for_approval({{}, 0, true}).empty());
  auto missing = missing_for_approval({{"API-2", "TRC-3"}, 1, false});
  std::vector<std::string> ids;
  for (const auto& m : missing) ids.push_back(m.requirement_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"SEC-2", "SEC-5", "API-2", "TRC-3"}));
}

TEST(PromotionForm, ValidatesEveryFieldAndTheIntegrationKey) {
  auto cal = calendar();
  Micros now = kFri20Utc + 20 * kHour;
  PromotionForm form{"Acme Integrations", "Ada Lovelace", "ada@acme.example", "+14155550123", "2026-12-01", "cli_123"};
  EXPECT_TRUE(validate_promotion_form(form, "cli_123", now, cal).has_value());
  auto field_of = [&](PromotionForm f) { return validate_promotion_form(f, "cli_123", now, cal).error().field(); };
  auto f = form;
  f.system_integrator_name = "  ";
  EXPECT_EQ(field_of(f), "system_integrator_name");
  f = form;
  f.technical_contact_email = "ada@";
  EXPECT_EQ(field_of(f), "technical_contact_email");
  for (auto phone : {"4155550123", "+0155550123", "+1 415 555 0123", "+1234567", "+1234567890123456"}) {
    f = form;
    f.technical_contact_phone = phone;
    EXPECT_EQ(field_of(f), "technical_contact_phone") << phone;
  }
  f = form;
  f.production_date_estimate = "2026-11-19";
  EXPECT_EQ(field_of(f), "production_date_estimate");
  f = form;
  f.integration_key = "cli_other";
  EXPECT_EQ(field_of(f), "integration_key");
}

TEST(Clocks, OnTrackDueSoonOverdue) {
  auto cal = calendar();
  Micros friday_noon = kFri20Utc + 20 * kHour;
  Micros due = cal.deadline(friday_noon, kReviewBusinessDays);
  EXPECT_EQ(clock_status(due, friday_noon, cal), ClockStatus::on_track);
  EXPECT_EQ(clock_status(due, due - kHour, cal), ClockStatus::due_soon);
  EXPECT_EQ(clock_status(due, due, cal), ClockStatus::due_soon);
  EXPECT_EQ(clock_status(due, due + 1, cal), ClockStatus::overdue);
}

// The clocks of the final items (clocks.hpp): the review clock while the platform owes the
// engineering decision; the final approver's from the promotion form on; none on the partner's
// turn.
TEST(Clocks, WhichClockRunsInEachState) {
  auto cal = calendar();
  Micros submitted = kFri20Utc + 20 * kHour;
  Micros form = submitted + 7 * 24 * kHour;
  Request r;
  r.review_clock_started_at = submitted;
  r.review_due_at = review_due_at(submitted, cal);
  r.approved_at = form - kHour;
  r.final_clock_started_at = form;
  r.final_due_at = final_due_at(form, cal);
  for (State s : kAll) {
    r.state = s;
    auto c = running_clock(r, form, cal);
    switch (s) {
      case State::submitted:
      case State::in_review:
      case State::remedied:
        ASSERT_TRUE(c) << to_string(s);
        EXPECT_EQ(c->kind, "review");
        EXPECT_EQ(c->started_at, submitted);
        EXPECT_EQ(c->due_at, cal.deadline(submitted, kReviewBusinessDays));
        break;
      case State::promotion_requested:
      case State::final_review:
        ASSERT_TRUE(c) << to_string(s);
        EXPECT_EQ(c->kind, "final_approval");
        EXPECT_EQ(c->started_at, form);
        EXPECT_EQ(c->due_at, cal.deadline(form, kFinalApprovalBusinessDays));
        break;
      default: EXPECT_FALSE(c) << to_string(s);
    }
  }
}

TEST(Clocks, AFinalClockFromBeforeTheLatestApprovalBelongsToAnEarlierRound) {
  Request r;
  EXPECT_FALSE(final_clock_of_this_round(r));
  r.final_clock_started_at = 100;
  r.final_due_at = 200;
  EXPECT_TRUE(final_clock_of_this_round(r));  // no approval recorded: nothing newer to compare
  r.approved_at = 100;
  EXPECT_TRUE(final_clock_of_this_round(r));  // form filed in the same instant as the approval
  r.approved_at = 101;
  EXPECT_FALSE(final_clock_of_this_round(r));  // approved again after a decline and remedy
}

}  // namespace
}  // namespace cs::certification
