// Call-log retention (issue 5 §1): daily partitions on PostgreSQL (created ahead, dropped whole
// when old), chunked deletes on SQLite; either way only calls older than the cutoff go.
#include "calllog/retention.hpp"
#include "calllog_fixture.hpp"

namespace cs::testing {
namespace {

TEST(PartitionNameTest, NamesTheUtcDay) {
  EXPECT_EQ(calllog::partition_name(kMarch2), "api_calls_p20260302");
  EXPECT_EQ(calllog::partition_name(kMarch2 - 1), "api_calls_p20260301");
  EXPECT_EQ(calllog::partition_name(0), "api_calls_p19700101");
  EXPECT_EQ(calllog::partition_name(1'709'164'800LL * kMicrosPerSecond), "api_calls_p20240229");  // leap day
}

class RetentionTest : public BothBackends {};

TEST_P(RetentionTest, PartitionsAheadAndPurgeKeepsOnlyRecentCalls) {
  const Micros day = calllog::kMicrosPerDay;
  auto created = calllog::ensure_partitions(db(), kMarch2, 3);
  ASSERT_TRUE(created) << created.error().detail();
  if (backend() == store::Backend::postgres) {
    EXPECT_EQ(*created, 5);  // yesterday, today and three days ahead
    EXPECT_EQ(*calllog::ensure_partitions(db(), kMarch2, 3), 0);  // idempotent
  } else {
    EXPECT_EQ(*created, 0);
  }
  std::vector<calllog::CallRecord> calls;
  calls.push_back(make_call(kMarch2 - 100 * day));  // the default partition on PostgreSQL
  calls.push_back(make_call(kMarch2 - day + 5));   // yesterday's partition
  calls.push_back(make_call(kMarch2 + 5));
  calls.push_back(make_call(kMarch2 + 2 * day));
  insert_calls(db(), calls);
  if (backend() == store::Backend::postgres) {
    auto lease = this->lease();
    auto in_today = lease->query_one("SELECT count(*) FROM api_calls_p20260302");
    ASSERT_TRUE(in_today && *in_today);
    EXPECT_EQ((*in_today)->int64(0), 1);
  }
  // Everything before today goes: yesterday's partition is dropped, the old default row deleted.
  auto removed = calllog::purge_calls(db(), kMarch2);
  ASSERT_TRUE(removed) << removed.error().detail();
  EXPECT_GE(*removed, 2);
  EXPECT_EQ(count_calls(db()), 2);
  EXPECT_EQ(count_calls(db(), "at < " + std::to_string(kMarch2)), 0);
  if (backend() == store::Backend::postgres) {
    auto lease = this->lease();
    auto gone = lease->query_one("SELECT 1 FROM pg_class WHERE relname = 'api_calls_p20260301'");
    ASSERT_TRUE(gone);
    EXPECT_FALSE(*gone);
    auto kept = lease->query_one("SELECT 1 FROM pg_class WHERE relname = 'api_calls_p20260302'");
    EXPECT_TRUE(kept && *kept);
  }
}

CS_INSTANTIATE_BOTH_BACKENDS(RetentionTest);

}  // namespace
}  // namespace cs::testing
