#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace cs {
namespace {

TEST(Clock, FormatsRfc3339Utc) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1'767'225'600'000'000), "2026-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1'767'225'600'000'001), "2026-01-01T00:00:00.000001Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(Clock, ManualClockAdvances) {
  ManualClock c(100);
  c.advance(50);
  EXPECT_EQ(c.now(), 150);
  c.set(7);
  EXPECT_EQ(c.now(), 7);
}

}  // namespace
}  // namespace cs
