// Findings (issue 6 §2 "findings"): a reviewer (or an automated check) files one against a
// catalogue requirement with a severity, a description and evidence; the partner responds; the
// reviewer verifies and closes it. Open findings block the partner's remedy (every one needs a
// response) and closed-ness blocks engineer approval (every one must be closed).
//
// These functions work inside the caller's transaction and write the history line and the audit
// entry with the change. They do not authorise: RequestService does that for the API, and the
// evidence code files automated findings as the system.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certification/request.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "identity/actor.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}

namespace cs::certification {

struct NewFinding {
  std::string requirement_id;  // catalogue id, e.g. "SEC-2"
  std::string phase;           // dry_run | review | final_review
  std::string source;          // reviewer | automated
  std::string severity;        // critical | high | medium | low
  std::string description;
  std::string evidence;
};

struct Finding {
  std::string id;  // fnd_...
  std::string request_id;
  std::string requirement_id;
  std::string phase;
  std::string source;
  std::string severity;
  std::string status;  // open | responded | closed
  std::string description;
  std::string evidence;
  std::string filed_by;
  Micros filed_at = 0;
  std::optional<std::string> response;
  std::optional<std::string> responded_by;
  std::optional<Micros> responded_at;
  std::optional<std::string> closed_by;
  std::optional<Micros> closed_at;
  std::optional<std::string> closing_note;
};

// validation_failed naming the field: an unknown phase, source or severity, an empty or
// over-long (4,000 characters) description or requirement id, evidence over 16,000 characters.
Status validate_new_finding(const NewFinding& finding);

// Inserts the finding (history + audit included). A review or final_review finding on a request
// in in_review moves it to changes_requested (final_review: the decline edge). On a request that
// is submitted or remedied (no reviewers engaged yet) the finding waits: the request moves to
// changes_requested as soon as it enters in_review with an open finding. A request that is
// withdrawn, rejected, certified or launched answers invalid_transition. Also enqueues the
// "finding filed" / "changes requested" notices. cert-evidence calls this for a live secret
// found in a trace (source automated, actor Actor::system("pre-review")).
Result<Finding> file_finding(store::Connection& conn, audit::AuditLog& audit, std::string_view request_id,
                             const NewFinding& finding, const identity::Actor& actor, Micros now);

// The partner's answer (open or responded findings, on a draft or changes_requested request).
Result<Finding> respond_to_finding(store::Connection& conn, audit::AuditLog& audit, std::string_view request_id,
                                   std::string_view finding_id, std::string_view response, const identity::Actor& actor,
                                   Micros now);
// The reviewer verified the fix (an open or responded finding). invalid_transition when closed.
Result<Finding> close_finding(store::Connection& conn, audit::AuditLog& audit, std::string_view request_id,
                              std::string_view finding_id, std::string_view note, const identity::Actor& actor,
                              Micros now);

// not_found when the finding does not belong to the request.
Result<Finding> load_finding(store::Connection& conn, std::string_view request_id, std::string_view finding_id);
// Oldest first.
Result<std::vector<Finding>> list_findings(store::Connection& conn, std::string_view request_id);
// Findings in status `open` (no response yet) / not yet `closed`, over every phase.
Result<int> count_findings_awaiting_response(store::Connection& conn, std::string_view request_id);
Result<int> count_unclosed_findings(store::Connection& conn, std::string_view request_id);

}  // namespace cs::certification
