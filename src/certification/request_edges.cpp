#include "certification/request_edges.hpp"

#include <cstdlib>

#include "certification/clocks.hpp"
#include "certification/notifications.hpp"
#include "identity/audit_record.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

std::optional<Notice> notice_for(State to) {
  switch (to) {
    case State::submitted: return Notice::submitted;
    case State::changes_requested: return Notice::changes_requested;
    case State::remedied: return Notice::remedied;
    case State::engineer_approved: return Notice::engineer_approved;
    case State::final_review: return Notice::final_review;
    case State::certified: return Notice::certified;
    case State::launched: return Notice::launched;
    case State::rejected: return Notice::rejected;
    case State::withdrawn: return Notice::withdrawn;
    default: return std::nullopt;
  }
}

const BusinessCalendar& need(const BusinessCalendar* calendar) {
  if (!calendar) std::abort();  // a clock-starting action without the team's calendar: a wiring bug
  return *calendar;
}

}  // namespace

Status audit_request(store::Connection& conn, audit::AuditLog& audit, const Request& request,
                     const identity::Actor& actor, std::string action, nlohmann::json details) {
  details["app_id"] = request.app_id;
  details["app_version_id"] = request.app_version_id;
  return identity::record(audit, conn, actor,
                          {.action = std::move(action),
                           .target_type = "certification_request",
                           .target_id = request.id,
                           .partner_org_id = request.partner_org_id,
                           .details = std::move(details)});
}

Result<Request> apply_edge(store::Connection& conn, audit::AuditLog& audit, const Request& before, Action action,
                           const identity::Actor& actor, std::string_view reason, Micros now,
                           const BusinessCalendar* calendar, nlohmann::json detail) {
  auto to = next_state(before.state, action);
  if (!to) {
    return fail(Errc::invalid_transition, "A request in state " + std::string(to_string(before.state)) +
                                              " does not allow " + std::string(to_string(action)));
  }
  Request after = before;
  after.state = *to;
  after.updated_at = now;
  switch (action) {
    case Action::submit:
    case Action::remedy:
      if (action == Action::submit) after.submitted_at = now;
      if (action == Action::remedy) ++after.remedy_rounds;
      // Process rule: the 6-business-day clock starts with the final items and restarts on
      // every remedy.
      after.review_clock_started_at = now;
      after.review_due_at = review_due_at(now, need(calendar));
      after.clock_alerted_at.reset();
      break;
    case Action::approve: after.approved_at = now; break;
    case Action::request_promotion:
      // The promotion form is the last of the final items (it follows the engineer's sign-off):
      // from its filing the platform owes the final decision, so the final approver's clock
      // starts here, not when the certificate envelope happens to go out (clocks.hpp).
      after.final_clock_started_at = now;
      after.final_due_at = final_due_at(now, need(calendar));
      after.clock_alerted_at.reset();
      break;
    case Action::start_final_review:
      // Keeps the clock the promotion form started in this round; a request that reached
      // promotion_requested without one (no form edge in this round) starts it now.
      if (!final_clock_of_this_round(after)) {
        after.final_clock_started_at = now;
        after.final_due_at = final_due_at(now, need(calendar));
        after.clock_alerted_at.reset();
      }
      break;
    case Action::certify: after.certified_at = now; break;
    case Action::launch: after.launched_at = now; break;
    case Action::withdraw:
    case Action::reject:
      after.closed_at = now;
      after.decision_reason = std::string(reason);
      break;
    case Action::decline: after.decision_reason = std::string(reason); break;
    default: break;
  }
  auto changed = CS_TRY(conn.exec(
      "UPDATE cert_requests SET state = $2, updated_at = $3, submitted_at = $4, review_clock_started_at = $5, "
      "review_due_at = $6, clock_alerted_at = $7, remedy_rounds = $8, approved_at = $9, final_clock_started_at = $10, "
      "final_due_at = $11, certified_at = $12, launched_at = $13, closed_at = $14, decision_reason = $15 "
      "WHERE id = $1 AND state = $16",
      store::params(after.id, to_string(after.state), now, after.submitted_at, after.review_clock_started_at,
                    after.review_due_at, after.clock_alerted_at, std::int64_t{after.remedy_rounds}, after.approved_at,
                    after.final_clock_started_at, after.final_due_at, after.certified_at, after.launched_at,
                    after.closed_at, after.decision_reason, to_string(before.state))));
  if (changed != 1) return fail(Errc::conflict, "The request changed meanwhile; reload it and try again");

  CS_CHECK(append_history(conn,
                          HistoryEntry{.request_id = after.id,
                                       .actor = actor,
                                       .action = std::string(to_string(action)),
                                       .from_state = before.state,
                                       .to_state = after.state,
                                       .reason = std::string(reason),
                                       .detail_json = detail.dump()},
                          now));
  nlohmann::json audit_details = detail;
  audit_details["from"] = to_string(before.state);
  audit_details["to"] = to_string(after.state);
  if (!reason.empty()) audit_details["reason"] = reason;
  CS_CHECK(audit_request(conn, audit, after, actor, "certification.request." + std::string(to_string(action)),
                         std::move(audit_details)));
  if (auto notice = notice_for(after.state)) {
    nlohmann::json facts = detail;
    if (!reason.empty()) facts["reason"] = reason;
    if (auto clock = calendar ? running_clock(after, now, *calendar) : std::nullopt) {
      facts["due_at"] = format_rfc3339(clock->due_at);
    }
    CS_CHECK(notify(conn, after, *notice, facts, now));
  }
  return after;
}

}  // namespace cs::certification
