// Shared bits of the audit tests.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "audit/audit_log.hpp"
#include "support/test_database.hpp"

namespace cs::audit::test_support {

inline AuditEvent event(std::string action, std::string target_id = "acc_1") {
  AuditEvent e;
  e.actor_type = std::string(actor::kUser);
  e.actor_id = "usr_1";
  e.action = std::move(action);
  e.target_type = "account";
  e.target_id = std::move(target_id);
  e.account_id = "acc_1";
  e.ip = "203.0.113.7";
  e.request_id = "req_1";
  e.details = {{"n", 1}};
  return e;
}

inline std::int64_t count_rows(store::Connection& conn) {
  auto row = conn.query_one("SELECT COUNT(*) FROM audit_log");
  EXPECT_TRUE(row && *row);
  return row && *row ? (*row)->int64(0) : -1;
}

class AuditLogTest : public cs::testing::BothBackends {
 protected:
  // Appends `n` events, each in its own transaction; returns their seqs in order.
  std::vector<std::int64_t> append_n(store::Connection& conn, int n) {
    std::vector<std::int64_t> seqs;
    for (int i = 0; i < n; ++i) {
      clock_.advance(kMicrosPerSecond);
      auto id = log_.append(conn, event("test.event." + std::to_string(i)));
      EXPECT_TRUE(id) << id.error().detail();
      store::Value v = *id;
      auto row = conn.query_one("SELECT seq FROM audit_log WHERE id = $1", {&v, 1});
      EXPECT_TRUE(row && *row);
      seqs.push_back((*row)->int64(0));
    }
    return seqs;
  }

  ManualClock clock_;
  AuditLog log_{clock_};
};

}  // namespace cs::audit::test_support
