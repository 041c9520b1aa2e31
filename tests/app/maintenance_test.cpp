#include "app/maintenance.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace cs::app {
namespace {

TEST(Maintenance, RunOnceRunsEveryTaskEvenAfterAFailure) {
  int first = 0, third = 0;
  Maintenance m({{"ok", [&]() -> Result<std::int64_t> { return ++first; }},
                 {"broken", []() -> Result<std::int64_t> { return fail(Errc::internal, "x", "db down"); }},
                 {"ok2", [&]() -> Result<std::int64_t> { return ++third; }}},
                std::chrono::hours(1));
  EXPECT_EQ(m.run_once(), 1);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(third, 1);
}

TEST(Maintenance, RunsPeriodicallyUntilStopped) {
  std::atomic<int> runs{0};
  Maintenance m({{"count", [&]() -> Result<std::int64_t> { return ++runs; }}}, std::chrono::milliseconds(5));
  m.start();
  for (int i = 0; i < 2000 && runs.load() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  m.stop();
  int after_stop = runs.load();
  EXPECT_GE(after_stop, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(runs.load(), after_stop) << "nothing runs after stop()";
}

}  // namespace
}  // namespace cs::app
