// OffsetFileClock (config `testing.clock_offset_file`): the system clock plus the whole seconds
// in a file, re-read when the file changes. Real files in a fresh temporary directory; the
// offsets are hours, so "system time before <= clock - offset <= system time after" cannot be
// confused with a stale or missing offset.
#include "core/offset_file_clock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace cs {
namespace {

namespace fs = std::filesystem;

class OffsetFileClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "cs-offset-clock-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    file_ = dir_ / "offset";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Written to a temporary name and renamed, the way a test harness replaces the file atomically.
  void write(const std::string& text) {
    const auto tmp = dir_ / "offset.tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
    }
    fs::rename(tmp, file_);
  }
  // Rewritten in place (same inode): the size or the modification time tells the change.
  void overwrite_in_place(const std::string& text) {
    std::ofstream out(file_, std::ios::binary | std::ios::trunc);
    out << text;
  }

  // The clock's reading minus `offset_s`, bracketed by two system-clock readings.
  static void expect_offset(const OffsetFileClock& clock, std::int64_t offset_s) {
    SystemClock system;
    const Micros before = system.now();
    const Micros read = clock.now();
    const Micros after = system.now();
    EXPECT_GE(read - offset_s * kMicrosPerSecond, before) << "offset " << offset_s;
    EXPECT_LE(read - offset_s * kMicrosPerSecond, after) << "offset " << offset_s;
    EXPECT_EQ(clock.offset_seconds(), offset_s);
  }

  fs::path dir_;
  fs::path file_;
};

TEST(ClockOffsetParse, AcceptsWholeSecondsOnly) {
  EXPECT_EQ(parse_clock_offset("0"), 0);
  EXPECT_EQ(parse_clock_offset("172800\n"), 172800);
  EXPECT_EQ(parse_clock_offset("  -3600 "), -3600);
  EXPECT_EQ(parse_clock_offset("+60"), 60);
  EXPECT_EQ(parse_clock_offset(""), std::nullopt);
  EXPECT_EQ(parse_clock_offset("  \n"), std::nullopt);
  EXPECT_EQ(parse_clock_offset("1.5"), std::nullopt);
  EXPECT_EQ(parse_clock_offset("2 days"), std::nullopt);
  EXPECT_EQ(parse_clock_offset("0x10"), std::nullopt);
  EXPECT_EQ(parse_clock_offset("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_clock_offset("20000000000"), std::nullopt);  // beyond any sensible test offset
}

TEST_F(OffsetFileClockTest, MissingFileIsTheSystemClock) {
  OffsetFileClock clock(file_, std::chrono::microseconds(0));
  expect_offset(clock, 0);
}

TEST_F(OffsetFileClockTest, ReadsTheOffsetAndFollowsEveryChange) {
  write("7200\n");
  OffsetFileClock clock(file_, std::chrono::microseconds(0));
  expect_offset(clock, 7200);

  write("-86400");  // replaced by rename: a new inode
  expect_offset(clock, -86400);

  overwrite_in_place("259200");  // same inode, new size
  expect_offset(clock, 259200);

  overwrite_in_place("259201");  // same inode and size: the modification time changes
  // Some filesystems keep coarse mtimes; make the change visible regardless.
  fs::last_write_time(file_, fs::last_write_time(file_) + std::chrono::seconds(1));
  expect_offset(clock, 259201);

  fs::remove(file_);
  expect_offset(clock, 0);
}

TEST_F(OffsetFileClockTest, TextThatIsNotANumberKeepsThePreviousOffset) {
  write("3600");
  OffsetFileClock clock(file_, std::chrono::microseconds(0));
  expect_offset(clock, 3600);
  overwrite_in_place("");  // a writer caught between truncate and write
  expect_offset(clock, 3600);
  write("soon");
  expect_offset(clock, 3600);
  write("5400");
  expect_offset(clock, 5400);
}

TEST_F(OffsetFileClockTest, StatsTheFileAtMostOncePerRecheckInterval) {
  write("600");
  OffsetFileClock clock(file_, std::chrono::hours(1));
  expect_offset(clock, 600);
  write("1200");
  // Within the recheck interval the change is not looked for yet.
  expect_offset(clock, 600);
}

}  // namespace
}  // namespace cs
