#include "core/ids.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

namespace cs {
namespace {

TEST(Ids, PrefixedUniqueAndValid) {
  ASSERT_GE(sodium_init(), 0);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_id("acc");
    EXPECT_EQ(id.size(), 26u);
    EXPECT_EQ(id.rfind("acc_", 0), 0u);
    EXPECT_TRUE(is_valid_id(id, "acc"));
    EXPECT_FALSE(is_valid_id(id, "usr"));
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(Ids, RejectsMalformed) {
  EXPECT_FALSE(is_valid_id("acc_", "acc"));
  EXPECT_FALSE(is_valid_id("acc_../../etc/passwd0000000", "acc"));
  EXPECT_FALSE(is_valid_id("acc-0123456789012345678901", "acc"));
  EXPECT_TRUE(is_valid_id("acc_0123456789012345678901", "acc"));
}

}  // namespace
}  // namespace cs
