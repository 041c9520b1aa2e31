// The audit log resists and reveals tampering: the database refuses UPDATE and DELETE, and when
// someone with direct access removes that guard, verify() names the first bad entry.
#include <thread>

#include <gtest/gtest.h>

#include "audit/audit_log.hpp"
#include "audit_test_util.hpp"

namespace cs::audit {
namespace {

using store::Value;
using test_support::AuditLogTest;
using test_support::count_rows;
using test_support::event;

class AuditTamperTest : public AuditLogTest {
 protected:
  // What a DBA with direct access would do first. (IF EXISTS: the chain must catch tampering on
  // its own; DatabaseRefusesUpdateAndDelete is the test that the guards exist.)
  void drop_guards(store::Connection& conn) {
    auto st = backend() == store::Backend::sqlite
                  ? conn.exec_script(
                        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS "
                        "audit_log_no_delete;")
                  : conn.exec_script("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;");
    ASSERT_TRUE(st) << st.error().detail();
  }

  void exec_ok(store::Connection& conn, std::string_view sql, std::vector<Value> params) {
    auto changed = conn.exec(sql, params);
    ASSERT_TRUE(changed) << changed.error().detail();
    ASSERT_EQ(*changed, 1);
  }

  VerifyReport verify(store::Connection& conn) {
    auto report = log_.verify(conn);
    EXPECT_TRUE(report) << report.error().detail();
    return report ? *report : VerifyReport{};
  }
};

TEST_P(AuditTamperTest, DatabaseRefusesUpdateAndDelete) {
  auto conn = lease();
  auto seqs = append_n(*conn, 2);
  Value seq = seqs[0];
  auto updated = conn->exec("UPDATE audit_log SET details = '{}' WHERE seq = $1", {&seq, 1});
  EXPECT_FALSE(updated);
  auto deleted = conn->exec("DELETE FROM audit_log WHERE seq = $1", {&seq, 1});
  EXPECT_FALSE(deleted);
  auto all_deleted = conn->exec("DELETE FROM audit_log");
  EXPECT_FALSE(all_deleted);
  if (backend() == store::Backend::postgres) {
    EXPECT_FALSE(conn->exec_script("TRUNCATE audit_log"));
  }
  EXPECT_EQ(count_rows(*conn), 2);
  EXPECT_TRUE(verify(*conn).ok);
}

TEST_P(AuditTamperTest, AlteredDetailsAreNamed) {
  auto conn = lease();
  auto seqs = append_n(*conn, 5);
  drop_guards(*conn);
  exec_ok(*conn, "UPDATE audit_log SET details = $1 WHERE seq = $2",
          {std::string(R"({"n":2})"), seqs[2]});
  VerifyReport report = verify(*conn);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seqs[2]);
  EXPECT_EQ(report.entries_checked, 3);
  EXPECT_NE(report.reason.find("altered"), std::string::npos) << report.reason;
}

TEST_P(AuditTamperTest, AlteredFieldOtherThanDetailsIsNamed) {
  auto conn = lease();
  auto seqs = append_n(*conn, 3);
  drop_guards(*conn);
  exec_ok(*conn, "UPDATE audit_log SET actor_id = $1 WHERE seq = $2",
          {std::string("usr_innocent"), seqs[1]});
  VerifyReport report = verify(*conn);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seqs[1]);
}

TEST_P(AuditTamperTest, DetailsThatAreNoLongerJsonAreNamed) {
  auto conn = lease();
  auto seqs = append_n(*conn, 2);
  drop_guards(*conn);
  exec_ok(*conn, "UPDATE audit_log SET details = $1 WHERE seq = $2",
          {std::string("{not json"), seqs[0]});
  VerifyReport report = verify(*conn);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seqs[0]);
}

TEST_P(AuditTamperTest, RewrittenEntryWithRecomputedHashBreaksTheNextLink) {
  // A careful attacker recomputes the altered entry's hash; the next entry still points at the
  // original, so the chain breaks there.
  auto conn = lease();
  auto seqs = append_n(*conn, 3);
  auto entries = log_.list(*conn, {});
  ASSERT_TRUE(entries);
  AuditEntry victim = (*entries)[1];
  ASSERT_EQ(victim.seq, seqs[1]);
  victim.fields.details = {{"n", 999}};
  drop_guards(*conn);
  exec_ok(*conn, "UPDATE audit_log SET details = $1, hash = $2 WHERE seq = $3",
          {canonical_dump(victim.fields.details), chain_hash(victim.prev_hash, victim.fields),
           victim.seq});
  VerifyReport report = verify(*conn);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seqs[2]);
  EXPECT_NE(report.reason.find("removed"), std::string::npos) << report.reason;
}

TEST_P(AuditTamperTest, DeletedMiddleEntryNamesTheNextOne) {
  auto conn = lease();
  auto seqs = append_n(*conn, 5);
  drop_guards(*conn);
  exec_ok(*conn, "DELETE FROM audit_log WHERE seq = $1", {seqs[2]});
  VerifyReport report = verify(*conn);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seqs[3]);
  EXPECT_EQ(report.entries_checked, 3);
  EXPECT_NE(report.reason.find(std::to_string(seqs[1])), std::string::npos) << report.reason;
}

TEST_P(AuditTamperTest, DeletedFirstEntryIsNamed) {
  auto conn = lease();
  auto seqs = append_n(*conn, 3);
  drop_guards(*conn);
  exec_ok(*conn, "DELETE FROM audit_log WHERE seq = $1", {seqs[0]});
  VerifyReport report = verify(*conn);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seqs[1]);
}

TEST_P(AuditTamperTest, ReorderedEntriesAreNamed) {
  // Swap the contents of entries 2 and 3 (everything but seq), as if rows had been reordered.
  auto conn = lease();
  auto seqs = append_n(*conn, 4);
  drop_guards(*conn);
  const std::string swap =
      "UPDATE audit_log SET id = $1, details = $2, action = $3, at = $4, prev_hash = $5, hash = $6 "
      "WHERE seq = $7";
  auto entries = log_.list(*conn, {});
  ASSERT_TRUE(entries);
  const AuditEntry two = (*entries)[2];
  const AuditEntry three = (*entries)[1];
  ASSERT_EQ(two.seq, seqs[1]);
  // Free the unique ids first.
  exec_ok(*conn, "UPDATE audit_log SET id = $1 WHERE seq = $2", {std::string("aud_tmp2"), two.seq});
  exec_ok(*conn, "UPDATE audit_log SET id = $1 WHERE seq = $2",
          {std::string("aud_tmp3"), three.seq});
  exec_ok(*conn, swap,
          {three.fields.id, canonical_dump(three.fields.details), three.fields.action,
           three.fields.at, three.prev_hash, three.hash, two.seq});
  exec_ok(*conn, swap,
          {two.fields.id, canonical_dump(two.fields.details), two.fields.action, two.fields.at,
           two.prev_hash, two.hash, three.seq});
  VerifyReport report = verify(*conn);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, seqs[1]);
}

TEST_P(AuditTamperTest, ConcurrentAppendersKeepOneLinearChain) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  // A second Database (own pool) stands in for a second server process.
  auto other_server = open_another();
  for (int t = 0; t < kThreads; ++t) {
    store::Database& target = t % 2 == 0 ? db() : *other_server;
    threads.emplace_back([&, t] {
      auto lease = target.connect();
      if (!lease) {
        ++failures;
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        auto e = event("test.concurrent", "acc_" + std::to_string(t));
        // Half the appends ride on a caller transaction that also does other work.
        bool own_tx = i % 2 == 0;
        if (own_tx && !(*lease)->begin()) ++failures;
        if (!log_.append(**lease, e)) ++failures;
        if (own_tx && !(*lease)->commit()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  auto conn = lease();
  EXPECT_EQ(count_rows(*conn), kThreads * kPerThread);
  VerifyReport report = verify(*conn);
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.entries_checked, kThreads * kPerThread);
}

CS_INSTANTIATE_BOTH_BACKENDS(AuditTamperTest);

}  // namespace
}  // namespace cs::audit
