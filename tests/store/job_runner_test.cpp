#include "store/job_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "support/test_database.hpp"

namespace cs::store {
namespace {

using namespace std::chrono_literals;

class JobRunnerTest : public cs::testing::BothBackends {
 protected:
  void enqueue_n(int n, const std::string& kind) {
    auto conn = lease();
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(enqueue(*conn, {.kind = kind, .payload = std::to_string(i)}, clock_));
  }
  // Waits (real time, bounded) until `pred` holds; the runner's threads make progress meanwhile.
  template <class P>
  bool eventually(P pred) {
    for (int i = 0; i < 2000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return pred();
  }
  QueueStats queue() { return stats(db()).value(); }

  ManualClock clock_;
  JobRunnerOptions options_{.workers = 2, .poll_interval = 20ms};
};

TEST_P(JobRunnerTest, RunsHandlersByKindAndCompletesJobs) {
  std::mutex mu;
  std::set<std::string> payloads;
  JobRunner runner(db(), clock_, options_);
  runner.register_handler("email", [&](const Job& j) -> Status {
    std::lock_guard lock(mu);
    payloads.insert(j.payload);
    return {};
  });
  runner.start();
  enqueue_n(20, "email");
  runner.notify();
  ASSERT_TRUE(eventually([&] { return queue().done == 20; }));
  runner.stop();
  EXPECT_EQ(payloads.size(), 20u);
  EXPECT_EQ(runner.completed(), 20);
  EXPECT_EQ(runner.failed(), 0);
}

TEST_P(JobRunnerTest, HandlerErrorsExceptionsAndUnknownKindsAreFailedAttempts) {
  JobRunner runner(db(), clock_, options_);
  runner.register_handler(
      "errs", [](const Job&) -> Status { return cs::fail(Errc::unavailable, "down", "smtp 421"); });
  runner.register_handler("throws",
                          [](const Job&) -> Status { throw std::runtime_error("kaboom"); });
  {
    auto conn = lease();
    ASSERT_TRUE(enqueue(*conn, {.kind = "errs", .max_attempts = 1}, clock_));
    ASSERT_TRUE(enqueue(*conn, {.kind = "throws", .max_attempts = 1}, clock_));
    ASSERT_TRUE(enqueue(*conn, {.kind = "nobody.handles.this", .max_attempts = 1}, clock_));
    ASSERT_TRUE(enqueue(*conn, {.kind = "errs", .max_attempts = 5}, clock_));
  }
  runner.start();
  ASSERT_TRUE(eventually([&] { return queue().dead == 3 && queue().queued == 1; }));
  runner.stop();
  auto dead = list_dead(db()).value();
  std::set<std::string> errors;
  for (const auto& j : dead) errors.insert(j.last_error.value_or(""));
  EXPECT_TRUE(errors.count("unavailable: smtp 421"));
  EXPECT_TRUE(errors.count("internal: handler threw: kaboom"));
  EXPECT_TRUE(errors.count("internal: no handler registered for job kind 'nobody.handles.this'"));
  // The job with attempts left waits for its backoff (the ManualClock does not move).
  EXPECT_EQ(runner.failed(), 4);
}

TEST_P(JobRunnerTest, StopFinishesTheJobsInHandThenJoins) {
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  bool release = false;
  JobRunner runner(db(), clock_, options_);
  runner.register_handler("slow", [&](const Job&) -> Status {
    std::unique_lock lock(mu);
    ++started;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return {};
  });
  enqueue_n(5, "slow");
  runner.start();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return started == 2; }));  // both workers busy
  }
  std::thread stopper([&] { runner.stop(); });
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  stopper.join();
  // The two jobs in hand were completed, not abandoned; no new ones were started after stop()
  // except those claimed before the workers saw it.
  auto s = queue();
  EXPECT_EQ(s.running, 0);
  EXPECT_EQ(s.done, runner.completed());
  EXPECT_GE(s.done, 2);
  EXPECT_EQ(s.done + s.queued, 5);
}

TEST_P(JobRunnerTest, NotifyWakesIdleWorkersBeforeThePollInterval) {
  JobRunnerOptions slow_poll = options_;
  slow_poll.poll_interval = std::chrono::hours(1);  // only notify() can wake the workers
  std::atomic<int> runs{0};
  JobRunner runner(db(), clock_, slow_poll);
  runner.register_handler("k", [&](const Job&) -> Status {
    ++runs;
    return {};
  });
  runner.start();
  // Both workers found the queue empty and went to sleep for the (hour-long) poll interval.
  ASSERT_TRUE(eventually([&] { return runner.polls() >= 2; }));
  enqueue_n(1, "k");
  runner.notify();
  EXPECT_TRUE(eventually([&] { return runs.load() == 1; }));
  runner.stop();
}

CS_INSTANTIATE_BOTH_BACKENDS(JobRunnerTest);

}  // namespace
}  // namespace cs::store
