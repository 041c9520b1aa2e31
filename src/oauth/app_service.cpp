// AppService: registration, reads, versioned updates, disabling, certification status.
#include "oauth/app_service.hpp"

#include <algorithm>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "crypto/tokens.hpp"
#include "identity/policy.hpp"
#include "identity/validation.hpp"
#include "oauth/detail/records.hpp"
#include "oauth/validation.hpp"
#include "store/database.hpp"

namespace cs::oauth {

using detail::params;

namespace {

identity::Resource app_resource(const std::string& partner_org_id) {
  return {identity::ResourceType::app, {}, partner_org_id};
}

Status insert_version(store::Connection& conn, const std::string& app_id, const AppVersion& v,
                      Micros now) {
  CS_TRY(conn.exec(
      "INSERT INTO app_versions (id, app_id, number, scopes, redirect_uris, functions, "
      "certification, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
      params(v.id, app_id, v.number, join_scopes(v.config.scopes),
             detail::redirect_uris_to_json(v.config.redirect_uris), join_scopes(v.config.functions),
             to_string(v.certification), now)));
  return {};
}

Status update_version_config(store::Connection& conn, const AppVersion& v, Micros now) {
  CS_TRY(conn.exec(
      "UPDATE app_versions SET scopes = $1, redirect_uris = $2, functions = $3, updated_at = $4 "
      "WHERE id = $5",
      params(join_scopes(v.config.scopes), detail::redirect_uris_to_json(v.config.redirect_uris),
             join_scopes(v.config.functions), now, v.id)));
  return {};
}

Result<App> load_app(store::Connection& conn, std::string_view where, std::string_view key) {
  auto row = CS_TRY(conn.query_one(detail::kAppSelect + std::string(where), params(key)));
  if (!row) return detail::not_found("App");
  return detail::app_from_row(*row);
}

}  // namespace

AppService::AppService(store::Database& db, const Clock& clock, audit::AuditLog& audit,
                       const crypto::TokenHasher& hasher)
    : db_(db), clock_(clock), audit_(audit), hasher_(hasher) {}

Result<CreatedApp> AppService::create(const identity::Principal& principal, const NewApp& in,
                                      const identity::RequestContext& ctx) {
  // Decide first: another tenant's org id answers not_found before any validation detail.
  CS_CHECK(
      identity::require(principal, identity::Action::app_manage, app_resource(in.partner_org_id)));
  App app;
  app.name = CS_TRY(identity::validate_display_name(in.name, "name"));
  app.description = CS_TRY(validate_description(in.description));
  CS_CHECK(validate_link(in.documentation_url, "documentation_url"));
  CS_CHECK(validate_link(in.support_url, "support_url"));
  app.current.config = CS_TRY(validate_configuration(in.scopes, in.redirect_uris, in.functions));
  app.id = new_id("app");
  app.client_id = new_id("ik");
  app.partner_org_id = in.partner_org_id;
  app.documentation_url = in.documentation_url;
  app.support_url = in.support_url;
  app.client_type = in.client_type;
  app.status = AppStatus::active;
  app.created_at = app.updated_at = clock_.now();
  app.current.id = new_id("apv");
  app.current.number = 1;
  app.current.created_at = app.created_at;

  CreatedApp out;
  std::string secret_id;
  if (app.client_type == ClientType::confidential) {
    out.client_secret = crypto::generate_token(crypto::kClientSecretPrefix);
    secret_id = new_id("sec");
  }
  return store::transact(db_, [&](store::Connection& conn) -> Result<CreatedApp> {
    CS_TRY(conn.exec(
        "INSERT INTO apps (id, client_id, partner_org_id, name, description, documentation_url, "
        "support_url, client_type, status, current_version_id, certified_version_id, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, NULL, $10, $10)",
        params(app.id, app.client_id, app.partner_org_id, app.name, app.description,
               app.documentation_url, app.support_url, to_string(app.client_type), app.current.id,
               app.created_at)));
    CS_CHECK(insert_version(conn, app.id, app.current, app.created_at));
    if (out.client_secret) {
      CS_TRY(conn.exec(
          "INSERT INTO app_secrets (id, app_id, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
          params(secret_id, app.id, hasher_.hash(*out.client_secret), app.created_at)));
    }
    CS_CHECK(detail::record(audit_, conn, identity::Actor::user(principal.user_id, ctx),
                            {.action = "app.created",
                             .target_type = "app",
                             .target_id = app.id,
                             .partner_org_id = app.partner_org_id,
                             .details = {{"name", app.name},
                                         {"client_id", app.client_id},
                                         {"client_type", to_string(app.client_type)},
                                         {"configuration", detail::to_json(app.current.config)}}}));
    out.app = app;
    return out;
  });
}

Result<App> AppService::find_by_id(std::string_view app_id) {
  if (!is_valid_id(app_id, "app")) return detail::not_found("App");
  auto lease = CS_TRY(db_.connect());
  return load_app(*lease, "WHERE a.id = $1", app_id);
}

Result<App> AppService::find_by_client_id(std::string_view client_id) {
  if (!is_valid_id(client_id, "ik")) return detail::not_found("App");
  auto lease = CS_TRY(db_.connect());
  return load_app(*lease, "WHERE a.client_id = $1", client_id);
}

Result<App> AppService::load_visible(const identity::Principal& principal, std::string_view app_id,
                                     bool manage) {
  auto app = find_by_id(app_id);
  if (!app) return app;
  CS_CHECK(identity::require(principal,
                             manage ? identity::Action::app_manage : identity::Action::app_read,
                             app_resource(app->partner_org_id)));
  return app;
}

Result<App> AppService::get(const identity::Principal& principal, std::string_view app_id) {
  return load_visible(principal, app_id, false);
}

Result<std::vector<App>> AppService::list(const identity::Principal& principal) {
  auto lease = CS_TRY(db_.connect());
  std::vector<App> out;
  bool sees_all =
      identity::decide(principal, identity::Action::staff_read_all, identity::Resource::platform())
          .allowed();
  if (sees_all) {
    auto rows = CS_TRY(lease->query(detail::kAppSelect + "ORDER BY a.created_at, a.id"));
    for (const auto& r : rows) out.push_back(detail::app_from_row(r));
    return out;
  }
  for (const auto& [org_id, role] : principal.partner_roles) {
    (void)role;
    if (!identity::decide(principal, identity::Action::app_read, app_resource(org_id))) continue;
    auto rows = CS_TRY(
        lease->query(detail::kAppSelect + "WHERE a.partner_org_id = $1 ORDER BY a.created_at, a.id",
                     params(org_id)));
    for (const auto& r : rows) out.push_back(detail::app_from_row(r));
  }
  std::sort(out.begin(), out.end(), [](const App& a, const App& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return out;
}

Result<App> AppService::update(const identity::Principal& principal, std::string_view app_id,
                               const AppPatch& patch, const identity::RequestContext& ctx) {
  App app = CS_TRY(load_visible(principal, app_id, true));
  App before = app;
  if (patch.name) app.name = CS_TRY(identity::validate_display_name(*patch.name, "name"));
  if (patch.description) app.description = CS_TRY(validate_description(*patch.description));
  if (patch.documentation_url) {
    CS_CHECK(validate_link(*patch.documentation_url, "documentation_url"));
    app.documentation_url = *patch.documentation_url;
  }
  if (patch.support_url) {
    CS_CHECK(validate_link(*patch.support_url, "support_url"));
    app.support_url = *patch.support_url;
  }
  const AppConfiguration& cur = app.current.config;
  AppConfiguration next = CS_TRY(validate_configuration(
      patch.scopes.value_or(cur.scopes), patch.redirect_uris.value_or(cur.redirect_uris),
      patch.functions.value_or(cur.functions)));
  ConfigurationDiff change = diff(cur, next);

  Micros now = clock_.now();
  app.updated_at = now;
  nlohmann::json details = nlohmann::json::object();
  std::string action = "app.updated";
  bool new_version = false;
  if (!change.empty()) {
    details["diff"] = detail::to_json(change);
    if (app.current.certification == CertificationStatus::uncertified ||
        change.only_removes_scopes()) {
      // Uncertified versions are drafts; removing scopes never needs recertification.
      app.current.config = next;
    } else {
      // DESIGN.md: adding a scope or changing a redirect URI or function of a version under or
      // after certification creates a pending version.
      new_version = true;
      action = "app.version.created";
      AppVersion v;
      v.id = new_id("apv");
      v.number = app.current.number + 1;
      v.config = next;
      v.created_at = now;
      app.current = v;
      details["version"] = v.number;
    }
    // A removed scope leaves the certified configuration at once too.
    if (app.certified && !change.removed_scopes.empty()) {
      auto& s = app.certified->config.scopes;
      for (const auto& r : change.removed_scopes) std::erase(s, r);
      if (app.certified->id == before.current.id && !new_version) app.certified = app.current;
    }
  }
  for (auto [field, old_v, new_v] :
       {std::tuple{"name", &before.name, &app.name},
        std::tuple{"description", &before.description, &app.description},
        std::tuple{"documentation_url", &before.documentation_url, &app.documentation_url},
        std::tuple{"support_url", &before.support_url, &app.support_url}}) {
    if (*old_v != *new_v) details[field] = {{"old", *old_v}, {"new", *new_v}};
  }
  if (details.empty()) return before;

  auto narrowed = access_epoch_->advance_on_exit();  // a scope may have gone
  return store::transact(db_, [&](store::Connection& conn) -> Result<App> {
    if (new_version)
      CS_CHECK(insert_version(conn, app.id, app.current, now));
    else
      CS_CHECK(update_version_config(conn, app.current, now));
    if (app.certified && app.certified->id != app.current.id)
      CS_CHECK(update_version_config(conn, *app.certified, now));
    CS_TRY(conn.exec(
        "UPDATE apps SET name = $1, description = $2, documentation_url = $3, support_url = $4, "
        "current_version_id = $5, updated_at = $6 WHERE id = $7",
        params(app.name, app.description, app.documentation_url, app.support_url, app.current.id,
               now, app.id)));
    CS_CHECK(detail::record(audit_, conn, identity::Actor::user(principal.user_id, ctx),
                            {.action = action,
                             .target_type = "app",
                             .target_id = app.id,
                             .partner_org_id = app.partner_org_id,
                             .details = details}));
    if (!change.removed_scopes.empty()) {
      CS_CHECK(detail::record(audit_, conn, identity::Actor::user(principal.user_id, ctx),
                              {.action = "app.scopes.removed",
                               .target_type = "app",
                               .target_id = app.id,
                               .partner_org_id = app.partner_org_id,
                               .details = {{"scopes", change.removed_scopes}}}));
    }
    if (new_version && app.certified) {
      for (const auto& hook : pending_version_hooks_) {
        CS_CHECK(hook(conn, app, identity::Actor::user(principal.user_id, ctx)));
      }
    }
    return app;
  });
}

Result<App> AppService::disable(const identity::Principal& principal, std::string_view app_id,
                                const identity::RequestContext& ctx) {
  App app = CS_TRY(load_visible(principal, app_id, true));
  Micros now = clock_.now();
  auto narrowed = access_epoch_->advance_on_exit();
  return store::transact(db_, [&](store::Connection& conn) -> Result<App> {
    CS_TRY(conn.exec("UPDATE apps SET status = 'disabled', updated_at = $1 WHERE id = $2",
                     params(now, app.id)));
    auto ended = CS_TRY(detail::revoke_app_grant_rows(conn, app.id, now, "app_disabled"));
    CS_CHECK(detail::record(audit_, conn, identity::Actor::user(principal.user_id, ctx),
                            {.action = "app.disabled",
                             .target_type = "app",
                             .target_id = app.id,
                             .partner_org_id = app.partner_org_id,
                             .details = {{"grants_revoked", ended}}}));
    app.status = AppStatus::disabled;
    app.updated_at = now;
    return app;
  });
}

Status AppService::set_certification_status(std::string_view app_version_id,
                                            CertificationStatus status,
                                            const identity::Actor& actor) {
  if (!is_valid_id(app_version_id, "apv")) return detail::not_found("App version");
  Micros now = clock_.now();
  auto narrowed = access_epoch_->advance_on_exit();  // losing "certified" narrows production
  return store::transact(db_, [&](store::Connection& conn) -> Status {
    auto row = CS_TRY(conn.query_one(
        "SELECT v.app_id, v.number, v.certification, a.partner_org_id, a.certified_version_id "
        "FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE v.id = $1",
        params(app_version_id)));
    if (!row) return detail::not_found("App version");
    std::string app_id = row->text(0);
    std::string old_status = row->text(2);
    auto certified_id = row->opt_text(4);
    if (old_status == to_string(status)) return {};
    CS_TRY(conn.exec("UPDATE app_versions SET certification = $1, updated_at = $2 WHERE id = $3",
                     params(to_string(status), now, app_version_id)));
    if (status == CertificationStatus::certified) {
      CS_TRY(conn.exec("UPDATE apps SET certified_version_id = $1, updated_at = $2 WHERE id = $3",
                       params(app_version_id, now, app_id)));
    } else if (certified_id && *certified_id == app_version_id) {
      // The version production relied on lost its certification: production falls back to
      // the current version and its own status.
      CS_TRY(conn.exec("UPDATE apps SET certified_version_id = NULL, updated_at = $1 WHERE id = $2",
                       params(now, app_id)));
    }
    return detail::record(audit_, conn, actor,
                          {.action = "app.certification.changed",
                           .target_type = "app_version",
                           .target_id = std::string(app_version_id),
                           .partner_org_id = row->text(3),
                           .details = {{"app_id", app_id},
                                       {"version", row->int64(1)},
                                       {"old", old_status},
                                       {"new", to_string(status)}}});
  });
}

Result<std::vector<GrantSummary>> AppService::list_grants(const identity::Principal& principal,
                                                          std::string_view app_id) {
  App app = CS_TRY(load_visible(principal, app_id, false));
  auto lease = CS_TRY(db_.connect());
  auto rows =
      CS_TRY(lease->query(detail::kGrantSelect + "WHERE g.app_id = $1 AND g.revoked_at IS NULL "
                                                 "ORDER BY g.created_at, g.id",
                          params(app.id)));
  std::vector<GrantSummary> out;
  for (const auto& r : rows) out.push_back(detail::grant_from_row(r));
  return out;
}

}  // namespace cs::oauth
