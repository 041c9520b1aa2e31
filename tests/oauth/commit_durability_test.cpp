// Relaxed commits for refresh rotations (oauth/detail/commit_durability.hpp) on both backends:
// relaxed inside, durable again afterwards on the same pooled connection, and never inside
// someone else's transaction.
#include <gtest/gtest.h>

#include <string>

#include "oauth/detail/commit_durability.hpp"
#include "support/test_database.hpp"

namespace cs::oauth::detail {
namespace {

class CommitDurabilityTest : public cs::testing::BothBackends {
 protected:
  // "durable" or "relaxed", as the backend reports the connection's current setting.
  std::string durability(store::Connection& conn) {
    bool sqlite = conn.backend() == store::Backend::sqlite;
    auto row = conn.query_one(sqlite ? "PRAGMA synchronous" : "SHOW synchronous_commit").value();
    EXPECT_TRUE(row);
    if (sqlite) {
      auto level = row->int64(0);
      return level == 2   ? "durable"
             : level == 1 ? "relaxed"
                          : "unexpected " + std::to_string(level);
    }
    const auto& setting = row->text(0);
    return setting == "on" ? "durable" : setting == "off" ? "relaxed" : "unexpected " + setting;
  }
};

TEST_P(CommitDurabilityTest, RelaxesOnlyTheTransactionAndRestoresTheConnection) {
  auto conn = lease();
  ASSERT_EQ(durability(*conn), "durable");
  std::string inside;
  auto committed = in_relaxed_transaction(*conn, [&](store::Connection& c) -> Status {
    inside = durability(c);
    CS_TRY(c.exec("CREATE TABLE relaxed_probe (x BIGINT)"));
    return {};
  });
  ASSERT_TRUE(committed) << committed.error().detail();
  EXPECT_EQ(inside, "relaxed");
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(durability(*conn), "durable");
  // The write committed.
  EXPECT_EQ(conn->query_one("SELECT COUNT(*) FROM relaxed_probe").value()->int64(0), 0);
}

TEST_P(CommitDurabilityTest, ARolledBackAttemptAlsoRestoresTheConnection) {
  auto conn = lease();
  auto failed = in_relaxed_transaction(
      *conn, [&](store::Connection&) -> Status { return fail(Errc::conflict, "no"); });
  ASSERT_FALSE(failed);
  EXPECT_EQ(durability(*conn), "durable");
}

TEST_P(CommitDurabilityTest, NeverRelaxesAnOuterTransaction) {
  auto conn = lease();
  std::string inside;
  auto outer = store::in_transaction(*conn, [&](store::Connection& c) -> Status {
    return in_relaxed_transaction(c, [&](store::Connection& c2) -> Status {
      inside = durability(c2);
      return {};
    });
  });
  ASSERT_TRUE(outer) << outer.error().detail();
  EXPECT_EQ(inside, "durable");
  EXPECT_EQ(durability(*conn), "durable");
}

CS_INSTANTIATE_BOTH_BACKENDS(CommitDurabilityTest);

}  // namespace
}  // namespace cs::oauth::detail
