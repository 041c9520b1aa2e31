#include "identity/audit_record.hpp"

#include "audit/audit_log.hpp"
#include "store/database.hpp"

namespace cs::identity {

Status record(audit::AuditLog& log, store::Connection& conn, const Actor& actor, AuditRecord rec) {
  audit::AuditEvent event;
  event.actor_type = actor.type;
  event.actor_id = actor.id;
  event.action = std::move(rec.action);
  event.target_type = std::move(rec.target_type);
  event.target_id = std::move(rec.target_id);
  if (!rec.account_id.empty()) event.account_id = std::move(rec.account_id);
  if (!rec.partner_org_id.empty()) event.partner_org_id = std::move(rec.partner_org_id);
  event.ip = actor.request.ip;
  event.request_id = actor.request.request_id;
  event.details = std::move(rec.details);
  auto appended = log.append(conn, event);
  if (!appended) return tl::unexpected(std::move(appended).error());
  return {};
}

}  // namespace cs::identity
