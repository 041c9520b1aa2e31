// RequestService on both backends (issue 6 §2): opening, the submission guard listing what is
// missing, assignments (least loaded), findings round-trip with the review clock restart (manual
// clock), the approval guard, illegal transitions that change nothing, and cross-tenant denial.
#include "certification/request_service.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "audit/audit_log.hpp"
#include "certification/catalogue.hpp"
#include "certification/clocks.hpp"
#include "core/business_calendar.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "crypto/tokens.hpp"
#include "identity/directory.hpp"
#include "oauth/app_service.hpp"
#include "store/params.hpp"
#include "support/test_database.hpp"

namespace cs::certification {
namespace {

std::string describe(const Error& e) { return std::string(e.code()) + ": " + e.message() + " / " + e.detail(); }

// Fixed guard facts: the evidence side has its own tests.
class FixedEvidence final : public EvidenceSource {
 public:
  SubmissionFacts facts;
  std::vector<std::string> failing;
  int pre_reviews = 0;
  Result<SubmissionFacts> submission_facts(store::Connection&, const Request&) override { return facts; }
  Result<std::vector<std::string>> unresolved_checks(store::Connection&, const Request&) override { return failing; }
  Status enqueue_pre_review(store::Connection&, const Request&) override {
    ++pre_reviews;
    return {};
  }
};

class RequestServiceTest : public cs::testing::BothBackends {
 protected:
  void SetUp() override {
    BothBackends::SetUp();
    clock_.set(1'795'424'400'000'000);  // Monday 2026-11-23T09:00:00Z
    directory_ = std::make_unique<identity::Directory>(db(), clock_, audit_, passwords_);
    apps_ = std::make_unique<oauth::AppService>(db(), clock_, audit_, hasher_);
    calendar_ = std::make_unique<BusinessCalendar>(BusinessCalendar::create(CalendarSpec{}).value());
    service_ = std::make_unique<RequestService>(db(), clock_, audit_, *calendar_, *apps_, &evidence_);
    {
      auto conn = lease();
      ASSERT_TRUE(store_catalogues(*conn, clock_.now()));
    }
    auto op = identity::Actor::operator_cli();
    org_ = directory_->create_partner_org({"Acme Partner", false}, op).value().id;
    other_org_ = directory_->create_partner_org({"Other Partner", false}, op).value().id;
    partner_ = user("dev@acme.example");
    directory_->grant_partner_role(org_, partner_, identity::PartnerRole::partner_developer, op).value();
    outsider_ = user("dev@other.example");
    directory_->grant_partner_role(other_org_, outsider_, identity::PartnerRole::partner_admin, op).value();
    manager_ = user("pm@cs.example");
    directory_->grant_staff_role(manager_, identity::StaffRole::partner_manager, op).value();
    engineer_ = user("eng@cs.example");
    directory_->grant_staff_role(engineer_, identity::StaffRole::certification_engineer, op).value();
    idle_engineer_ = user("eng2@cs.example");
    directory_->grant_staff_role(idle_engineer_, identity::StaffRole::certification_engineer, op).value();
    security_ = user("sec@cs.example");
    directory_->grant_staff_role(security_, identity::StaffRole::security_reviewer, op).value();

    oauth::NewApp in;
    in.name = "Acme Connector";
    in.redirect_uris = {"https://acme.example/cb"};
    in.scopes = {"account:read"};
    in.functions = {"send"};
    in.partner_org_id = org_;
    auto created = apps_->create(who(partner_), in, {});
    ASSERT_TRUE(created) << describe(created.error());
    app_ = created->app;
  }

  std::string user(const std::string& email) {
    return directory_->create_user({email, "Someone", "correct horse battery"}, identity::Actor::operator_cli()).value().id;
  }
  identity::Principal who(const std::string& id) { return directory_->load_principal(id).value(); }
  identity::Actor as(const std::string& id) { return identity::Actor::user(id); }

  void complete_facts() {
    auto& f = evidence_.facts;
    f.questionnaire_complete = f.has_normal_flow_video = f.exception_flows_covered = true;
    f.declared_functions = f.functions_covered_by_traces = {"send"};
    f.call_log_date = calendar_->local_date(clock_.now());
    f.instance_access_given = f.owasp_checklist_answered = f.token_encryption_attested = true;
  }

  std::int64_t history_lines(const std::string& id) {
    auto conn = lease();
    return (*conn->query_one("SELECT COUNT(*) FROM cert_request_history WHERE request_id = $1", store::params(id)))
        ->int64(0);
  }

  // open -> submit -> both reviewers assigned: in_review.
  Request in_review() {
    complete_facts();
    auto r = service_->open(who(partner_), app_.id, as(partner_)).value();
    EXPECT_EQ(service_->submit(who(partner_), r.id, as(partner_)).value().state, State::submitted);
    EXPECT_TRUE(service_->assign(who(manager_), r.id, AssignmentRole::certification_engineer, engineer_, as(manager_)));
    // No user named: the least loaded security reviewer (the only one).
    auto sec = service_->assign(who(manager_), r.id, AssignmentRole::security_reviewer, std::nullopt, as(manager_));
    EXPECT_TRUE(sec) << describe(sec.error());
    if (sec) {
      EXPECT_EQ(sec->user_id, security_);
    }
    return service_->get(who(partner_), r.id).value();
  }

  ManualClock clock_;
  audit::AuditLog audit_{clock_};
  crypto::PasswordHasher passwords_{crypto::PasswordParams::minimal()};
  crypto::KeyRing keys_ = crypto::KeyRing::generate(clock_);
  crypto::TokenHasher hasher_{keys_};
  std::unique_ptr<identity::Directory> directory_;
  std::unique_ptr<oauth::AppService> apps_;
  std::unique_ptr<BusinessCalendar> calendar_;
  FixedEvidence evidence_;
  std::unique_ptr<RequestService> service_;
  std::string org_, other_org_, partner_, outsider_, manager_, engineer_, idle_engineer_, security_;
  oauth::App app_;
};

TEST_P(RequestServiceTest, OpeningRecordsTheCatalogueAndPutsTheVersionInCertification) {
  auto r = service_->open(who(partner_), app_.id, as(partner_));
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->state, State::draft);
  EXPECT_EQ(r->catalogue_version, current_catalogue().version);
  EXPECT_EQ(apps_->find_by_id(app_.id)->current.certification, oauth::CertificationStatus::in_certification);
  auto again = service_->open(who(partner_), app_.id, as(partner_));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errc(), Errc::conflict);
  EXPECT_NE(again.error().extensions_json().find(r->id), std::string::npos);
  // Staff cannot open one; another org cannot even see the app.
  EXPECT_EQ(service_->open(who(outsider_), app_.id, as(outsider_)).error().errc(), Errc::not_found);
}

TEST_P(RequestServiceTest, SubmitRefusalListsEveryMissingRequirementAndChangesNothing) {
  auto r = service_->open(who(partner_), app_.id, as(partner_)).value();
  auto lines = history_lines(r.id);
  evidence_.facts.declared_functions = {"send"};  // and no trace covers it
  auto refused = service_->submit(who(partner_), r.id, as(partner_));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::requirements_unmet);
  auto ext = nlohmann::json::parse(refused.error().extensions_json());
  std::set<std::string> ids;
  for (const auto& m : ext["missing"]) ids.insert(m["requirement_id"].get<std::string>());
  for (const char* id : {"SEC-4", "SEC-1", "SEC-2", "QUES-1", "VID-1", "VID-2", "TRC-1", "API-1"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
  EXPECT_EQ(service_->get(who(partner_), r.id)->state, State::draft);
  EXPECT_EQ(history_lines(r.id), lines);
  EXPECT_EQ(evidence_.pre_reviews, 0);
}

TEST_P(RequestServiceTest, FindingsRoundTripRestartsTheReviewClockAndGateApproval) {
  Request r = in_review();
  ASSERT_EQ(r.state, State::in_review);
  ASSERT_TRUE(r.review_due_at);
  EXPECT_EQ(*r.review_due_at, calendar_->deadline(*r.submitted_at, kReviewBusinessDays));
  EXPECT_EQ(evidence_.pre_reviews, 1);

  // Only an assigned reviewer files; the idle engineer cannot even see the request.
  NewFinding nf{"SEC-2", "review", "reviewer", "high", "Refresh tokens stored in plain text", "db dump row 3"};
  EXPECT_EQ(service_->file_finding(who(idle_engineer_), r.id, nf, as(idle_engineer_)).error().errc(), Errc::not_found);
  auto finding = service_->file_finding(who(engineer_), r.id, nf, as(engineer_));
  ASSERT_TRUE(finding) << describe(finding.error());
  EXPECT_EQ(service_->get(who(partner_), r.id)->state, State::changes_requested);

  // The remedy needs a response to every open finding.
  auto early = service_->remedy(who(partner_), r.id, as(partner_));
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().errc(), Errc::requirements_unmet);
  ASSERT_TRUE(service_->respond_to_finding(who(partner_), r.id, finding->id, "Encrypted with KMS now", as(partner_)));

  clock_.advance(2LL * 24 * 3600 * kMicrosPerSecond);  // Wednesday
  auto remedied = service_->remedy(who(partner_), r.id, as(partner_));
  ASSERT_TRUE(remedied) << describe(remedied.error());
  // Both reviewers are still assigned: straight back into review, with the clock restarted.
  EXPECT_EQ(remedied->state, State::in_review);
  EXPECT_EQ(remedied->remedy_rounds, 1);
  EXPECT_EQ(*remedied->review_clock_started_at, clock_.now());
  EXPECT_EQ(*remedied->review_due_at, calendar_->deadline(clock_.now(), kReviewBusinessDays));
  EXPECT_GT(*remedied->review_due_at, *r.review_due_at);
  EXPECT_EQ(evidence_.pre_reviews, 2);

  // Approval: the finding is not closed and encryption is not confirmed.
  auto refused = service_->approve(who(engineer_), r.id, as(engineer_));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errc(), Errc::requirements_unmet);
  EXPECT_EQ(service_->confirm_encryption(who(engineer_), r.id, as(engineer_)).error().errc(), Errc::forbidden);
  ASSERT_TRUE(service_->confirm_encryption(who(security_), r.id, as(security_)));
  ASSERT_TRUE(service_->close_finding(who(engineer_), r.id, finding->id, "Verified", as(engineer_)));
  evidence_.failing = {"API-2"};
  EXPECT_EQ(service_->approve(who(engineer_), r.id, as(engineer_)).error().errc(), Errc::requirements_unmet);
  evidence_.failing.clear();
  EXPECT_EQ(service_->approve(who(security_), r.id, as(security_)).error().errc(), Errc::forbidden);
  auto approved = service_->approve(who(engineer_), r.id, as(engineer_));
  ASSERT_TRUE(approved) << describe(approved.error());
  EXPECT_EQ(approved->state, State::engineer_approved);

  // The timeline holds every step in order.
  auto timeline = service_->history(who(partner_), r.id).value();
  std::vector<std::string> actions;
  for (const auto& t : timeline) actions.push_back(t.entry.action);
  std::vector<std::string> expected = {"opened", "submit", "assigned", "assigned", "assign", "finding_filed",
                                       "request_changes", "finding_responded", "remedy", "assign",
                                       "encryption_confirmed", "finding_closed", "approve"};
  EXPECT_EQ(actions, expected);
}

TEST_P(RequestServiceTest, EveryIllegalTransitionAnswersInvalidTransitionAndChangesNothing) {
  auto r = service_->open(who(partner_), app_.id, as(partner_)).value();
  auto lines = history_lines(r.id);
  for (Action a : {Action::assign, Action::request_changes, Action::remedy, Action::approve, Action::request_promotion,
                   Action::start_final_review, Action::certify, Action::decline, Action::launch, Action::reject}) {
    auto conn = lease();
    auto refused = service_->transition(*conn, r.id, a, as(manager_), "because");
    ASSERT_FALSE(refused) << to_string(a);
    EXPECT_EQ(refused.error().errc(), Errc::invalid_transition) << to_string(a);
  }
  EXPECT_EQ(history_lines(r.id), lines);
  EXPECT_EQ(service_->get(who(partner_), r.id)->state, State::draft);
  // Reviewers are not assigned to drafts.
  EXPECT_EQ(service_->assign(who(manager_), r.id, AssignmentRole::certification_engineer, engineer_, as(manager_))
                .error()
                .errc(),
            Errc::invalid_transition);
  // Withdrawn is final: nothing follows, and the version leaves certification.
  ASSERT_TRUE(service_->withdraw(who(partner_), r.id, "not ready", as(partner_)));
  EXPECT_EQ(apps_->find_by_id(app_.id)->current.certification, oauth::CertificationStatus::uncertified);
  EXPECT_EQ(service_->submit(who(partner_), r.id, as(partner_)).error().errc(), Errc::invalid_transition);
  EXPECT_EQ(service_->reject(who(manager_), r.id, "late", as(manager_)).error().errc(), Errc::invalid_transition);
  // A new request can follow.
  EXPECT_TRUE(service_->open(who(partner_), app_.id, as(partner_)));
}

// The service applies the lifecycle graph from every state, not only from draft: each edge the
// graph lacks answers invalid_transition and writes nothing.
TEST_P(RequestServiceTest, NoStateAcceptsAnEdgeTheGraphLacks) {
  auto r = service_->open(who(partner_), app_.id, as(partner_)).value();
  const State states[] = {State::draft,          State::submitted,           State::in_review,
                          State::changes_requested, State::remedied,        State::engineer_approved,
                          State::promotion_requested, State::final_review,  State::certified,
                          State::launched,       State::withdrawn,           State::rejected};
  const Action actions[] = {Action::submit,      Action::assign,             Action::request_changes,
                            Action::remedy,      Action::approve,            Action::request_promotion,
                            Action::start_final_review, Action::certify,     Action::decline,
                            Action::launch,      Action::withdraw,           Action::reject};
  int refused_edges = 0;
  for (State from : states) {
    {
      auto conn = lease();
      ASSERT_TRUE(conn->exec("UPDATE cert_requests SET state = $1 WHERE id = $2",
                             store::params(std::string(to_string(from)), r.id)));
    }
    auto lines = history_lines(r.id);
    for (Action a : actions) {
      if (next_state(from, a)) continue;
      auto conn = lease();
      auto refused = service_->transition(*conn, r.id, a, as(manager_), "because");
      ASSERT_FALSE(refused) << to_string(from) << " " << to_string(a);
      EXPECT_EQ(refused.error().errc(), Errc::invalid_transition) << to_string(from) << " " << to_string(a);
      ++refused_edges;
    }
    EXPECT_EQ(history_lines(r.id), lines) << to_string(from);
    auto conn = lease();
    auto state = conn->query_one("SELECT state FROM cert_requests WHERE id = $1", store::params(r.id));
    ASSERT_TRUE(state && *state);
    EXPECT_EQ((*state)->text(0), to_string(from));
  }
  EXPECT_GT(refused_edges, 100);  // 144 pairs, of which the graph allows only a handful
}

TEST_P(RequestServiceTest, RejectNeedsStaffAndAReason) {
  Request r = in_review();
  EXPECT_EQ(service_->reject(who(partner_), r.id, "x", as(partner_)).error().errc(), Errc::forbidden);
  EXPECT_EQ(service_->reject(who(manager_), r.id, " ", as(manager_)).error().errc(), Errc::validation_failed);
  auto rejected = service_->reject(who(manager_), r.id, "Fails the OWASP review", as(manager_));
  ASSERT_TRUE(rejected) << describe(rejected.error());
  EXPECT_EQ(rejected->state, State::rejected);
  EXPECT_EQ(rejected->decision_reason, "Fails the OWASP review");
}

TEST_P(RequestServiceTest, OtherTenantsAndUnassignedReviewersSeeNothing) {
  Request r = in_review();
  EXPECT_EQ(service_->get(who(outsider_), r.id).error().errc(), Errc::not_found);
  EXPECT_EQ(service_->findings(who(outsider_), r.id).error().errc(), Errc::not_found);
  EXPECT_EQ(service_->history(who(outsider_), r.id).error().errc(), Errc::not_found);
  EXPECT_EQ(service_->withdraw(who(outsider_), r.id, "", as(outsider_)).error().errc(), Errc::not_found);
  EXPECT_TRUE(service_->list(who(outsider_), {}).value().empty());
  EXPECT_EQ(service_->get(who(idle_engineer_), r.id).error().errc(), Errc::not_found);
  EXPECT_TRUE(service_->list(who(idle_engineer_), {}).value().empty());
  EXPECT_EQ(service_->list(who(engineer_), {}).value().size(), 1u);
  EXPECT_EQ(service_->list(who(manager_), {}).value().size(), 1u);
}

TEST_P(RequestServiceTest, NoticesGoOutAsEmailsAndCertificationEvents) {
  Request r = in_review();
  auto conn = lease();
  auto events = conn->query("SELECT type FROM domain_events WHERE type LIKE 'certification.%' ORDER BY seq").value();
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.text(0));
  EXPECT_EQ(types, (std::vector<std::string>{"certification.submitted", "certification.assigned",
                                             "certification.assigned"}));
  auto mails = conn->query("SELECT payload FROM jobs WHERE kind = 'email.send'").value();
  int to_partner = 0, to_manager = 0, to_security = 0;
  for (const auto& m : mails) {
    auto j = nlohmann::json::parse(m.text(0));
    std::string to = j.value("to", "");
    to_partner += to == "dev@acme.example";
    to_manager += to == "pm@cs.example";
    to_security += to == "sec@cs.example";
  }
  EXPECT_EQ(to_partner, 3);   // submitted, assigned twice
  EXPECT_EQ(to_manager, 1);   // submitted
  EXPECT_EQ(to_security, 1);  // their assignment
  (void)r;
}

// The final items (clocks.hpp): the review clock starts at the submission, when the
// questionnaire, videos, traces and call-log date reach the platform; nothing runs while the
// partner owes the promotion form; the form, the last final item, starts the final approver's 3
// business days, and sending the certificate later does not move them.
TEST_P(RequestServiceTest, ThePromotionFormStartsTheFinalApproversClock) {
  Request r = in_review();  // submitted Monday 2026-11-23 09:00Z
  EXPECT_EQ(r.review_clock_started_at, r.submitted_at);
  EXPECT_EQ(*r.review_due_at, calendar_->deadline(*r.submitted_at, kReviewBusinessDays));
  ASSERT_TRUE(service_->confirm_encryption(who(security_), r.id, as(security_)));
  clock_.advance(24LL * 3600 * kMicrosPerSecond);  // Tuesday
  auto approved = service_->approve(who(engineer_), r.id, as(engineer_));
  ASSERT_TRUE(approved) << describe(approved.error());
  EXPECT_FALSE(approved->final_clock_started_at);
  // The partner's turn: no clock runs, however long the form takes.
  clock_.advance(7LL * 24 * 3600 * kMicrosPerSecond);  // Tuesday 2026-12-01 09:00Z
  EXPECT_FALSE(running_clock(*service_->get(who(partner_), r.id), clock_.now(), *calendar_));

  Micros filed = clock_.now();
  PromotionForm form{"Acme Integrations", "Pat Partner", "pat@acme.example", "+14155550100", "2026-12-15",
                     app_.client_id};
  auto promoted = service_->request_promotion(who(partner_), r.id, form, as(partner_));
  ASSERT_TRUE(promoted) << describe(promoted.error());
  EXPECT_EQ(promoted->state, State::promotion_requested);
  EXPECT_EQ(promoted->final_clock_started_at, filed);
  EXPECT_EQ(format_rfc3339(*promoted->final_due_at), "2026-12-05T00:00:00Z");  // end of Friday
  auto running = running_clock(*promoted, clock_.now(), *calendar_);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->kind, "final_approval");
  EXPECT_EQ(running->due_at, *promoted->final_due_at);
  // The review clock is the engineering review's: the form does not restart it.
  EXPECT_EQ(promoted->review_clock_started_at, r.review_clock_started_at);

  // The certificate goes out a business day later (a slow job): the clock stays the form's.
  clock_.advance(24LL * 3600 * kMicrosPerSecond);
  {
    auto conn = lease();
    ASSERT_TRUE(conn->exec("UPDATE cert_requests SET certification_envelope_id = 'env_test' WHERE id = $1",
                           store::params(r.id)));
    auto started = service_->transition(*conn, r.id, Action::start_final_review, identity::Actor::system("test"), "");
    ASSERT_TRUE(started) << describe(started.error());
    EXPECT_EQ(started->state, State::final_review);
    EXPECT_EQ(started->final_clock_started_at, filed);
    EXPECT_EQ(started->final_due_at, promoted->final_due_at);
  }
  // A stale clock from an earlier round (approved again after a decline) is replaced.
  {
    auto conn = lease();
    ASSERT_TRUE(conn->exec("UPDATE cert_requests SET state = 'promotion_requested', approved_at = $2 WHERE id = $1",
                           store::params(r.id, clock_.now())));
    auto restarted = service_->transition(*conn, r.id, Action::start_final_review, identity::Actor::system("test"), "");
    ASSERT_TRUE(restarted) << describe(restarted.error());
    EXPECT_EQ(restarted->final_clock_started_at, clock_.now());
    EXPECT_EQ(*restarted->final_due_at, calendar_->deadline(clock_.now(), kFinalApprovalBusinessDays));
  }
}

// The guards the edges check besides the submission and approval ones: both reviewers before
// review, the stored promotion form, a reason for a decline and a rejection.
TEST_P(RequestServiceTest, EveryOtherGuardRefusesUntilMetAndChangesNothing) {
  complete_facts();
  auto r = service_->open(who(partner_), app_.id, as(partner_)).value();
  ASSERT_TRUE(service_->submit(who(partner_), r.id, as(partner_)));
  ASSERT_TRUE(service_->assign(who(manager_), r.id, AssignmentRole::certification_engineer, engineer_, as(manager_)));
  EXPECT_EQ(service_->get(who(partner_), r.id)->state, State::submitted);  // one reviewer is not enough
  auto set_state = [&](State s) {
    auto conn = lease();
    ASSERT_TRUE(conn->exec("UPDATE cert_requests SET state = $1 WHERE id = $2",
                           store::params(std::string(to_string(s)), r.id)));
  };
  auto refuse = [&](Action a, const std::string& reason) {
    auto lines = history_lines(r.id);
    auto conn = lease();
    auto refused = service_->transition(*conn, r.id, a, as(manager_), reason);
    EXPECT_FALSE(refused) << to_string(a);
    EXPECT_EQ(history_lines(r.id), lines) << to_string(a);
    return refused ? Error(Errc::internal, "accepted") : refused.error();
  };
  auto missing_ids = [](const Error& e) {
    std::set<std::string> ids;
    auto ext = nlohmann::json::parse(e.extensions_json(), nullptr, false);
    if (ext.is_object() && ext.contains("missing")) {
      for (const auto& m : ext["missing"]) ids.insert(m["requirement_id"].get<std::string>());
    }
    return ids;
  };

  auto staffing = refuse(Action::assign, "");
  EXPECT_EQ(staffing.errc(), Errc::requirements_unmet);
  EXPECT_NE(staffing.extensions_json().find("security_reviewer"), std::string::npos) << staffing.extensions_json();
  EXPECT_EQ(service_->get(who(partner_), r.id)->state, State::submitted);

  set_state(State::engineer_approved);
  auto no_form = refuse(Action::request_promotion, "");
  EXPECT_EQ(no_form.errc(), Errc::requirements_unmet);
  EXPECT_EQ(missing_ids(no_form), (std::set<std::string>{"QUES-3"}));
  // A form whose integration key is not the app's is refused before anything is stored.
  PromotionForm wrong{"Acme", "Pat", "pat@acme.example", "+14155550100", "2026-12-15", "not-the-client-id"};
  auto refused_form = service_->request_promotion(who(partner_), r.id, wrong, as(partner_));
  ASSERT_FALSE(refused_form);
  EXPECT_EQ(refused_form.error().field(), "integration_key");
  EXPECT_FALSE(service_->promotion_form(who(partner_), r.id).value());

  set_state(State::final_review);
  EXPECT_EQ(refuse(Action::decline, "  ").errc(), Errc::validation_failed);
  EXPECT_EQ(refuse(Action::reject, "").errc(), Errc::validation_failed);
  auto conn = lease();
  auto declined = service_->transition(*conn, r.id, Action::decline, as(manager_), "Video misses the exception flow");
  ASSERT_TRUE(declined) << describe(declined.error());
  EXPECT_EQ(declined->state, State::changes_requested);
}

// Only a partner manager assigns the final approver, and only once the promotion form is in
// (before that the automatic assignment has not happened and there is nothing to approve).
TEST_P(RequestServiceTest, TheFinalApproverIsAssignedFromThePromotionFormOn) {
  auto approver = user("cto@cs.example");
  directory_->grant_staff_role(approver, identity::StaffRole::final_approver, identity::Actor::operator_cli()).value();
  Request r = in_review();
  auto early = service_->assign(who(manager_), r.id, AssignmentRole::final_approver, approver, as(manager_));
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().errc(), Errc::validation_failed);
  EXPECT_EQ(early.error().field(), "role");
  {
    auto conn = lease();
    ASSERT_TRUE(conn->exec("UPDATE cert_requests SET state = 'promotion_requested' WHERE id = $1", store::params(r.id)));
  }
  EXPECT_EQ(service_->assign(who(partner_), r.id, AssignmentRole::final_approver, approver, as(partner_)).error().errc(),
            Errc::forbidden);
  EXPECT_EQ(service_->assign(who(manager_), r.id, AssignmentRole::final_approver, engineer_, as(manager_))
                .error()
                .field(),
            "user_id");  // not a final approver
  auto assigned = service_->assign(who(manager_), r.id, AssignmentRole::final_approver, approver, as(manager_));
  ASSERT_TRUE(assigned) << describe(assigned.error());
  EXPECT_EQ(assigned->user_id, approver);
  // Reassigning without naming someone needs another final approver.
  auto nobody_else = service_->assign(who(manager_), r.id, AssignmentRole::final_approver, std::nullopt, as(manager_));
  ASSERT_FALSE(nobody_else);
  EXPECT_EQ(nobody_else.error().errc(), Errc::validation_failed);
  // The same approver again changes nothing.
  auto again = service_->assign(who(manager_), r.id, AssignmentRole::final_approver, approver, as(manager_));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, assigned->id);
}

CS_INSTANTIATE_BOTH_BACKENDS(RequestServiceTest);

}  // namespace
}  // namespace cs::certification
