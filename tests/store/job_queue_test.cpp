#include "store/job_queue.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "core/ids.hpp"
#include "support/test_database.hpp"

namespace cs::store {
namespace {

constexpr Micros kSecond = kMicrosPerSecond;
constexpr Micros kLease = 60 * kSecond;

class JobQueueTest : public cs::testing::BothBackends {
 protected:
  std::string enqueue_job(NewJob job) {
    auto conn = lease();
    auto id = enqueue(*conn, job, clock_);
    EXPECT_TRUE(id) << id.error().detail();
    return id ? *id : "";
  }
  std::optional<Job> claim_one(std::string_view worker = "w1",
                               const std::vector<std::string>& kinds = {}) {
    auto j = claim(db(), worker, kLease, kinds, clock_);
    EXPECT_TRUE(j) << j.error().detail();
    return j ? *j : std::nullopt;
  }
  Job must_find(const std::string& id) {
    auto j = find_job(db(), id);
    EXPECT_TRUE(j && j->has_value());
    return j && *j ? **j : Job{};
  }

  ManualClock clock_;
};

TEST_P(JobQueueTest, EnqueueThenClaimThenComplete) {
  std::string id = enqueue_job({.kind = "email.send", .payload = R"({"to":"a@example.com"})"});
  EXPECT_TRUE(is_valid_id(id, "job"));
  auto job = claim_one();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->id, id);
  EXPECT_EQ(job->kind, "email.send");
  EXPECT_EQ(job->payload, R"({"to":"a@example.com"})");
  EXPECT_EQ(job->state, JobState::running);
  EXPECT_EQ(job->attempts, 1);
  EXPECT_EQ(job->max_attempts, 8);
  EXPECT_EQ(job->lease_owner, "w1");
  EXPECT_EQ(job->lease_until, clock_.now() + kLease);
  EXPECT_FALSE(claim_one("w2"));  // nothing else is due

  ASSERT_TRUE(complete(db(), *job, clock_));
  EXPECT_EQ(must_find(id).state, JobState::done);
  EXPECT_FALSE(claim_one());
  auto s = stats(db());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->done, 1);
  EXPECT_EQ(s->queued + s->running + s->dead, 0);
}

TEST_P(JobQueueTest, EnqueueInARolledBackTransactionLeavesNoJob) {
  auto conn = lease();
  Status st = in_transaction(*conn, [&](Connection& c) -> Status {
    CS_TRY(enqueue(c, {.kind = "webhook.deliver"}, clock_));
    return cs::fail(Errc::validation_failed, "the business change failed");
  });
  ASSERT_FALSE(st);
  EXPECT_FALSE(claim_one());
  EXPECT_EQ(stats(db()).value().queued, 0);

  Status ok = in_transaction(*conn, [&](Connection& c) -> Status {
    CS_TRY(enqueue(c, {.kind = "webhook.deliver"}, clock_));
    return {};
  });
  ASSERT_TRUE(ok);
  EXPECT_EQ(stats(db()).value().queued, 1);
}

TEST_P(JobQueueTest, FutureJobsWaitForTheirTimeAndDueOnesGoInOrder) {
  std::string later = enqueue_job({.kind = "k", .run_at = clock_.now() + 10 * kSecond});
  std::string first = enqueue_job({.kind = "k", .run_at = clock_.now() - 5 * kSecond});
  std::string second = enqueue_job({.kind = "k"});
  EXPECT_EQ(claim_one()->id, first);
  EXPECT_EQ(claim_one()->id, second);
  EXPECT_FALSE(claim_one());
  clock_.advance(10 * kSecond);
  EXPECT_EQ(claim_one()->id, later);
}

TEST_P(JobQueueTest, KindsFilterLimitsWhatIsClaimed) {
  std::string email = enqueue_job({.kind = "email"});
  std::string hook = enqueue_job({.kind = "webhook"});
  auto j = claim_one("w", {"webhook", "seal"});
  ASSERT_TRUE(j);
  EXPECT_EQ(j->id, hook);
  EXPECT_FALSE(claim_one("w", {"webhook"}));
  EXPECT_EQ(claim_one("w", {"email"})->id, email);
}

TEST_P(JobQueueTest, FailureRetriesWithBackoffThenDies) {
  std::string id = enqueue_job({.kind = "flaky", .max_attempts = 3});
  auto j = claim_one();
  ASSERT_TRUE(j);
  ASSERT_TRUE(fail(db(), *j, "smtp timeout", clock_));
  Job after1 = must_find(id);
  EXPECT_EQ(after1.state, JobState::queued);
  EXPECT_EQ(after1.attempts, 1);
  EXPECT_EQ(after1.last_error, "smtp timeout");
  EXPECT_FALSE(after1.lease_owner);
  // First retry after 2 s +- 10 %.
  EXPECT_GE(after1.run_at, clock_.now() + 1'800'000);
  EXPECT_LE(after1.run_at, clock_.now() + 2'200'000);
  clock_.advance(kSecond);
  EXPECT_FALSE(claim_one());  // backing off
  clock_.advance(2 * kSecond);

  j = claim_one();
  ASSERT_TRUE(j);
  EXPECT_EQ(j->attempts, 2);
  ASSERT_TRUE(fail(db(), *j, "smtp timeout again", clock_));
  Job after2 = must_find(id);
  // Second retry after 4 s +- 10 %: the delay doubles.
  EXPECT_GE(after2.run_at, clock_.now() + 3'600'000);
  EXPECT_LE(after2.run_at, clock_.now() + 4'400'000);
  clock_.advance(5 * kSecond);

  j = claim_one();
  ASSERT_TRUE(j);
  EXPECT_EQ(j->attempts, 3);
  ASSERT_TRUE(fail(db(), *j, "final", clock_));
  Job dead = must_find(id);
  EXPECT_EQ(dead.state, JobState::dead);
  EXPECT_EQ(dead.last_error, "final");
  clock_.advance(24 * 3600 * kSecond);
  EXPECT_FALSE(claim_one());  // dead jobs are never claimed

  auto listed = list_dead(db());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, id);
  EXPECT_EQ(stats(db()).value().dead, 1);

  ASSERT_TRUE(retry_dead(db(), id, clock_));
  EXPECT_EQ(retry_dead(db(), id, clock_).error().errc(), Errc::not_found);  // no longer dead
  j = claim_one();
  ASSERT_TRUE(j);
  EXPECT_EQ(j->id, id);
  EXPECT_EQ(j->attempts, 1);  // fresh budget
  EXPECT_EQ(list_dead(db()).value().size(), 0u);
}

TEST_P(JobQueueTest, RetryDeadOfUnknownIdIsNotFound) {
  auto st = retry_dead(db(), "job_doesnotexist", clock_);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().errc(), Errc::not_found);
}

TEST_P(JobQueueTest, ExpiredLeaseIsReclaimedAndTheOldWorkerIsFencedOut) {
  std::string id = enqueue_job({.kind = "k"});
  auto crashed = claim_one("crashed-worker");
  ASSERT_TRUE(crashed);
  clock_.advance(kLease - kSecond);
  EXPECT_FALSE(claim_one("w2"));  // lease still held
  clock_.advance(2 * kSecond);
  auto again = claim_one("w2");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, id);
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->lease_owner, "w2");

  // The first worker comes back late: its outcome must not overwrite the new lease holder's.
  auto late = complete(db(), *crashed, clock_);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().errc(), Errc::conflict);
  EXPECT_EQ(fail(db(), *crashed, "late", clock_).error().errc(), Errc::conflict);
  EXPECT_EQ(must_find(id).state, JobState::running);
  ASSERT_TRUE(complete(db(), *again, clock_));
  EXPECT_EQ(must_find(id).state, JobState::done);
}

TEST_P(JobQueueTest, AJobWhoseWorkerKeepsCrashingDiesAfterItsLastAttempt) {
  std::string id = enqueue_job({.kind = "k", .max_attempts = 2});
  ASSERT_TRUE(claim_one("crash-1"));
  clock_.advance(kLease + kSecond);
  ASSERT_TRUE(claim_one("crash-2"));  // second and last attempt
  clock_.advance(kLease + kSecond);
  EXPECT_FALSE(claim_one("w3")) << "no third attempt";
  Job dead = must_find(id);
  EXPECT_EQ(dead.state, JobState::dead);
  EXPECT_EQ(dead.attempts, 2);
  ASSERT_TRUE(dead.last_error);
  EXPECT_NE(dead.last_error->find("lease"), std::string::npos);
  auto dead_list = list_dead(db());
  ASSERT_TRUE(dead_list);
  ASSERT_EQ(dead_list->size(), 1u);
}

TEST_P(JobQueueTest, PurgeDoneRemovesOnlyOldFinishedJobs) {
  std::string old_done = enqueue_job({.kind = "k"});
  ASSERT_TRUE(complete(db(), *claim_one(), clock_));
  clock_.advance(10 * kSecond);
  std::string new_done = enqueue_job({.kind = "k"});
  ASSERT_TRUE(complete(db(), *claim_one(), clock_));
  std::string queued = enqueue_job({.kind = "k", .run_at = clock_.now() + 3600 * kSecond});
  auto removed = purge_done(db(), clock_.now() - 5 * kSecond);
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1);
  auto gone = find_job(db(), old_done);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(must_find(new_done).state, JobState::done);
  EXPECT_EQ(must_find(queued).state, JobState::queued);
}

TEST_P(JobQueueTest, TwoConcurrentWorkersProcessEveryJobExactlyOnce) {
  constexpr int kJobs = 200;
  {
    auto conn = lease();
    ASSERT_TRUE(in_transaction(*conn, [&](Connection& c) -> Status {
      for (int i = 0; i < kJobs; ++i)
        CS_TRY(enqueue(c, {.kind = "k", .payload = std::to_string(i)}, clock_));
      return {};
    }));
  }
  // Each worker is its own "server": its own Database and connections.
  auto db_a = open_another(2);
  auto db_b = open_another(2);
  std::mutex mu;
  std::multiset<std::string> processed;
  std::vector<std::string> errors;
  auto worker = [&](Database& d, std::string name) {
    for (;;) {
      auto j = claim(d, name, kLease, {}, clock_);
      if (!j) {
        std::lock_guard lock(mu);
        errors.push_back(j.error().detail());
        return;
      }
      if (!j->has_value()) return;
      auto done = complete(d, **j, clock_);
      std::lock_guard lock(mu);
      processed.insert((*j)->id);
      if (!done) errors.push_back(done.error().detail());
    }
  };
  std::thread a(worker, std::ref(*db_a), "a");
  std::thread b(worker, std::ref(*db_b), "b");
  a.join();
  b.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(processed.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(processed.begin(), processed.end()).size(),
            static_cast<std::size_t>(kJobs));
  auto s = stats(db());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->done, kJobs);
  EXPECT_EQ(s->queued + s->running + s->dead, 0);
}

CS_INSTANTIATE_BOTH_BACKENDS(JobQueueTest);

TEST(Backoff, DoublesFromTwoSecondsAndCapsAtAnHour) {
  for (int attempt = 1; attempt <= 40; ++attempt) {
    Micros expected = std::min<Micros>(2 * kSecond << std::min(attempt - 1, 30), 3600 * kSecond);
    Micros d = backoff_delay(attempt);
    EXPECT_GE(d, expected - expected / 10) << attempt;
    EXPECT_LE(d, expected + expected / 10) << attempt;
  }
}

}  // namespace
}  // namespace cs::store
