// append_calls, the batch writer (issue 5 §1): one COPY into the partitioned api_calls on
// PostgreSQL, write_calls on SQLite. Every call arrives once, in its day's partition, with every
// field as recorded, including user agents full of the bytes COPY's text format escapes.
#include <algorithm>
#include <map>
#include <tuple>

#include "calllog/call_query.hpp"
#include "calllog/call_writer.hpp"
#include "calllog/retention.hpp"
#include "calllog_fixture.hpp"

namespace cs::testing {
namespace {

const Micros kDay = calllog::kMicrosPerDay;

std::vector<calllog::CallRecord> read_all(store::Database& db, const std::string& where = "1 = 1") {
  auto lease = db.connect();
  auto rows = (*lease)->query("SELECT " + std::string(calllog::kCallColumns) +
                              " FROM api_calls WHERE " + where + " ORDER BY at, id");
  EXPECT_TRUE(rows) << rows.error().detail();
  std::vector<calllog::CallRecord> out;
  if (rows) {
    for (const auto& r : *rows) out.push_back(calllog::call_from_row(r));
  }
  return out;
}

void expect_same(const calllog::CallRecord& got, const calllog::CallRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.at, want.at);
  EXPECT_EQ(got.request_id, want.request_id);
  EXPECT_EQ(got.app_id, want.app_id);
  EXPECT_EQ(got.app_version_id, want.app_version_id);
  EXPECT_EQ(got.partner_org_id, want.partner_org_id);
  EXPECT_EQ(got.account_id, want.account_id);
  EXPECT_EQ(got.user_id, want.user_id);
  EXPECT_EQ(got.auth, want.auth);
  EXPECT_EQ(got.method, want.method);
  EXPECT_EQ(got.route, want.route);
  EXPECT_EQ(got.resource_id, want.resource_id);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.error_code, want.error_code);
  EXPECT_EQ(got.latency_us, want.latency_us);
  EXPECT_EQ(got.bytes_in, want.bytes_in);
  EXPECT_EQ(got.bytes_out, want.bytes_out);
  EXPECT_EQ(got.client_ip, want.client_ip);
  EXPECT_EQ(got.user_agent, want.user_agent);
  EXPECT_EQ(got.polling_violation, want.polling_violation);
}

// User agents are whatever clients send: the COPY text format must carry them unchanged.
std::vector<std::string> awkward_agents() {
  std::string huge = "LongAgent/1.0 ";
  while (huge.size() < 300'000) huge += "(compatible; \\x; tab\there; Zoë 東京) ";
  return {"tab\tseparated\tagent",
          "multi\nline\r\nagent",
          "back\\slash \\N \\. \\t",
          "\\N",
          "Mozilla/5.0 (Macintosh; Ærøskøbing) 🖋️",
          "\"quoted\", 'single'; comma,separated",
          std::move(huge)};
}

class CallWriterTest : public BothBackends {};

TEST_P(CallWriterTest, EveryCallArrivesOnceWithEveryFieldInItsDaysPartition) {
  ASSERT_TRUE(calllog::ensure_partitions(db(), kMarch2, 2));
  std::vector<calllog::CallRecord> calls;
  auto agents = awkward_agents();
  for (int i = 0; i < 600; ++i) {
    // Three days with partitions, and every 50th call 100 days back (no partition: the default).
    Micros at =
        i % 50 == 0 ? kMarch2 - 100 * kDay + i : kMarch2 + (i % 3) * kDay + i * kMinute / 60;
    auto c =
        make_call(at, i % 7 == 0 ? 429 : 200, i % 2 ? "/v1/envelopes/{id}" : "/v1/accounts/{id}");
    c.user_agent = agents[static_cast<std::size_t>(i) % agents.size()];
    c.auth = i % 11 == 0;
    c.polling_violation = i % 13 == 0;
    c.bytes_in = i;
    c.latency_us = 1'000'000 + i;
    if (i % 5 == 0) c.user_id.clear();  // optional fields go as NULL
    if (i % 9 == 0) c.app_version_id.clear();
    calls.push_back(std::move(c));
  }
  auto lease = db().connect();
  ASSERT_TRUE(lease);
  auto s = calllog::append_calls(**lease, calls);
  ASSERT_TRUE(s) << s.error().detail();
  EXPECT_FALSE((*lease)->in_transaction());

  std::sort(calls.begin(), calls.end(), [](const auto& a, const auto& b) {
    return std::tie(a.at, a.id) < std::tie(b.at, b.id);
  });
  auto got = read_all(db());
  ASSERT_EQ(got.size(), calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same(got[i], calls[i]);
  }
  EXPECT_EQ(count_calls(db(), "user_id IS NULL"), 120);
  EXPECT_EQ(count_calls(db(), "app_version_id IS NULL"), 67);

  if (backend() == store::Backend::postgres) {
    auto rows =
        (*lease)->query("SELECT tableoid::regclass::text, count(*) FROM api_calls GROUP BY 1");
    ASSERT_TRUE(rows) << rows.error().detail();
    std::map<std::string, std::int64_t> per_partition;
    for (const auto& r : *rows) per_partition[r.text(0)] = r.int64(1);
    EXPECT_EQ(per_partition, (std::map<std::string, std::int64_t>{{"api_calls_default", 12},
                                                                  {"api_calls_p20260302", 196},
                                                                  {"api_calls_p20260303", 196},
                                                                  {"api_calls_p20260304", 196}}));
  }
}

TEST_P(CallWriterTest, StoresExactlyWhatWriteCallsStores) {
  std::vector<calllog::CallRecord> by_insert, by_copy;
  auto agents = awkward_agents();
  for (std::size_t i = 0; i < agents.size(); ++i) {
    auto c = make_call(kMarch2 + static_cast<Micros>(i) * kMinute, 200, "/v1/envelopes/{id}",
                       "app_insert");
    c.user_agent = agents[i];
    c.error_code = i % 2 ? "" : "some_code";
    by_insert.push_back(c);
    c.id += "c";
    c.app_id = "app_copy";
    by_copy.push_back(std::move(c));
  }
  auto lease = db().connect();
  ASSERT_TRUE(calllog::write_calls(**lease, by_insert));
  ASSERT_TRUE(calllog::append_calls(**lease, by_copy));
  auto inserted = read_all(db(), "app_id = 'app_insert'");
  auto copied = read_all(db(), "app_id = 'app_copy'");
  ASSERT_EQ(inserted.size(), agents.size());
  ASSERT_EQ(copied.size(), agents.size());
  for (std::size_t i = 0; i < agents.size(); ++i) {
    SCOPED_TRACE(i);
    copied[i].id.pop_back();
    copied[i].app_id = "app_insert";
    expect_same(copied[i], inserted[i]);
  }
  EXPECT_EQ(count_calls(db(), "error_code IS NULL"),
            2 * static_cast<std::int64_t>(agents.size() / 2));
}

TEST_P(CallWriterTest, AnEmptyBatchWritesNothing) {
  auto lease = db().connect();
  ASSERT_TRUE(calllog::append_calls(**lease, {}));
  EXPECT_EQ(count_calls(db()), 0);
}

CS_INSTANTIATE_BOTH_BACKENDS(CallWriterTest);

// PostgreSQL refuses a value the database cannot hold (here bytes that are not UTF-8): the whole
// COPY fails, not one row of it, and the pooled connection is fine for the next batch.
TEST(CallWriterPostgresTest, ARefusedBatchWritesNoneOfItsCalls) {
  auto t = make_test_database(store::Backend::postgres);
  std::vector<calllog::CallRecord> calls;
  for (int i = 0; i < 100; ++i) calls.push_back(make_call(kMarch2 + i));
  calls[57].user_agent = "broken \xff\xfe agent";
  auto lease = t.db->connect();
  ASSERT_TRUE(lease);
  auto s = calllog::append_calls(**lease, calls);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().errc(), Errc::internal);
  EXPECT_EQ(s.error().message().find("api_calls"),
            std::string::npos);  // SQL and driver text stay in detail
  EXPECT_EQ(count_calls(*t.db), 0);

  calls[57].user_agent = "fixed/1.0";
  auto again = calllog::append_calls(**lease, calls);
  ASSERT_TRUE(again) << again.error().detail();
  EXPECT_EQ(count_calls(*t.db), 100);
  EXPECT_EQ(count_calls(*t.db, "user_agent = 'fixed/1.0'"), 1);
}

}  // namespace
}  // namespace cs::testing
