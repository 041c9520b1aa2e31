// Certification notices (issue 6 §6): an email to the right people and a `certification.<what>`
// domain event for the partner's webhook subscriptions (those of the request's app), both
// enqueued in the caller's transaction so they go out exactly when the change commits.
//
// Who gets the email:
//   submitted          partner members, partner managers
//   assigned           the assignee (detail.user_id), partner members
//   finding_filed      partner members
//   changes_requested  partner members
//   remedied           partner members, assigned staff
//   engineer_approved  partner members (with the promotion form link)
//   final_review       partner members, assigned staff (the final approver)
//   certified          partner members, partner managers
//   launched           partner members (the production-activation notice)
//   rejected           partner members, assigned staff
//   withdrawn          assigned staff, partner managers
//   clock_at_risk      assigned staff, partner managers (staff only: no webhook event)
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "certification/request.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

enum class Notice {
  submitted,
  assigned,
  finding_filed,
  changes_requested,
  remedied,
  engineer_approved,
  final_review,
  certified,
  launched,
  rejected,
  withdrawn,
  clock_at_risk,
};
std::string_view to_string(Notice n);
// "certification.submitted", ...; empty for staff-only notices.
std::string event_type(Notice n);

// The public base URL used for links in emails (the server's public_url / issuer). Set once at
// start-up, before requests are served; defaults to "http://localhost".
void configure_notice_links(std::string public_base_url);

// Enqueues the notice's emails and event. `detail` adds facts to both (finding id and severity,
// the assignee's user_id and role, the reason, the clock's due time, ...).
Status notify(store::Connection& conn, const Request& request, Notice notice, const nlohmann::json& detail, Micros now);

}  // namespace cs::certification
