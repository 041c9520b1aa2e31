// The append-only, hash-chained audit log (DESIGN.md "Security baseline"; issue 2 §4).
//
// Security-relevant events (setting changes, grants and revocations, certification decisions,
// failed logins, key rotations) are appended in the SAME transaction as the change they record,
// so an entry exists exactly when the change committed. The table refuses UPDATE and DELETE
// (database triggers, src/store/migrations/0002_audit.sql), and each entry's hash covers the
// previous entry's hash (audit_chain.hpp), so `countersign audit verify` can name the first entry
// that was altered, removed or reordered by someone with direct database access.
//
// Limits, stated plainly: the chain proves the log is internally consistent, not that nobody
// truncated its tail or rewrote it wholesale. Operators who need that record VerifyReport's
// head_hash somewhere else from time to time (a ticket, another system) and compare.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_chain.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::audit {

// Who acted. Values used across services; free text is allowed but keep to these.
namespace actor {
inline constexpr std::string_view kUser = "user";
inline constexpr std::string_view kStaff = "staff";
inline constexpr std::string_view kSystem = "system";
inline constexpr std::string_view kApp = "app";
inline constexpr std::string_view kOperator = "operator";
}  // namespace actor

struct AuditEvent {
  std::string actor_type;   // actor::kUser, ...
  std::string actor_id;     // usr_..., app_..., "cli" for the operator; may be empty for system
  std::string action;       // dotted, past tense: "account.settings.changed", "user.login.failed"
  std::string target_type;  // "account", "app", "user", ...
  std::string target_id;
  std::optional<std::string> account_id;      // tenant scope, when the event belongs to one
  std::optional<std::string> partner_org_id;  // tenant scope, when the event belongs to one
  std::string ip;
  std::string request_id;
  // Event specifics (before/after values, reasons). Never secrets or tokens.
  nlohmann::json details = nlohmann::json::object();
};

struct AuditEntry {
  std::int64_t seq = 0;
  ChainFields fields;  // id, at, the event's fields, details
  std::string prev_hash;
  std::string hash;
};

// Filters for list(); unset members do not filter. Newest first; page with before_seq set to
// the last seq of the previous page.
struct AuditQuery {
  std::optional<std::string> action;
  std::optional<std::string> actor_id;
  std::optional<std::string> target_type;
  std::optional<std::string> target_id;
  std::optional<std::string> account_id;
  std::optional<std::string> partner_org_id;
  std::optional<std::int64_t> before_seq;
  int limit = 100;  // clamped to [1, 1000]
};

struct VerifyReport {
  bool ok = true;
  std::int64_t entries_checked = 0;           // entries examined, including the bad one
  std::optional<std::int64_t> first_bad_seq;  // set when !ok
  std::string reason;                         // set when !ok: what is wrong with that entry
  std::optional<std::int64_t> head_seq;       // last entry checked (the newest when ok)
  std::string head_hash;                      // its hash, or kGenesisHash for an empty log
};

class AuditLog {
 public:
  explicit AuditLog(const Clock& clock) : clock_(clock) {}

  // Appends one entry on the caller's connection and returns its id ("aud_..."). If `conn` is in
  // a transaction the entry commits or rolls back with it; otherwise append runs in its own.
  // Appenders are serialised so the chain stays linear across threads and server processes:
  // a transaction-scoped advisory lock on PostgreSQL; SQLite's IMMEDIATE transactions already
  // admit one writer at a time. Holding that lock until commit is the price of a linear chain:
  // keep audited transactions short.
  Result<std::string> append(store::Connection& conn, const AuditEvent& event);
  // Borrows a connection and appends in a transaction of its own.
  Result<std::string> append(store::Database& db, const AuditEvent& event);

  // Walks the whole chain in seq order and stops at the first bad entry. Errors only for
  // database failures; a broken chain is a report with ok == false.
  Result<VerifyReport> verify(store::Connection& conn) const;

  Result<std::vector<AuditEntry>> list(store::Connection& conn, const AuditQuery& query) const;

 private:
  const Clock& clock_;
};

}  // namespace cs::audit
