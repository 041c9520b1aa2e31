#include "audit/audit_log.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/ids.hpp"

namespace cs::audit {
namespace {

using store::Value;

// Arbitrary, fixed key of the PostgreSQL advisory lock that serialises appenders ("cs_audit").
constexpr std::int64_t kAppendLockKey = 0x63735f6175646974;
constexpr int kVerifyPageSize = 1000;
constexpr int kMaxListLimit = 1000;

constexpr std::string_view kColumns =
    "seq, id, at, actor_type, actor_id, action, target_type, target_id, account_id, "
    "partner_org_id, "
    "ip, request_id, details, prev_hash, hash";

Value optional_value(const std::optional<std::string>& v) { return v ? Value(*v) : Value(nullptr); }

// A row as stored. A details column that is not JSON (only possible through tampering) is kept
// as a JSON string holding the raw text, which can never hash to the stored value.
AuditEntry entry_from_row(const store::Row& row, bool* details_ok = nullptr) {
  AuditEntry e;
  e.seq = row.int64(0);
  e.fields.id = row.text(1);
  e.fields.at = row.int64(2);
  e.fields.actor_type = row.text(3);
  e.fields.actor_id = row.text(4);
  e.fields.action = row.text(5);
  e.fields.target_type = row.text(6);
  e.fields.target_id = row.text(7);
  e.fields.account_id = row.opt_text(8);
  e.fields.partner_org_id = row.opt_text(9);
  e.fields.ip = row.text(10);
  e.fields.request_id = row.text(11);
  auto details = nlohmann::json::parse(row.text(12), nullptr, /*allow_exceptions=*/false);
  if (details_ok) *details_ok = !details.is_discarded();
  e.fields.details = details.is_discarded() ? nlohmann::json(row.text(12)) : std::move(details);
  e.prev_hash = row.text(13);
  e.hash = row.text(14);
  return e;
}

}  // namespace

Result<std::string> AuditLog::append(store::Connection& conn, const AuditEvent& event) {
  ChainFields f;
  f.id = new_id("aud");
  f.at = clock_.now();
  f.actor_type = sanitize_text(event.actor_type);
  f.actor_id = sanitize_text(event.actor_id);
  f.action = sanitize_text(event.action);
  f.target_type = sanitize_text(event.target_type);
  f.target_id = sanitize_text(event.target_id);
  if (event.account_id) f.account_id = sanitize_text(*event.account_id);
  if (event.partner_org_id) f.partner_org_id = sanitize_text(*event.partner_org_id);
  f.ip = sanitize_text(event.ip);
  f.request_id = sanitize_text(event.request_id);
  // Round-trip through the canonical text so the hash covers exactly what verify() will read.
  const std::string details_text = canonical_dump(event.details);
  f.details = nlohmann::json::parse(details_text);

  return store::in_transaction(conn, [&](store::Connection& c) -> Result<std::string> {
    if (c.backend() == store::Backend::postgres) {
      // Held until this transaction ends: the next appender reads our row as the chain head.
      Value key = kAppendLockKey;
      CS_TRY(c.query("SELECT pg_advisory_xact_lock($1)", {&key, 1}));
    }
    auto last = CS_TRY(c.query_one("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
    const std::string prev_hash = last ? last->text(0) : std::string(kGenesisHash);
    const std::string hash = chain_hash(prev_hash, f);
    const Value params[] = {f.id,
                            f.at,
                            f.actor_type,
                            f.actor_id,
                            f.action,
                            f.target_type,
                            f.target_id,
                            optional_value(f.account_id),
                            optional_value(f.partner_org_id),
                            f.ip,
                            f.request_id,
                            details_text,
                            prev_hash,
                            hash};
    CS_TRY(
        c.exec("INSERT INTO audit_log (id, at, actor_type, actor_id, action, target_type, "
               "target_id, account_id, "
               "partner_org_id, ip, request_id, details, prev_hash, hash) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
               params));
    return f.id;
  });
}

Result<std::string> AuditLog::append(store::Database& db, const AuditEvent& event) {
  auto lease = CS_TRY(db.connect());
  return append(*lease, event);
}

Result<VerifyReport> AuditLog::verify(store::Connection& conn) const {
  VerifyReport report;
  report.head_hash = std::string(kGenesisHash);
  std::optional<std::int64_t> after;
  const std::string sql = fmt::format(
      "SELECT {} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT {}", kColumns, kVerifyPageSize);
  for (;;) {
    Value cursor = after.value_or(std::numeric_limits<std::int64_t>::min());
    auto rows = CS_TRY(conn.query(sql, {&cursor, 1}));
    for (const store::Row& row : rows) {
      bool details_ok = true;
      AuditEntry e = entry_from_row(row, &details_ok);
      ++report.entries_checked;
      auto bad = [&](std::string reason) {
        report.ok = false;
        report.first_bad_seq = e.seq;
        report.reason = std::move(reason);
        return report;
      };
      if (!details_ok || chain_hash(e.prev_hash, e.fields) != e.hash) {
        return bad(
            fmt::format("entry {} ({}) was altered: its stored hash does not match its contents",
                        e.seq, e.fields.id));
      }
      if (e.prev_hash != report.head_hash) {
        if (!report.head_seq) {
          return bad(fmt::format(
              "entry {} is the first entry but does not start the chain: entries before it "
              "were removed",
              e.seq));
        }
        return bad(fmt::format(
            "entry {} does not follow entry {}: its prev_hash is not that entry's hash "
            "(an entry between them was removed, or entries were reordered or rewritten)",
            e.seq, *report.head_seq));
      }
      report.head_seq = e.seq;
      report.head_hash = e.hash;
    }
    if (rows.size() < static_cast<std::size_t>(kVerifyPageSize)) return report;
    after = report.head_seq;
  }
}

Result<std::vector<AuditEntry>> AuditLog::list(store::Connection& conn,
                                               const AuditQuery& query) const {
  std::string sql = fmt::format("SELECT {} FROM audit_log WHERE 1 = 1", kColumns);
  std::vector<Value> params;
  auto filter = [&](std::string_view column, const std::optional<std::string>& value) {
    if (!value) return;
    params.emplace_back(*value);
    sql += fmt::format(" AND {} = ${}", column, params.size());
  };
  filter("action", query.action);
  filter("actor_id", query.actor_id);
  filter("target_type", query.target_type);
  filter("target_id", query.target_id);
  filter("account_id", query.account_id);
  filter("partner_org_id", query.partner_org_id);
  if (query.before_seq) {
    params.emplace_back(*query.before_seq);
    sql += fmt::format(" AND seq < ${}", params.size());
  }
  sql += fmt::format(" ORDER BY seq DESC LIMIT {}", std::clamp(query.limit, 1, kMaxListLimit));
  auto rows = CS_TRY(conn.query(sql, params));
  std::vector<AuditEntry> out;
  out.reserve(rows.size());
  for (const store::Row& row : rows) out.push_back(entry_from_row(row));
  return out;
}

}  // namespace cs::audit
