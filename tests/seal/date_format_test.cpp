// Dates in the account's format.
#include <gtest/gtest.h>

#include "seal/date_format.hpp"

namespace cs::seal {
namespace {

TEST(DateFormatTest, EveryAllowedPattern) {
  EXPECT_EQ(format_date("2026-03-07", "YYYY-MM-DD"), "2026-03-07");
  EXPECT_EQ(format_date("2026-03-07", "MM/DD/YYYY"), "03/07/2026");
  EXPECT_EQ(format_date("2026-03-07", "DD/MM/YYYY"), "07/03/2026");
  EXPECT_EQ(format_date("2026-03-07", "DD.MM.YYYY"), "07.03.2026");
  EXPECT_EQ(format_date("2026-03-07", "D MMMM YYYY"), "7 March 2026");
  EXPECT_EQ(format_date("2026-12-25", "MMMM D, YYYY"), "December 25, 2026");
  for (auto p : kDateFormats) EXPECT_TRUE(is_date_format(p)) << p;
  EXPECT_FALSE(is_date_format("YY-M-D"));
}

TEST(DateFormatTest, AnythingElseIsLeftAlone) {
  EXPECT_EQ(format_date("not a date", "MM/DD/YYYY"), "not a date");
  EXPECT_EQ(format_date("2026-13-01", "MM/DD/YYYY"), "2026-13-01");
  EXPECT_EQ(format_date("2026-03-07", "unknown"), "2026-03-07");
}

}  // namespace
}  // namespace cs::seal
