// GET /v1/certification/metrics' numbers (issue 6 §5) on seeded requests with a controlled
// clock, on SQLite and PostgreSQL: requests per state, time to certify in business days (median,
// p90), review and final clock breaches, remedy rounds.
#include "certification/metrics.hpp"

#include "cert_finish_fixture.hpp"

namespace cs::certification::testing {
namespace {

Micros at(int year, int month, int day, int hour = 9) {
  auto cal = BusinessCalendar::create(CalendarSpec{}).value();
  return cal.start_of_day({year, month, day}) + hour * 3600LL * kMicrosPerSecond;
}

TEST(Percentile, InterpolatesBetweenTheClosestRanks) {
  EXPECT_FALSE(percentile({}, 50));
  EXPECT_DOUBLE_EQ(*percentile({7}, 90), 7);
  EXPECT_DOUBLE_EQ(*percentile({19, 14, 15}, 50), 15);
  EXPECT_DOUBLE_EQ(*percentile({19, 14, 15}, 90), 18.2);
  EXPECT_DOUBLE_EQ(*percentile({1, 2, 3, 4}, 50), 2.5);
  EXPECT_DOUBLE_EQ(*percentile({1, 2, 3, 4}, 100), 4);
  EXPECT_DOUBLE_EQ(*percentile({1, 2, 3, 4}, 0), 1);
}

class MetricsTest : public CertFinishTest {
 protected:
  struct Seed {
    std::string state;
    std::optional<Micros> submitted, certified, approved, review_due, final_due;
    int rounds = 0;
    std::optional<Micros> first_submit;  // a history line older than submitted_at (a resubmission)
  };

  void seed(const Seed& s) {
    oauth::NewApp in;
    in.name = "App " + std::to_string(++apps_made_);
    in.description = "Seeded";
    in.redirect_uris = {"https://partner.example/callback"};
    in.scopes = {"account:read"};
    in.functions = {"send"};
    in.partner_org_id = partner_org_;
    auto app = apps_->create(principal(partner_admin_), in, {}).value().app;
    std::string id = new_id("crq");
    auto conn = lease();
    auto done = conn->exec(
        "INSERT INTO cert_requests (id, app_id, app_version_id, partner_org_id, kind, state, "
        "catalogue_version, "
        "remedy_rounds, created_by, created_at, updated_at, submitted_at, certified_at, "
        "approved_at, review_due_at, "
        "final_due_at) VALUES ($1, $2, $3, $4, 'initial', $5, '2026.1', $6, $7, $8, $8, $9, $10, "
        "$11, $12, $13)",
        store::params(id, app.id, app.current.id, partner_org_, s.state,
                      static_cast<std::int64_t>(s.rounds), partner_admin_, at(2026, 9, 1),
                      s.submitted, s.certified, s.approved, s.review_due, s.final_due));
    ASSERT_TRUE(done) << describe(done.error());
    if (s.first_submit) {
      ASSERT_TRUE(append_history(*conn,
                                 {id, identity::Actor::user(partner_admin_), "submit", State::draft,
                                  State::submitted, "", "{}"},
                                 *s.first_submit));
    }
  }
  int apps_made_ = 0;
};

TEST_P(MetricsTest, ComputesStatesTimeToCertifyBreachesAndRemedyRounds) {
  // Launched: 14 business days (2026-11-02 -> 11-20); certified after the final due instant.
  seed({"launched",
        at(2026, 11, 2),
        at(2026, 11, 20),
        at(2026, 11, 10),
        at(2026, 11, 11),
        at(2026, 11, 19),
        2,
        {}});
  // Certified: 15 business days; approved after the review due instant.
  seed({"certified",
        at(2026, 11, 9),
        at(2026, 11, 30),
        at(2026, 11, 20),
        at(2026, 11, 18),
        at(2026, 12, 3),
        0,
        {}});
  // Launched: first submitted 2026-10-05 (19 business days to 10-30); resubmitted later.
  seed({"launched", at(2026, 10, 20), at(2026, 10, 30), at(2026, 10, 26), at(2026, 10, 28),
        at(2026, 10, 31), 1, at(2026, 10, 5)});
  // In review, its review clock overdue now.
  seed({"in_review", at(2026, 11, 30), {}, {}, at(2026, 12, 2), {}, 3, {}});
  // In final review, on time.
  seed({"final_review",
        at(2026, 11, 30),
        {},
        at(2026, 12, 1),
        at(2026, 12, 4),
        at(2026, 12, 10),
        0,
        {}});
  seed({"draft", {}, {}, {}, {}, {}, 0, {}});
  seed({"withdrawn", at(2026, 11, 16), {}, {}, at(2026, 11, 24), {}, 0, {}});

  Micros now = at(2026, 12, 7);
  auto conn = lease();
  ASSERT_OK_AND_ASSIGN(m, compute_metrics(*conn, *calendar_, now));
  EXPECT_EQ(m.requests_by_state.at("launched"), 2);
  EXPECT_EQ(m.requests_by_state.at("certified"), 1);
  EXPECT_EQ(m.requests_by_state.at("in_review"), 1);
  EXPECT_EQ(m.requests_by_state.at("final_review"), 1);
  EXPECT_EQ(m.requests_by_state.at("draft"), 1);
  EXPECT_EQ(m.requests_by_state.at("withdrawn"), 1);
  EXPECT_EQ(m.requests_by_state.at("rejected"), 0);
  EXPECT_EQ(m.certified_count, 3);
  ASSERT_TRUE(m.time_to_certify_median);
  EXPECT_DOUBLE_EQ(*m.time_to_certify_median, 15);
  EXPECT_DOUBLE_EQ(*m.time_to_certify_p90, 18.2);
  EXPECT_EQ(m.review_clock_breaches, 2);
  EXPECT_EQ(m.final_clock_breaches, 1);
  EXPECT_EQ(m.submitted_count, 6);
  EXPECT_DOUBLE_EQ(*m.remedy_rounds_mean, 1.0);
  EXPECT_EQ(m.remedy_rounds_max, 3);

  auto j = to_json(m);
  EXPECT_EQ(j["time_to_certify_business_days"]["median"], 15.0);
  EXPECT_EQ(j["time_to_certify_business_days"]["p90"], 18.2);
  EXPECT_EQ(j["clock_breaches"]["review"], 2);
  EXPECT_EQ(j["clock_breaches"]["final"], 1);
  EXPECT_EQ(j["remedy_rounds"]["max"], 3);
  EXPECT_EQ(j["requests_by_state"]["launched"], 2);
}

// clocks.hpp: the final approver's clock runs from the promotion form, so a request still
// waiting for its certificate envelope breaches it too.
TEST_P(MetricsTest, TheFinalClockRunsFromThePromotionFormOn) {
  seed({"promotion_requested", at(2026, 11, 23), {}, at(2026, 11, 27), at(2026, 12, 1),
        at(2026, 12, 3), 0, {}});
  seed({"engineer_approved", at(2026, 11, 23), {}, at(2026, 11, 27), at(2026, 12, 1), {}, 0, {}});
  auto conn = lease();
  ASSERT_OK_AND_ASSIGN(before, compute_metrics(*conn, *calendar_, at(2026, 12, 2)));
  EXPECT_EQ(before.final_clock_breaches, 0);
  ASSERT_OK_AND_ASSIGN(after, compute_metrics(*conn, *calendar_, at(2026, 12, 7)));
  EXPECT_EQ(after.final_clock_breaches, 1);
  EXPECT_EQ(after.review_clock_breaches, 0);  // both were approved before the review was due
}

TEST_P(MetricsTest, NoRequestsAnswersZerosAndNulls) {
  auto conn = lease();
  ASSERT_OK_AND_ASSIGN(m, compute_metrics(*conn, *calendar_, clock_.now()));
  EXPECT_EQ(m.requests_by_state.size(), 12u);
  EXPECT_EQ(m.requests_by_state.at("draft"), 0);
  auto j = to_json(m);
  EXPECT_TRUE(j["time_to_certify_business_days"]["median"].is_null());
  EXPECT_TRUE(j["remedy_rounds"]["mean"].is_null());
  EXPECT_EQ(j["clock_breaches"]["review"], 0);
}

CS_INSTANTIATE_BOTH_BACKENDS(MetricsTest);

}  // namespace
}  // namespace cs::certification::testing
