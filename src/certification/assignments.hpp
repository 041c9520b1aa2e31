// Staff assigned to a certification request (issue 6 §2 "in review"): one certification
// engineer and one security reviewer, named by a partner manager or picked as the least loaded
// holder of the role; at final review one final approver. Reassigning a role ends the old
// assignment (unassigned_at) and adds a new row, so the table is also the assignment history.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/database.hpp"

namespace cs::certification {

enum class AssignmentRole { certification_engineer, security_reviewer, final_approver };
std::string_view to_string(AssignmentRole r);
std::optional<AssignmentRole> parse_assignment_role(std::string_view text);

struct Assignment {
  std::string id;  // cas_...
  std::string request_id;
  AssignmentRole role = AssignmentRole::certification_engineer;
  std::string user_id;
  std::string user_name;
  std::string user_email;
  std::string assigned_by;  // user id, or "system" (least loaded)
  Micros assigned_at = 0;
};

// Current (not ended) assignments of a request, by role.
Result<std::vector<Assignment>> current_assignments(store::Connection& conn, std::string_view request_id);
Result<std::optional<Assignment>> current_assignment(store::Connection& conn, std::string_view request_id,
                                                     AssignmentRole role);
// Whether `user_id` currently holds any role on the request.
Result<bool> is_assigned(store::Connection& conn, std::string_view request_id, std::string_view user_id);

// The active user holding the staff role `role` (same name) with the fewest open assignments on
// active requests; ties go to the smaller user id. validation_failed when nobody holds it.
// `exclude`: a user not to pick (the holder being replaced); empty excludes nobody.
Result<std::string> least_loaded_staff(store::Connection& conn, AssignmentRole role, std::string_view exclude = {});
// validation_failed (field user_id) unless `user_id` is an active user holding the staff role.
Status check_staff_role(store::Connection& conn, std::string_view user_id, AssignmentRole role);

// Ends the role's current assignment (if any) and records the new one. Answers it.
Result<Assignment> record_assignment(store::Connection& conn, std::string_view request_id, AssignmentRole role,
                                     std::string_view user_id, std::string_view assigned_by, Micros now);

}  // namespace cs::certification
