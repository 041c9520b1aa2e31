#include "certification/request.hpp"

#include <string>

#include "core/ids.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

constexpr std::string_view kColumns =
    "id, app_id, app_version_id, partner_org_id, kind, state, catalogue_version, call_log_date, "
    "planned_certification_date, review_clock_started_at, review_due_at, final_clock_started_at, final_due_at, "
    "clock_alerted_at, remedy_rounds, certification_envelope_id, decision_reason, encryption_confirmed_by, "
    "encryption_confirmed_at, created_by, created_at, updated_at, submitted_at, approved_at, certified_at, "
    "launched_at, closed_at";

std::optional<LocalDate> opt_date(const store::Row& r, std::size_t i) {
  auto text = r.opt_text(i);
  if (!text) return std::nullopt;
  auto d = parse_local_date(*text);
  return d ? std::optional<LocalDate>(*d) : std::nullopt;
}

Result<Request> from_row(const store::Row& r) {
  Request q;
  q.id = r.text(0);
  q.app_id = r.text(1);
  q.app_version_id = r.text(2);
  q.partner_org_id = r.text(3);
  auto kind = parse_kind(r.text(4));
  auto state = parse_state(r.text(5));
  if (!kind || !state) return fail(Errc::internal, "Unreadable certification request", "bad kind/state in " + q.id);
  q.kind = *kind;
  q.state = *state;
  q.catalogue_version = r.text(6);
  q.call_log_date = opt_date(r, 7);
  q.planned_certification_date = opt_date(r, 8);
  q.review_clock_started_at = r.opt_int64(9);
  q.review_due_at = r.opt_int64(10);
  q.final_clock_started_at = r.opt_int64(11);
  q.final_due_at = r.opt_int64(12);
  q.clock_alerted_at = r.opt_int64(13);
  q.remedy_rounds = static_cast<int>(r.int64(14));
  q.certification_envelope_id = r.opt_text(15);
  q.decision_reason = r.opt_text(16);
  q.encryption_confirmed_by = r.opt_text(17);
  q.encryption_confirmed_at = r.opt_int64(18);
  q.created_by = r.text(19);
  q.created_at = r.int64(20);
  q.updated_at = r.int64(21);
  q.submitted_at = r.opt_int64(22);
  q.approved_at = r.opt_int64(23);
  q.certified_at = r.opt_int64(24);
  q.launched_at = r.opt_int64(25);
  q.closed_at = r.opt_int64(26);
  return q;
}

}  // namespace

std::string_view to_string(Kind k) { return k == Kind::initial ? "initial" : "recertification"; }

std::optional<Kind> parse_kind(std::string_view text) {
  if (text == "initial") return Kind::initial;
  if (text == "recertification") return Kind::recertification;
  return std::nullopt;
}

Result<Request> load_request(store::Connection& conn, std::string_view request_id, bool lock) {
  if (!is_valid_id(request_id, "crq")) return fail(Errc::not_found, "Certification request not found");
  std::string sql = "SELECT " + std::string(kColumns) + " FROM cert_requests WHERE id = $1";
  if (lock && conn.backend() == store::Backend::postgres) sql += " FOR UPDATE";
  auto row = CS_TRY(conn.query_one(sql, store::params(request_id)));
  if (!row) return fail(Errc::not_found, "Certification request not found");
  return from_row(*row);
}

Result<std::optional<Request>> find_request_by_envelope(store::Connection& conn, std::string_view envelope_id) {
  auto row = CS_TRY(conn.query_one(
      "SELECT " + std::string(kColumns) + " FROM cert_requests WHERE certification_envelope_id = $1",
      store::params(envelope_id)));
  if (!row) return std::optional<Request>{};
  return std::optional<Request>(CS_TRY(from_row(*row)));
}

Status append_history(store::Connection& conn, const HistoryEntry& e, Micros at) {
  std::optional<std::string> from = e.from_state ? std::optional<std::string>(std::string(to_string(*e.from_state)))
                                                 : std::nullopt;
  std::optional<std::string> to = e.to_state ? std::optional<std::string>(std::string(to_string(*e.to_state)))
                                             : std::nullopt;
  std::optional<std::string> reason = e.reason.empty() ? std::nullopt : std::optional<std::string>(e.reason);
  CS_TRY(conn.exec("INSERT INTO cert_request_history (id, request_id, at, actor_type, actor_id, action, from_state, "
                   "to_state, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                   store::params(new_id("crh"), e.request_id, at, e.actor.type, e.actor.id, e.action, from, to,
                                 reason, e.detail_json.empty() ? std::string("{}") : e.detail_json)));
  return {};
}

}  // namespace cs::certification
