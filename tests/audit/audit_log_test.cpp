#include "audit/audit_log.hpp"

#include <gtest/gtest.h>

#include "audit_test_util.hpp"
#include "core/ids.hpp"

namespace cs::audit {
namespace {

using test_support::AuditLogTest;
using test_support::count_rows;
using test_support::event;

class AuditAppendTest : public AuditLogTest {};

TEST_P(AuditAppendTest, EmptyLogVerifies) {
  auto conn = lease();
  auto report = log_.verify(*conn);
  ASSERT_TRUE(report) << report.error().detail();
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->entries_checked, 0);
  EXPECT_EQ(report->head_hash, kGenesisHash);
  EXPECT_FALSE(report->head_seq.has_value());
}

TEST_P(AuditAppendTest, AppendsAChainThatVerifies) {
  auto conn = lease();
  auto seqs = append_n(*conn, 3);
  auto entries = log_.list(*conn, {});
  ASSERT_TRUE(entries) << entries.error().detail();
  ASSERT_EQ(entries->size(), 3u);
  // Newest first; each links to the one before it; the first starts at the genesis hash.
  const AuditEntry& first = (*entries)[2];
  EXPECT_EQ(first.seq, seqs[0]);
  EXPECT_EQ(first.prev_hash, kGenesisHash);
  EXPECT_EQ((*entries)[1].prev_hash, first.hash);
  EXPECT_EQ((*entries)[0].prev_hash, (*entries)[1].hash);
  EXPECT_EQ(first.hash, chain_hash(kGenesisHash, first.fields));

  auto report = log_.verify(*conn);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->entries_checked, 3);
  EXPECT_EQ(report->head_seq, seqs[2]);
  EXPECT_EQ(report->head_hash, (*entries)[0].hash);
}

TEST_P(AuditAppendTest, StoresEveryFieldOfTheEvent) {
  auto conn = lease();
  AuditEvent e;
  e.actor_type = std::string(actor::kStaff);
  e.actor_id = "usr_staff";
  e.action = "certification.decision.recorded";
  e.target_type = "app";
  e.target_id = "app_1";
  e.partner_org_id = "ptn_1";
  e.ip = "2001:db8::1";
  e.request_id = "req_42";
  e.details = {{"decision", "approved"}, {"score", 9.5}, {"notes", {"a", "b"}}};
  auto id = log_.append(*conn, e);
  ASSERT_TRUE(id);
  EXPECT_TRUE(is_valid_id(*id, "aud"));
  auto entries = log_.list(*conn, {});
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  const ChainFields& f = (*entries)[0].fields;
  EXPECT_EQ(f.id, *id);
  EXPECT_EQ(f.at, clock_.now());
  EXPECT_EQ(f.actor_type, "staff");
  EXPECT_EQ(f.actor_id, "usr_staff");
  EXPECT_EQ(f.action, "certification.decision.recorded");
  EXPECT_EQ(f.target_type, "app");
  EXPECT_EQ(f.target_id, "app_1");
  EXPECT_FALSE(f.account_id.has_value());
  EXPECT_EQ(f.partner_org_id, "ptn_1");
  EXPECT_EQ(f.ip, "2001:db8::1");
  EXPECT_EQ(f.request_id, "req_42");
  EXPECT_EQ(f.details, e.details);
}

TEST_P(AuditAppendTest, AppendInARolledBackTransactionLeavesNothing) {
  auto conn = lease();
  ASSERT_TRUE(conn->begin());
  ASSERT_TRUE(log_.append(*conn, event("account.settings.changed")));
  EXPECT_TRUE(conn->in_transaction());  // append joined the caller's transaction
  ASSERT_TRUE(conn->rollback());
  EXPECT_EQ(count_rows(*conn), 0);

  // The chain carries on cleanly afterwards (PostgreSQL may skip a seq value; that is fine).
  append_n(*conn, 2);
  auto report = log_.verify(*conn);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->entries_checked, 2);
}

TEST_P(AuditAppendTest, AppendCommitsWithTheCallersChange) {
  auto conn = lease();
  auto other = lease();
  ASSERT_TRUE(conn->begin());
  ASSERT_TRUE(log_.append(*conn, event("account.settings.changed")));
  ASSERT_TRUE(conn->commit());
  EXPECT_EQ(count_rows(*other), 1);
}

TEST_P(AuditAppendTest, AppendOutsideATransactionCommitsByItself) {
  auto conn = lease();
  ASSERT_FALSE(conn->in_transaction());
  ASSERT_TRUE(log_.append(*conn, event("user.login.failed")));
  EXPECT_FALSE(conn->in_transaction());
  auto other = lease();
  EXPECT_EQ(count_rows(*other), 1);
  ASSERT_TRUE(log_.append(db(), event("user.login.failed")));
  EXPECT_EQ(count_rows(*other), 2);
}

TEST_P(AuditAppendTest, HostileTextIsStoredSafelyAndStillVerifies) {
  auto conn = lease();
  AuditEvent e = event("user.login.failed");
  e.actor_id = std::string("bad\xFFutf8\0nul", 12);
  e.details = {{"email", std::string("x\xFE@example.com")},
               {"quote", "'); DROP TABLE audit_log; --"}};
  ASSERT_TRUE(log_.append(*conn, e));
  auto report = log_.verify(*conn);
  ASSERT_TRUE(report) << report.error().detail();
  EXPECT_TRUE(report->ok) << report->reason;
  auto entries = log_.list(*conn, {});
  ASSERT_TRUE(entries);
  EXPECT_EQ((*entries)[0].fields.actor_id, "bad\xEF\xBF\xBDutf8\xEF\xBF\xBDnul");
  EXPECT_EQ((*entries)[0].fields.details["quote"], "'); DROP TABLE audit_log; --");
}

TEST_P(AuditAppendTest, ListFiltersAndPages) {
  auto conn = lease();
  ASSERT_TRUE(log_.append(*conn, event("account.settings.changed", "acc_1")));
  ASSERT_TRUE(log_.append(*conn, event("user.login.failed", "usr_9")));
  AuditEvent other_tenant = event("account.settings.changed", "acc_2");
  other_tenant.account_id = "acc_2";
  ASSERT_TRUE(log_.append(*conn, other_tenant));

  AuditQuery by_action;
  by_action.action = "account.settings.changed";
  auto changed = log_.list(*conn, by_action);
  ASSERT_TRUE(changed);
  ASSERT_EQ(changed->size(), 2u);
  EXPECT_EQ((*changed)[0].fields.target_id, "acc_2");

  AuditQuery by_tenant;
  by_tenant.account_id = "acc_2";
  auto tenant = log_.list(*conn, by_tenant);
  ASSERT_TRUE(tenant);
  ASSERT_EQ(tenant->size(), 1u);

  AuditQuery by_target;
  by_target.target_type = "account";
  by_target.target_id = "usr_9";
  auto target = log_.list(*conn, by_target);
  ASSERT_TRUE(target);
  ASSERT_EQ(target->size(), 1u);
  EXPECT_EQ((*target)[0].fields.action, "user.login.failed");

  AuditQuery page;
  page.limit = 2;
  auto first_page = log_.list(*conn, page);
  ASSERT_TRUE(first_page);
  ASSERT_EQ(first_page->size(), 2u);
  page.before_seq = first_page->back().seq;
  auto second_page = log_.list(*conn, page);
  ASSERT_TRUE(second_page);
  ASSERT_EQ(second_page->size(), 1u);
  EXPECT_LT((*second_page)[0].seq, first_page->back().seq);
}

CS_INSTANTIATE_BOTH_BACKENDS(AuditAppendTest);

}  // namespace
}  // namespace cs::audit
