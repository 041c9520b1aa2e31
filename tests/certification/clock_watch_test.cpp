// Clocks at risk (issue 6 §5) on SQLite and PostgreSQL with a controlled clock: staff are told
// once when a clock becomes due soon, once when it becomes overdue, again after it restarts,
// and never while the partner has the ball.
#include "certification/clock_watch.hpp"

#include "cert_finish_fixture.hpp"
#include "certification/clocks.hpp"

namespace cs::certification::testing {
namespace {

Micros at(int year, int month, int day, int hour) {
  auto cal = BusinessCalendar::create(CalendarSpec{}).value();
  return cal.start_of_day({year, month, day}) + hour * 3600LL * kMicrosPerSecond;
}

TEST(ClockNeedsAlert, OncePerStatusAndAgainAfterARestart) {
  auto cal = BusinessCalendar::create(CalendarSpec{}).value();
  Micros started = at(2026, 11, 23, 9);
  Micros due = cal.deadline(started, 6);
  EXPECT_FALSE(clock_needs_alert(ClockStatus::on_track, due, std::nullopt, started, cal));
  EXPECT_TRUE(clock_needs_alert(ClockStatus::due_soon, due, std::nullopt, started, cal));
  Micros alerted_soon = at(2026, 11, 30, 10);
  EXPECT_FALSE(clock_needs_alert(ClockStatus::due_soon, due, alerted_soon, started, cal));
  EXPECT_TRUE(clock_needs_alert(ClockStatus::overdue, due, alerted_soon, started, cal));
  Micros alerted_late = due + kMicrosPerSecond;
  EXPECT_FALSE(clock_needs_alert(ClockStatus::overdue, due, alerted_late, started, cal));
  // Restarted after the last alert: a new clock.
  EXPECT_TRUE(clock_needs_alert(ClockStatus::due_soon, due, alerted_late, alerted_late + 1, cal));
}

class ClockWatchTest : public CertFinishTest {
 protected:
  std::string in_review(Micros started) {
    std::string id = insert_request(State::in_review);
    auto conn = lease();
    EXPECT_TRUE(
        conn->exec("UPDATE cert_requests SET review_clock_started_at = $1, review_due_at = $2, "
                   "clock_alerted_at = NULL WHERE id = $3",
                   store::params(started, review_due_at(started, *calendar_), id)));
    EXPECT_TRUE(record_assignment(*conn, id, AssignmentRole::certification_engineer, engineer_,
                                  "system", started));
    return id;
  }
  int alerts_to(const std::string& address) {
    int n = 0;
    for (const auto& m : emails_to(address))
      n += m.value("category", "") == "certification.clock_at_risk";
    return n;
  }
  std::size_t sweep() {
    ClockWatch watch(db(), clock_, *calendar_);
    auto sent = watch.sweep();
    EXPECT_TRUE(sent) << describe(sent.error());
    return sent ? sent->size() : 0;
  }
};

TEST_P(ClockWatchTest, ReviewClockAlertsOncePerChangeOfStatusAndAfterARestart) {
  std::string id = in_review(at(2026, 11, 23, 9));  // due at the end of Tuesday 2026-12-01
  clock_.set(at(2026, 11, 24, 9));
  EXPECT_EQ(sweep(), 0u);  // on track

  clock_.set(at(2026, 11, 30, 10));  // due by the end of the next business day
  EXPECT_EQ(sweep(), 1u);
  EXPECT_EQ(alerts_to("engineer@countersign.example"), 1);
  EXPECT_EQ(alerts_to("pm@countersign.example"), 1);
  EXPECT_EQ(alerts_to("admin@partner.example"), 0);  // staff only
  clock_.set(at(2026, 11, 30, 16));
  EXPECT_EQ(sweep(), 0u);  // still due soon: said already

  clock_.set(at(2026, 12, 2, 1));  // overdue
  EXPECT_EQ(sweep(), 1u);
  EXPECT_EQ(sweep(), 0u);
  EXPECT_EQ(alerts_to("pm@countersign.example"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cert_request_history WHERE request_id = $1 AND action = "
                  "'clock_at_risk'",
                  id),
            2);

  // The partner remedied: the clock restarts, and a new clock is alerted anew.
  Micros restarted = at(2026, 12, 2, 9);
  {
    auto conn = lease();
    ASSERT_TRUE(conn->exec(
        "UPDATE cert_requests SET review_clock_started_at = $1, review_due_at = $2 WHERE id = $3",
        store::params(restarted, review_due_at(restarted, *calendar_), id)));
  }
  clock_.set(at(2026, 12, 2, 10));
  EXPECT_EQ(sweep(), 0u);
  clock_.set(at(2026, 12, 9, 10));  // due at the end of Thursday 2026-12-10
  EXPECT_EQ(sweep(), 1u);
  EXPECT_EQ(alerts_to("pm@countersign.example"), 3);
}

TEST_P(ClockWatchTest, FinalClockAlertsTheApproverAndPartnersTurnIsQuiet) {
  std::string id = insert_request(State::promotion_requested);
  ASSERT_TRUE(final_review_->start(id));  // final clock: 3 business days from Monday 09:00
  clock_.set(at(2026, 11, 25, 10));       // due at the end of Thursday
  EXPECT_EQ(sweep(), 1u);
  EXPECT_EQ(alerts_to("cto@countersign.example"), 1);
  EXPECT_EQ(sweep(), 0u);

  clock_.set(at(2026, 11, 30, 10));  // overdue
  EXPECT_EQ(sweep(), 1u);
  EXPECT_EQ(alerts_to("cto@countersign.example"), 2);

  // changes_requested: the partner's turn, no clock runs however late it is.
  {
    auto conn = lease();
    ASSERT_TRUE(
        conn->exec("UPDATE cert_requests SET state = 'changes_requested', clock_alerted_at = NULL "
                   "WHERE id = $1",
                   store::params(id)));
  }
  clock_.set(at(2026, 12, 30, 10));
  EXPECT_EQ(sweep(), 0u);
  EXPECT_EQ(alerts_to("cto@countersign.example"), 2);
}

// clocks.hpp: from the promotion form the platform owes the final decision, so a certificate
// that has not gone out yet (the job is stuck) is alerted like one waiting for the approver.
TEST_P(ClockWatchTest, FinalClockRunsFromThePromotionFormBeforeTheEnvelopeGoesOut) {
  std::string id = insert_request(State::engineer_approved);
  EXPECT_EQ(sweep(), 0u);  // the partner owes the form: no clock
  PromotionForm form{"Acme Integrations", "Pat Partner", "pat@partner.example",
                     "+14155550100",      "2026-12-01",  app_.client_id};
  ASSERT_TRUE(requests_->request_promotion(principal(partner_admin_), id, form,
                                           identity::Actor::user(partner_admin_)));
  clock_.set(at(2026, 11, 25, 10));  // due at the end of Thursday; no job has run
  EXPECT_EQ(sweep(), 1u);
  EXPECT_EQ(request(id).state, State::promotion_requested);
  EXPECT_EQ(alerts_to("pm@countersign.example"), 1);
  // The envelope goes out: the same clock, already alerted for due_soon.
  ASSERT_TRUE(final_review_->start(id));
  ASSERT_EQ(request(id).state, State::final_review);
  EXPECT_EQ(sweep(), 0u);
  clock_.set(at(2026, 11, 27, 10));  // overdue
  EXPECT_EQ(sweep(), 1u);
  EXPECT_EQ(alerts_to("cto@countersign.example"), 1);
}

CS_INSTANTIATE_BOTH_BACKENDS(ClockWatchTest);

}  // namespace
}  // namespace cs::certification::testing
