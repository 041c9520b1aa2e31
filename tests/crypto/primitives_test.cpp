#include "crypto/primitives.hpp"

#include <gtest/gtest.h>

namespace cs::crypto {
namespace {

TEST(Primitives, Base64urlRoundTripsWithoutPadding) {
  const std::vector<std::uint8_t> bytes = {0xfb, 0xff, 0xfe, 0x00, 0x01};
  const std::string text = base64url_encode(bytes);
  EXPECT_EQ(text, "-__-AAE");
  EXPECT_EQ(base64url_decode(text), bytes);
}

TEST(Primitives, Base64urlRejectsGarbageAndPadding) {
  EXPECT_FALSE(base64url_decode("ab$d").has_value());
  EXPECT_FALSE(base64url_decode("-__-AAE=").has_value());
  EXPECT_FALSE(base64url_decode("+/+/").has_value());
}

TEST(Primitives, Base64StandardRoundTrips) {
  const std::vector<std::uint8_t> bytes = {0xfb, 0xff, 0xfe, 0x00};
  EXPECT_EQ(base64_encode(bytes), "+//+AA==");
  EXPECT_EQ(base64_decode("+//+AA=="), bytes);
  EXPECT_FALSE(base64_decode("+//+AA").has_value());
}

TEST(Primitives, Sha256MatchesKnownVector) {
  EXPECT_EQ(sha256_hex(std::string_view("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string_view("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Primitives, HexEncodes) {
  const std::vector<std::uint8_t> bytes = {0x00, 0xab, 0x10};
  EXPECT_EQ(hex_encode(bytes), "00ab10");
}

TEST(Primitives, RandomBytesHaveRequestedLengthAndDiffer) {
  auto a = random_bytes(32);
  auto b = random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(Primitives, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

}  // namespace
}  // namespace cs::crypto
