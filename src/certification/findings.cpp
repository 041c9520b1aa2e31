#include "certification/findings.hpp"

#include <array>

#include "certification/notifications.hpp"
#include "certification/request_edges.hpp"
#include "core/ids.hpp"
#include "core/utf8.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

constexpr std::array<std::string_view, 3> kPhases = {"dry_run", "review", "final_review"};
constexpr std::array<std::string_view, 2> kSources = {"reviewer", "automated"};
constexpr std::array<std::string_view, 4> kSeverities = {"critical", "high", "medium", "low"};
constexpr std::size_t kMaxDescription = 4000;
constexpr std::size_t kMaxEvidence = 16000;
constexpr std::size_t kMaxRequirementId = 64;

constexpr std::string_view kColumns =
    "id, request_id, requirement_id, phase, source, severity, status, description, evidence, filed_by, filed_at, "
    "response, responded_by, responded_at, closed_by, closed_at, closing_note";

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& values, std::string_view v) {
  for (auto x : values) {
    if (x == v) return true;
  }
  return false;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

Finding from_row(const store::Row& r) {
  Finding f;
  f.id = r.text(0);
  f.request_id = r.text(1);
  f.requirement_id = r.text(2);
  f.phase = r.text(3);
  f.source = r.text(4);
  f.severity = r.text(5);
  f.status = r.text(6);
  f.description = r.text(7);
  f.evidence = r.text(8);
  f.filed_by = r.text(9);
  f.filed_at = r.int64(10);
  f.response = r.opt_text(11);
  f.responded_by = r.opt_text(12);
  f.responded_at = r.opt_int64(13);
  f.closed_by = r.opt_text(14);
  f.closed_at = r.opt_int64(15);
  f.closing_note = r.opt_text(16);
  return f;
}

tl::unexpected<Error> bad(std::string field, std::string message) {
  return fail(Error(Errc::validation_failed, std::move(message)).with_field(std::move(field)));
}

bool closed_request(State s) { return is_final(s) || s == State::certified; }

nlohmann::json finding_facts(const Finding& f) {
  return {{"finding_id", f.id}, {"requirement_id", f.requirement_id}, {"severity", f.severity}, {"phase", f.phase}};
}

}  // namespace

Status validate_new_finding(const NewFinding& f) {
  if (blank(f.requirement_id) || f.requirement_id.size() > kMaxRequirementId) {
    return bad("requirement_id", "Name the catalogue requirement the finding is about (e.g. SEC-2)");
  }
  if (!one_of(kPhases, f.phase)) return bad("phase", "phase must be dry_run, review or final_review");
  if (!one_of(kSources, f.source)) return bad("source", "source must be reviewer or automated");
  if (!one_of(kSeverities, f.severity)) return bad("severity", "severity must be critical, high, medium or low");
  if (blank(f.description) || f.description.size() > kMaxDescription) {
    return bad("description", "Describe the finding (at most 4,000 characters)");
  }
  if (f.evidence.size() > kMaxEvidence) return bad("evidence", "The evidence is limited to 16,000 characters");
  return {};
}

Result<Finding> load_finding(store::Connection& conn, std::string_view request_id, std::string_view finding_id) {
  if (!is_valid_id(finding_id, "fnd")) return fail(Errc::not_found, "Finding not found");
  auto row = CS_TRY(conn.query_one("SELECT " + std::string(kColumns) + " FROM cert_findings WHERE id = $1 AND request_id = $2",
                                   store::params(finding_id, request_id)));
  if (!row) return fail(Errc::not_found, "Finding not found");
  return from_row(*row);
}

Result<std::vector<Finding>> list_findings(store::Connection& conn, std::string_view request_id) {
  auto rows = CS_TRY(conn.query("SELECT " + std::string(kColumns) +
                                    " FROM cert_findings WHERE request_id = $1 ORDER BY filed_at, id",
                                store::params(request_id)));
  std::vector<Finding> out;
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

Result<int> count_findings_awaiting_response(store::Connection& conn, std::string_view request_id) {
  auto row = CS_TRY(conn.query_one("SELECT COUNT(*) FROM cert_findings WHERE request_id = $1 AND status = 'open'",
                                   store::params(request_id)));
  return static_cast<int>(row ? row->int64(0) : 0);
}

Result<int> count_unclosed_findings(store::Connection& conn, std::string_view request_id) {
  auto row = CS_TRY(conn.query_one("SELECT COUNT(*) FROM cert_findings WHERE request_id = $1 AND status <> 'closed'",
                                   store::params(request_id)));
  return static_cast<int>(row ? row->int64(0) : 0);
}

Result<Finding> file_finding(store::Connection& conn, audit::AuditLog& audit, std::string_view request_id,
                             const NewFinding& in, const identity::Actor& actor, Micros now) {
  CS_CHECK(validate_new_finding(in));
  if (!is_valid_utf8(in.description) || !is_valid_utf8(in.evidence) || !is_valid_utf8(in.requirement_id)) {
    return fail(Errc::invalid_utf8, "The finding is not valid UTF-8");
  }
  auto request = CS_TRY(load_request(conn, request_id, true));
  if (closed_request(request.state)) {
    return fail(Errc::invalid_transition,
                "A request in state " + std::string(to_string(request.state)) + " takes no more findings");
  }
  Finding f;
  f.id = new_id("fnd");
  f.request_id = request.id;
  f.requirement_id = in.requirement_id;
  f.phase = in.phase;
  f.source = in.source;
  f.severity = in.severity;
  f.status = "open";
  f.description = in.description;
  f.evidence = in.evidence;
  f.filed_by = actor.id;
  f.filed_at = now;
  CS_TRY(conn.exec("INSERT INTO cert_findings (id, request_id, requirement_id, phase, source, severity, status, "
                   "description, evidence, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10)",
                   store::params(f.id, f.request_id, f.requirement_id, f.phase, f.source, f.severity, f.description,
                                 f.evidence, f.filed_by, now)));
  CS_CHECK(append_history(conn,
                          HistoryEntry{.request_id = request.id,
                                       .actor = actor,
                                       .action = "finding_filed",
                                       .from_state = std::nullopt,
                                       .to_state = std::nullopt,
                                       .reason = {},
                                       .detail_json = finding_facts(f).dump()},
                          now));
  CS_CHECK(audit_request(conn, audit, request, actor, "certification.finding.filed", finding_facts(f)));
  CS_CHECK(notify(conn, request, Notice::finding_filed, finding_facts(f), now));
  if (f.phase != "dry_run") {
    if (request.state == State::in_review) {
      CS_TRY(apply_edge(conn, audit, request, Action::request_changes, actor, {}, now, nullptr, finding_facts(f)));
    } else if (request.state == State::final_review) {
      CS_TRY(apply_edge(conn, audit, request, Action::decline, actor, f.description, now, nullptr, finding_facts(f)));
    }
  }
  return f;
}

Result<Finding> respond_to_finding(store::Connection& conn, audit::AuditLog& audit, std::string_view request_id,
                                   std::string_view finding_id, std::string_view response, const identity::Actor& actor,
                                   Micros now) {
  if (blank(response) || response.size() > kMaxEvidence) {
    return bad("response", "Write a response (at most 16,000 characters)");
  }
  if (!is_valid_utf8(response)) return fail(Errc::invalid_utf8, "The response is not valid UTF-8");
  auto request = CS_TRY(load_request(conn, request_id, true));
  auto f = CS_TRY(load_finding(conn, request.id, finding_id));
  if (request.state != State::changes_requested && request.state != State::draft) {
    return fail(Errc::invalid_transition, "Findings are answered while changes are requested (the request is " +
                                              std::string(to_string(request.state)) + ")");
  }
  if (f.status == "closed") return fail(Errc::invalid_transition, "The finding is already closed");
  CS_TRY(conn.exec("UPDATE cert_findings SET status = 'responded', response = $2, responded_by = $3, responded_at = $4 "
                   "WHERE id = $1",
                   store::params(f.id, response, actor.id, now)));
  f.status = "responded";
  f.response = std::string(response);
  f.responded_by = actor.id;
  f.responded_at = now;
  CS_CHECK(append_history(conn,
                          HistoryEntry{.request_id = request.id,
                                       .actor = actor,
                                       .action = "finding_responded",
                                       .from_state = std::nullopt,
                                       .to_state = std::nullopt,
                                       .reason = {},
                                       .detail_json = finding_facts(f).dump()},
                          now));
  CS_CHECK(audit_request(conn, audit, request, actor, "certification.finding.responded", finding_facts(f)));
  return f;
}

Result<Finding> close_finding(store::Connection& conn, audit::AuditLog& audit, std::string_view request_id,
                              std::string_view finding_id, std::string_view note, const identity::Actor& actor,
                              Micros now) {
  if (note.size() > kMaxDescription) return bad("note", "The closing note is limited to 4,000 characters");
  if (!is_valid_utf8(note)) return fail(Errc::invalid_utf8, "The note is not valid UTF-8");
  auto request = CS_TRY(load_request(conn, request_id, true));
  auto f = CS_TRY(load_finding(conn, request.id, finding_id));
  if (closed_request(request.state)) {
    return fail(Errc::invalid_transition,
                "A request in state " + std::string(to_string(request.state)) + " takes no more decisions");
  }
  if (f.status == "closed") return fail(Errc::invalid_transition, "The finding is already closed");
  std::optional<std::string> stored_note = note.empty() ? std::nullopt : std::optional<std::string>(std::string(note));
  CS_TRY(conn.exec("UPDATE cert_findings SET status = 'closed', closed_by = $2, closed_at = $3, closing_note = $4 "
                   "WHERE id = $1",
                   store::params(f.id, actor.id, now, stored_note)));
  f.status = "closed";
  f.closed_by = actor.id;
  f.closed_at = now;
  f.closing_note = stored_note;
  CS_CHECK(append_history(conn,
                          HistoryEntry{.request_id = request.id,
                                       .actor = actor,
                                       .action = "finding_closed",
                                       .from_state = std::nullopt,
                                       .to_state = std::nullopt,
                                       .reason = std::string(note),
                                       .detail_json = finding_facts(f).dump()},
                          now));
  CS_CHECK(audit_request(conn, audit, request, actor, "certification.finding.closed", finding_facts(f)));
  return f;
}

}  // namespace cs::certification
