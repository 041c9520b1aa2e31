// The optional dry run (issue 6 §2; requirement QUES-2; DocuSign steps 2 and 3): only partner
// orgs with a professional-services engagement may hold one; the partner names the planned
// certification date (cert_requests.planned_certification_date) and the dry run must be
// scheduled no later than 10 business days before it (check_dry_run_schedule); staff mark it
// held; its findings (phase dry_run) must be closed before submission (the submission guard).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/business_calendar.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

struct DryRunInput {
  // The partner's part.
  std::optional<std::string> scheduled_on;                // YYYY-MM-DD
  std::optional<std::string> planned_certification_date;  // YYYY-MM-DD
  std::optional<std::string> notes;
  // The staff's part: the dry run took place.
  std::optional<bool> held;
};

struct DryRun {
  std::string request_id;
  LocalDate scheduled_on;
  std::optional<LocalDate> planned_certification_date;
  std::string notes;
  std::optional<Micros> held_at;
  std::optional<std::string> held_by;
  std::string updated_by;
  Micros updated_at = 0;
  int open_findings = 0;  // dry_run findings not yet closed
};

// Whether the request's partner org has the professional-services flag.
Result<bool> professional_services(store::Connection& conn, std::string_view partner_org_id);

// Schedules (or reschedules) the dry run: forbidden for orgs without professional services,
// validation_failed for malformed dates, and check_dry_run_schedule's error when it is later
// than 10 business days before the planned date. Writes the planned date to cert_requests.
Result<DryRun> schedule_dry_run(store::Connection& conn, std::string_view request_id, std::string_view partner_org_id,
                                const DryRunInput& input, const BusinessCalendar& calendar,
                                std::string_view updated_by, Micros now);
// Staff: marks the scheduled dry run held (or not). not_found when none is scheduled.
Result<DryRun> mark_dry_run_held(store::Connection& conn, std::string_view request_id, bool held,
                                 std::string_view updated_by, Micros now);
Result<std::optional<DryRun>> load_dry_run(store::Connection& conn, std::string_view request_id);
nlohmann::json to_json(const DryRun& d);

}  // namespace cs::certification
