// A certification request as stored (migration 0010), and the seams between the parts of the
// certification program: RequestService (requests, transitions, assignments, findings, clocks;
// request_service.{hpp,cpp}) reads evidence through EvidenceSource (artifacts, questionnaire,
// kickoff, dry run and the automated pre-review; evidence_service.{hpp,cpp}), and the final
// review / launch code drives transitions through RequestService::transition.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certification/lifecycle.hpp"
#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "store/database.hpp"

namespace cs::certification {

enum class Kind { initial, recertification };
std::string_view to_string(Kind k);
std::optional<Kind> parse_kind(std::string_view text);

struct Request {
  std::string id;  // crq_...
  std::string app_id;
  std::string app_version_id;
  std::string partner_org_id;
  Kind kind = Kind::initial;
  State state = State::draft;
  std::string catalogue_version;
  std::optional<LocalDate> call_log_date;
  std::optional<LocalDate> planned_certification_date;
  std::optional<Micros> review_clock_started_at;
  std::optional<Micros> review_due_at;
  std::optional<Micros> final_clock_started_at;
  std::optional<Micros> final_due_at;
  std::optional<Micros> clock_alerted_at;
  int remedy_rounds = 0;
  std::optional<std::string> certification_envelope_id;
  std::optional<std::string> decision_reason;
  // The security reviewer's confirmation that the partner stores all tokens and its app secret
  // encrypted (the engineer-approval guard).
  std::optional<std::string> encryption_confirmed_by;
  std::optional<Micros> encryption_confirmed_at;
  std::string created_by;
  Micros created_at = 0;
  Micros updated_at = 0;
  std::optional<Micros> submitted_at;
  std::optional<Micros> approved_at;
  std::optional<Micros> certified_at;
  std::optional<Micros> launched_at;
  std::optional<Micros> closed_at;
};

// Unscoped reads for services and jobs (the callers authorise first). `lock` takes the row
// FOR UPDATE on PostgreSQL (SQLite serialises writers already). Errc::not_found when absent.
Result<Request> load_request(store::Connection& conn, std::string_view request_id, bool lock = false);
// The request whose certificate envelope this is, if any (the final-review listener).
Result<std::optional<Request>> find_request_by_envelope(store::Connection& conn, std::string_view envelope_id);

// One line of a request's timeline (cert_request_history); the evidence code appends its own
// events (artifact uploaded, pre-review finished) through the same function.
struct HistoryEntry {
  std::string request_id;
  identity::Actor actor;
  std::string action;
  std::optional<State> from_state;
  std::optional<State> to_state;
  std::string reason;
  std::string detail_json = "{}";
};
Status append_history(store::Connection& conn, const HistoryEntry& entry, Micros at);

// What the lifecycle guards need from the evidence side. Implemented by EvidenceService; unit
// tests of RequestService may implement it with fixed facts.
class EvidenceSource {
 public:
  virtual ~EvidenceSource() = default;
  // The submission guard's facts for this request (questionnaire, videos, traces, call-log date,
  // instance access, OWASP checklist, token-encryption attestation, dry run).
  virtual Result<SubmissionFacts> submission_facts(store::Connection& conn, const Request& request) = 0;
  // Catalogue ids whose latest automated check neither passed nor was waived with a reason
  // (the engineer-approval guard).
  virtual Result<std::vector<std::string>> unresolved_checks(store::Connection& conn, const Request& request) = 0;
  // Enqueues the automated pre-review as a durable job in the caller's transaction (on submit
  // and on every remedy).
  virtual Status enqueue_pre_review(store::Connection& conn, const Request& request) = 0;
};

}  // namespace cs::certification
