#include "certification/recertification.hpp"

#include "certification/catalogue.hpp"
#include "certification/request.hpp"
#include "core/ids.hpp"
#include "identity/audit_record.hpp"
#include "oauth/app_service.hpp"
#include "store/params.hpp"

namespace cs::certification {

std::optional<oauth::ConfigurationDiff> pending_difference(const oauth::App& app) {
  if (!app.has_pending_version()) return std::nullopt;
  return oauth::diff(app.certified->config, app.current.config);
}

nlohmann::json pending_difference_json(const oauth::App& app) {
  auto d = pending_difference(app);
  if (!d) return nullptr;
  return {{"certified_version", app.certified->number},
          {"pending_version", app.current.number},
          {"certified", oauth::to_json(app.certified->config)},
          {"pending", oauth::to_json(app.current.config)},
          {"diff", oauth::to_json(*d)}};
}

Result<std::optional<std::string>> open_recertification(store::Connection& conn,
                                                        const oauth::App& app,
                                                        const identity::Actor& actor,
                                                        const Clock& clock,
                                                        audit::AuditLog& audit) {
  auto difference = pending_difference_json(app);
  if (difference.is_null()) return std::optional<std::string>{};
  Micros now = clock.now();
  auto active = CS_TRY(conn.query_one(
      "SELECT id, state, kind, app_version_id FROM cert_requests WHERE app_id = $1 AND "
      "state NOT IN ('withdrawn', 'rejected', 'launched')",
      store::params(app.id)));
  nlohmann::json detail{{"app_version_id", app.current.id}, {"configuration", difference}};
  if (active) {
    std::string id = active->text(0);
    if (active->text(1) != "draft" || active->text(2) != "recertification" ||
        active->text(3) == app.current.id) {
      return std::optional<std::string>{};
    }
    CS_TRY(conn.exec("UPDATE cert_requests SET app_version_id = $1, updated_at = $2 WHERE id = $3",
                     store::params(app.current.id, now, id)));
    CS_CHECK(append_history(
        conn,
        {id, actor, "pending_version_changed", State::draft, State::draft,
         "A newer pending version replaces the one this draft was opened for", detail.dump()},
        now));
    CS_CHECK(identity::record(audit, conn, actor,
                              {.action = "certification.request.version_changed",
                               .target_type = "certification_request",
                               .target_id = id,
                               .partner_org_id = app.partner_org_id,
                               .details = detail}));
    return std::optional<std::string>(id);
  }
  std::string id = new_id("crq");
  std::string created_by = actor.type == "user" ? actor.id : "system";
  CS_TRY(
      conn.exec("INSERT INTO cert_requests (id, app_id, app_version_id, partner_org_id, kind, "
                "state, catalogue_version, "
                "remedy_rounds, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, "
                "'recertification', 'draft', $5, 0, "
                "$6, $7, $7)",
                store::params(id, app.id, app.current.id, app.partner_org_id,
                              current_catalogue().version, created_by, now)));
  CS_CHECK(append_history(conn,
                          {id, actor, "open", std::nullopt, State::draft,
                           "The certified app has a pending version", detail.dump()},
                          now));
  CS_CHECK(identity::record(audit, conn, actor,
                            {.action = "certification.request.opened",
                             .target_type = "certification_request",
                             .target_id = id,
                             .partner_org_id = app.partner_org_id,
                             .details = {{"kind", "recertification"},
                                         {"app_id", app.id},
                                         {"app_version_id", app.current.id},
                                         {"diff", difference["diff"]}}}));
  return std::optional<std::string>(id);
}

void attach_recertification(oauth::AppService& apps, const Clock& clock, audit::AuditLog& audit) {
  apps.on_pending_version([&clock, &audit](store::Connection& conn, const oauth::App& app,
                                           const identity::Actor& actor) -> Status {
    CS_TRY(open_recertification(conn, app, actor, clock, audit));
    return {};
  });
}

}  // namespace cs::certification
