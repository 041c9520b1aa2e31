// The storage half of one lifecycle edge, shared by RequestService and file_finding: checks the
// graph, writes the new state and the columns the action sets (clocks, timestamps, reason), the
// history line, the audit entry and the notice. Guards and hooks are the caller's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "certification/lifecycle.hpp"
#include "certification/request.hpp"
#include "core/business_calendar.hpp"
#include "identity/actor.hpp"
#include "store/database.hpp"

namespace cs::audit {
class AuditLog;
}

namespace cs::certification {

// invalid_transition (nothing written) when the graph has no such edge. `calendar` is needed by
// the actions that start a clock (submit, remedy, start_final_review); aborts without it.
Result<Request> apply_edge(store::Connection& conn, audit::AuditLog& audit, const Request& before, Action action,
                           const identity::Actor& actor, std::string_view reason, Micros now,
                           const BusinessCalendar* calendar, nlohmann::json detail = nlohmann::json::object());

// The audit entry every certification change writes ("certification.<what>").
Status audit_request(store::Connection& conn, audit::AuditLog& audit, const Request& request,
                     const identity::Actor& actor, std::string action, nlohmann::json details);

}  // namespace cs::certification
