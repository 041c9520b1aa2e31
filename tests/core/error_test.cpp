#include "core/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cs {
namespace {

TEST(ErrorTable, EveryCodeHasOneRowWithAStatusAndTitle) {
  std::set<std::string> codes;
  for (int i = 0; i <= static_cast<int>(Errc::unavailable); ++i) {
    const auto& info = error_info(static_cast<Errc>(i));
    EXPECT_EQ(static_cast<int>(info.errc), i);
    EXPECT_GE(info.http_status, 400);
    EXPECT_LT(info.http_status, 600);
    EXPECT_FALSE(info.title.empty());
    EXPECT_TRUE(codes.insert(std::string(info.code)).second) << info.code;
  }
}

TEST(ErrorTable, KnownMappings) {
  EXPECT_EQ(Error(Errc::not_found, "x").http_status(), 404);
  EXPECT_EQ(Error(Errc::headers_too_large, "x").http_status(), 431);
  EXPECT_EQ(Error(Errc::payload_too_large, "x").http_status(), 413);
  EXPECT_EQ(Error(Errc::request_timeout, "x").http_status(), 408);
  EXPECT_EQ(Error(Errc::invalid_state, "x").code(), "invalid_state");
}

Result<int> half(int v) {
  if (v % 2) return fail(Errc::validation_failed, "odd", "value was " + std::to_string(v));
  return v / 2;
}

Result<int> quarter(int v) {
  int h = CS_TRY(half(v));
  return CS_TRY(half(h));
}

TEST(ErrorTry, PropagatesTheFirstErrorWithItsDetail) {
  EXPECT_EQ(quarter(8).value(), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), "validation_failed");
  EXPECT_EQ(r.error().detail(), "value was 3");
  EXPECT_EQ(r.error().message(), "odd");
}

}  // namespace
}  // namespace cs
