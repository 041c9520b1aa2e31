// Writing an audit entry for a change a service makes, in the caller's transaction: the actor
// (operator, system or user, with the request's ip and id) plus what changed. Shared by every
// service that audits (identity, oauth, ...).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "identity/actor.hpp"

namespace cs::audit {
class AuditLog;
}
namespace cs::store {
class Connection;
}

namespace cs::identity {

// What one audit entry records besides the actor.
struct AuditRecord {
  std::string action{};  // "user.created", "app.secret.rotated", ...
  std::string target_type{};
  std::string target_id{};
  std::string account_id{};
  std::string partner_org_id{};
  nlohmann::json details = nlohmann::json::object();
};

// Appends to the audit log on `conn`, inside the caller's transaction.
Status record(audit::AuditLog& log, store::Connection& conn, const Actor& actor, AuditRecord rec);

}  // namespace cs::identity
