#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace cs {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(Utf8, RejectsEveryMalformedForm) {
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xFF"));              // never valid
}

}  // namespace
}  // namespace cs

namespace cs {
namespace {

TEST(StorableUtf8, ReplacesInvalidBytesAndNul) {
  EXPECT_EQ(to_storable_utf8("ok"), "ok");
  EXPECT_EQ(to_storable_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(to_storable_utf8(std::string_view("a\0b", 3)), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(to_storable_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(is_valid_utf8(to_storable_utf8("\xC0\xAF\xF4\x90\x80\x80 x")));
}

TEST(StorableUtf8, TruncatesOnACodePointBoundary) {
  // "é" is two bytes: a cut at 2 must not split it.
  EXPECT_EQ(to_storable_utf8("a\xC3\xA9", 2), "a");
  EXPECT_EQ(to_storable_utf8("a\xC3\xA9", 3), "a\xC3\xA9");
  EXPECT_EQ(to_storable_utf8("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 7), "\xF0\x9F\x98\x80");
  EXPECT_EQ(to_storable_utf8("abc", 0), "");
}

}  // namespace
}  // namespace cs
