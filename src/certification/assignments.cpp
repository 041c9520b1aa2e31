#include "certification/assignments.hpp"

#include "core/ids.hpp"
#include "store/params.hpp"

namespace cs::certification {

namespace {

constexpr std::string_view kSelect =
    "SELECT c.id, c.request_id, c.role, c.user_id, u.name, u.email, c.assigned_by, c.assigned_at "
    "FROM cert_assignments c JOIN users u ON u.id = c.user_id ";

Assignment from_row(const store::Row& r) {
  Assignment a;
  a.id = r.text(0);
  a.request_id = r.text(1);
  a.role = parse_assignment_role(r.text(2)).value_or(AssignmentRole::certification_engineer);
  a.user_id = r.text(3);
  a.user_name = r.text(4);
  a.user_email = r.text(5);
  a.assigned_by = r.text(6);
  a.assigned_at = r.int64(7);
  return a;
}

}  // namespace

std::string_view to_string(AssignmentRole r) {
  switch (r) {
    case AssignmentRole::certification_engineer: return "certification_engineer";
    case AssignmentRole::security_reviewer: return "security_reviewer";
    case AssignmentRole::final_approver: return "final_approver";
  }
  return "certification_engineer";
}

std::optional<AssignmentRole> parse_assignment_role(std::string_view text) {
  for (auto r : {AssignmentRole::certification_engineer, AssignmentRole::security_reviewer,
                 AssignmentRole::final_approver}) {
    if (to_string(r) == text) return r;
  }
  return std::nullopt;
}

Result<std::vector<Assignment>> current_assignments(store::Connection& conn, std::string_view request_id) {
  auto rows = CS_TRY(conn.query(std::string(kSelect) +
                                    "WHERE c.request_id = $1 AND c.unassigned_at IS NULL ORDER BY c.role, c.assigned_at",
                                store::params(request_id)));
  std::vector<Assignment> out;
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

Result<std::optional<Assignment>> current_assignment(store::Connection& conn, std::string_view request_id,
                                                     AssignmentRole role) {
  auto row = CS_TRY(conn.query_one(
      std::string(kSelect) + "WHERE c.request_id = $1 AND c.role = $2 AND c.unassigned_at IS NULL",
      store::params(request_id, to_string(role))));
  if (!row) return std::optional<Assignment>{};
  return std::optional<Assignment>(from_row(*row));
}

Result<bool> is_assigned(store::Connection& conn, std::string_view request_id, std::string_view user_id) {
  auto row = CS_TRY(conn.query_one(
      "SELECT 1 FROM cert_assignments WHERE request_id = $1 AND user_id = $2 AND unassigned_at IS NULL LIMIT 1",
      store::params(request_id, user_id)));
  return row.has_value();
}

Result<std::string> least_loaded_staff(store::Connection& conn, AssignmentRole role, std::string_view exclude) {
  // Open assignments on requests that still need work; ties go to the smaller user id so the
  // choice is deterministic.
  auto row = CS_TRY(conn.query_one(
      "SELECT s.user_id FROM staff_roles s JOIN users u ON u.id = s.user_id "
      "WHERE s.role = $1 AND u.status = 'active' AND s.user_id <> $2 ORDER BY (SELECT COUNT(*) FROM cert_assignments c "
      "JOIN cert_requests r ON r.id = c.request_id WHERE c.user_id = s.user_id AND c.unassigned_at IS NULL "
      "AND r.state NOT IN ('withdrawn', 'rejected', 'launched')), s.user_id LIMIT 1",
      store::params(to_string(role), exclude)));
  if (!row) {
    return fail(Error(Errc::validation_failed, std::string(exclude.empty() ? "Nobody" : "Nobody else") +
                                                   " holds the staff role " + std::string(to_string(role)))
                    .with_field("role"));
  }
  return row->text(0);
}

Status check_staff_role(store::Connection& conn, std::string_view user_id, AssignmentRole role) {
  auto row = CS_TRY(conn.query_one(
      "SELECT 1 FROM staff_roles s JOIN users u ON u.id = s.user_id WHERE s.user_id = $1 AND s.role = $2 "
      "AND u.status = 'active'",
      store::params(user_id, to_string(role))));
  if (!row) {
    return fail(Error(Errc::validation_failed,
                      "user_id must name an active staff member holding the role " + std::string(to_string(role)))
                    .with_field("user_id"));
  }
  return {};
}

Result<Assignment> record_assignment(store::Connection& conn, std::string_view request_id, AssignmentRole role,
                                     std::string_view user_id, std::string_view assigned_by, Micros now) {
  CS_TRY(conn.exec("UPDATE cert_assignments SET unassigned_at = $3 WHERE request_id = $1 AND role = $2 "
                   "AND unassigned_at IS NULL",
                   store::params(request_id, to_string(role), now)));
  std::string id = new_id("cas");
  CS_TRY(conn.exec("INSERT INTO cert_assignments (id, request_id, role, user_id, assigned_by, assigned_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6)",
                   store::params(id, request_id, to_string(role), user_id, assigned_by, now)));
  auto row = CS_TRY(conn.query_one(std::string(kSelect) + "WHERE c.id = $1", store::params(id)));
  if (!row) return fail(Errc::internal, "Assignment vanished", id);
  return from_row(*row);
}

}  // namespace cs::certification
