// The automated pre-review (issue 6 §4) on both backends: seeded call-log rows give the 20
// happy-path calls or the shortfall, seeded OAuth codes the foreign-account PKCE evidence; the
// partner runs it on a draft as a durable job; runs are kept; the assigned engineer waives a
// failing check with a reason (audited) and unresolved_checks follows the latest run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "calllog/call_writer.hpp"
#include "calllog/recorder.hpp"
#include "evidence_fixture.hpp"

namespace cs::certification::testing {
namespace {

using ::testing::Contains;
using ::testing::Not;
using nlohmann::json;

// 2026-11-20 (a Friday) 10:00 UTC; the fixture's clock is Monday 2026-11-23.
constexpr Micros kFriday10 = 1'795'168'800'000'000;

class PreReviewTest : public EvidenceTest {
 protected:
  void seed_calls(int successes, int auth_calls, int failures) {
    std::vector<calllog::CallRecord> calls;
    auto make = [&](int i, int status, bool auth, std::string route) {
      calllog::CallRecord c;
      c.id = new_id("call");
      c.at = kFriday10 + i * 60 * kMicrosPerSecond;
      c.request_id = "req-" + std::to_string(i);
      c.app_id = app_.id;
      c.app_version_id = app_.current.id;
      c.partner_org_id = org_;
      c.account_id = "acc_seed";
      c.user_id = "usr_seed";
      c.auth = auth;
      c.method = route == "/v1/envelopes" ? "POST" : "GET";
      c.route = std::move(route);
      c.status = status;
      if (status >= 400) c.error_code = "not_found";
      c.latency_us = 1000;
      c.client_ip = "192.0.2.7";
      c.user_agent = "seed/1.0";
      calls.push_back(std::move(c));
    };
    int i = 0;
    for (int n = 0; n < auth_calls; ++n) make(i++, 200, true, "/oauth/token");
    for (int n = 0; n < successes; ++n) make(i++, 200, false, n % 2 ? "/v1/envelopes/{id}" : "/v1/envelopes");
    for (int n = 0; n < failures; ++n) make(i++, 404, false, "/v1/envelopes/{id}");
    auto conn = lease();
    auto s = calllog::write_calls(*conn, calls);
    ASSERT_TRUE(s) << describe(s.error());
  }

  // A redeemed authorization code with PKCE on an account of `partner_org` (nullopt: a customer).
  void seed_code(std::optional<std::string> partner_org) {
    auto account = directory_->create_account({"Customer " + new_id("n"), identity::Environment::sandbox, partner_org},
                                              identity::Actor::operator_cli());
    ASSERT_TRUE(account) << describe(account.error());
    auto grant = new_id("grt");
    auto conn = lease();
    ASSERT_TRUE(conn->exec("INSERT INTO oauth_grants (id, app_id, user_id, account_id, scopes, created_at, updated_at) "
                           "VALUES ($1, $2, $3, $4, 'account:read', $5, $5)",
                           store::params(grant, app_.id, developer_, account->id, clock_.now())));
    ASSERT_TRUE(conn->exec(
        "INSERT INTO oauth_codes (code_hash, grant_id, app_id, user_id, account_id, redirect_uri, code_challenge, "
        "code_challenge_method, scopes, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, "
        "'https://partner.example/callback', 'challenge', 'S256', 'account:read', $6, $6, $6)",
        store::params(new_id("hash"), grant, app_.id, developer_, account->id, clock_.now())));
  }

  // Runs the queued pre-review job(s); answers how many ran.
  int run_jobs() {
    int ran = 0;
    for (;;) {
      auto job = store::claim(db(), "test-worker", 60 * kMicrosPerSecond, {std::string(kPreReviewJobKind)}, clock_);
      EXPECT_TRUE(job);
      if (!job || !*job) return ran;
      auto done = evidence_->run_pre_review_job(**job);
      EXPECT_TRUE(done) << describe(done.error());
      EXPECT_TRUE(store::complete(db(), **job, clock_));
      ++ran;
    }
  }

  json check(const PreReviewRun& run, const std::string& requirement) {
    for (const auto& c : (*run.report)["checks"]) {
      if (c["requirement_id"] == requirement) return c;
    }
    ADD_FAILURE() << "no check for " << requirement;
    return json();
  }
};

TEST_P(PreReviewTest, HappyPathFoundOnTheNamedDate) {
  auto id = insert_request(State::draft);
  seed_calls(22, 5, 0);
  seed_code(std::nullopt);  // a customer's account: counts for OAUTH-1
  ASSERT_TRUE(evidence_->set_call_log_date(principal(developer_), rc_, id, "2026-11-20"));
  ASSERT_OK_AND_ASSIGN(queued, evidence_->request_pre_review(principal(developer_), rc_, id));
  EXPECT_EQ(queued.status, RunStatus::queued);
  EXPECT_EQ(run_jobs(), 1);
  ASSERT_OK_AND_ASSIGN(run, evidence_->latest_pre_review(principal(developer_), id));
  ASSERT_EQ(run.status, RunStatus::done);
  ASSERT_TRUE(run.report.has_value());
  auto api2 = check(run, "API-2");
  EXPECT_EQ(api2["outcome"], "pass");
  EXPECT_EQ(api2["evidence"]["found"], 20);
  // Authentication calls are not among the 20.
  for (const auto& c : api2["evidence"]["calls"]) EXPECT_NE(c["route"], "/oauth/token");
  EXPECT_EQ(check(run, "API-1")["outcome"], "pass");  // Friday is within the week of Monday
  EXPECT_EQ(check(run, "OAUTH-1")["outcome"], "pass");
  EXPECT_EQ(check(run, "OAUTH-1")["evidence"]["foreign_account_pkce_flows"], 1);
  EXPECT_EQ(check(run, "OAUTH-3")["outcome"], "pass");
  // Nothing uploaded yet: videos, traces and the questionnaire fail, with what is missing.
  EXPECT_EQ(check(run, "VID-1")["outcome"], "fail");
  EXPECT_EQ(check(run, "TRC-1")["outcome"], "fail");
  EXPECT_EQ(check(run, "QUES-1")["outcome"], "fail");
  EXPECT_FALSE(check(run, "QUES-1")["evidence"]["missing"].empty());
  // API-3 (track) applies to this app; API-5 (webhooks) does not; promotion is judged later.
  EXPECT_EQ(check(run, "API-3")["outcome"], "pass");
  for (const auto& c : (*run.report)["checks"]) {
    EXPECT_NE(c["requirement_id"], "API-5");
    EXPECT_NE(c["requirement_id"], "QUES-3");
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_request_history WHERE request_id = $1 AND action = 'pre_review_finished'", id), 1);
}

TEST_P(PreReviewTest, ShortfallAndOwnOrgOAuthFail) {
  auto id = insert_request(State::draft);
  seed_calls(5, 3, 2);
  seed_code(org_);  // the partner's own account does not prove a customer connection
  ASSERT_TRUE(evidence_->set_call_log_date(principal(developer_), rc_, id, "2026-11-20"));
  ASSERT_TRUE(evidence_->request_pre_review(principal(developer_), rc_, id));
  run_jobs();
  ASSERT_OK_AND_ASSIGN(run, evidence_->latest_pre_review(principal(developer_), id));
  auto api2 = check(run, "API-2");
  EXPECT_EQ(api2["outcome"], "fail");
  EXPECT_EQ(api2["evidence"]["found"], 5);
  EXPECT_EQ(api2["evidence"]["shortfall"], 15);
  EXPECT_EQ(check(run, "OAUTH-1")["outcome"], "fail");
  EXPECT_EQ(check(run, "OAUTH-2")["outcome"], "pass");  // the one code used S256
  // A date outside the week of the request fails API-1.
  clock_.advance(60 * kMicrosPerSecond);
  ASSERT_TRUE(evidence_->set_call_log_date(principal(developer_), rc_, id, "2026-11-10"));
  ASSERT_TRUE(evidence_->request_pre_review(principal(developer_), rc_, id));
  run_jobs();
  ASSERT_OK_AND_ASSIGN(second, evidence_->latest_pre_review(principal(developer_), id));
  EXPECT_NE(second.id, run.id);
  EXPECT_EQ(check(second, "API-1")["outcome"], "fail");
  // Every run is kept.
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_pre_review_runs WHERE request_id = $1", id), 2);
}

TEST_P(PreReviewTest, EngineerWaivesAFailingCheckAndUnresolvedChecksFollow) {
  auto id = insert_request(State::draft);
  seed_calls(5, 0, 0);
  ASSERT_TRUE(evidence_->set_call_log_date(principal(developer_), rc_, id, "2026-11-20"));
  {
    // Before any run, every automated requirement is unresolved.
    auto conn = lease();
    ASSERT_OK_AND_ASSIGN(before, evidence_->unresolved_checks(*conn, load_request(*conn, id).value()));
    EXPECT_THAT(before, Contains("API-2"));
    EXPECT_THAT(before, Contains("OAUTH-1"));
  }
  ASSERT_TRUE(evidence_->request_pre_review(principal(developer_), rc_, id));
  run_jobs();
  {
    auto conn = lease();
    ASSERT_OK_AND_ASSIGN(open, evidence_->unresolved_checks(*conn, load_request(*conn, id).value()));
    EXPECT_THAT(open, Contains("API-2"));
    EXPECT_THAT(open, Not(Contains("API-3")));  // passed
  }
  // Only the assigned certification engineer waives, with a reason, a check that failed.
  EXPECT_EQ(evidence_->waive_check(principal(developer_), rc_, id, "API-2", "busy week").error().errc(), Errc::forbidden);
  EXPECT_EQ(evidence_->waive_check(principal(engineer_), rc_, id, "API-2", "ok").error().errc(), Errc::not_found);
  assign(id, AssignmentRole::certification_engineer, engineer_);
  EXPECT_EQ(evidence_->waive_check(principal(engineer_), rc_, id, "API-2", "  ").error().errc(), Errc::validation_failed);
  EXPECT_EQ(evidence_->waive_check(principal(engineer_), rc_, id, "API-3", "passed anyway").error().errc(),
            Errc::validation_failed);
  ASSERT_OK_AND_ASSIGN(w, evidence_->waive_check(principal(engineer_), rc_, id, "API-2",
                                                 "Low-volume pilot: 5 calls reviewed by hand"));
  EXPECT_EQ(w.waived_by, engineer_);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'certification.check.waived' AND target_id = $1", id), 1);
  auto conn = lease();
  ASSERT_OK_AND_ASSIGN(after, evidence_->unresolved_checks(*conn, load_request(*conn, id).value()));
  EXPECT_THAT(after, Not(Contains("API-2")));
  EXPECT_THAT(after, Contains("OAUTH-1"));
}

TEST_P(PreReviewTest, OnlyTheOrgAndVisibleStaffRunOrReadIt) {
  auto id = insert_request(State::draft);
  EXPECT_EQ(evidence_->latest_pre_review(principal(developer_), id).error().errc(), Errc::not_found);  // none yet
  EXPECT_EQ(evidence_->request_pre_review(principal(rival_), rc_, id).error().errc(), Errc::not_found);
  ASSERT_TRUE(evidence_->request_pre_review(principal(developer_), rc_, id));
  EXPECT_EQ(evidence_->latest_pre_review(principal(rival_), id).error().errc(), Errc::not_found);
  EXPECT_EQ(evidence_->latest_pre_review(principal(reviewer_), id).error().errc(), Errc::not_found);
  assign(id, AssignmentRole::security_reviewer, reviewer_);
  ASSERT_OK_AND_ASSIGN(run, evidence_->latest_pre_review(principal(reviewer_), id));
  EXPECT_EQ(run.status, RunStatus::queued);
  // Once submitted, the partner no longer starts runs (the submission enqueues its own).
  auto submitted = insert_request(State::withdrawn);
  EXPECT_EQ(evidence_->request_pre_review(principal(developer_), rc_, submitted).error().errc(), Errc::invalid_transition);
}

CS_INSTANTIATE_BOTH_BACKENDS(PreReviewTest);

}  // namespace
}  // namespace cs::certification::testing
