// /v1/apps: partner members manage their org's apps (integration keys) from the partner console
// with a session cookie; staff read every app (issue 3 §1). AppService scopes every lookup to the
// caller's orgs, so another org's app id answers 404 exactly like an unknown one.
//
// Later issue: `Idempotency-Key` on POST /v1/apps (DESIGN.md "Interfaces") is not honoured yet.
#include <nlohmann/json.hpp>

#include "http/json_body.hpp"
#include "oauth/app_service.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

constexpr ApiAuth kConsole{.scope = {}, .bearer = false, .session = true};
// App descriptions and redirect lists are small; a megabyte of JSON here is an attack.
constexpr std::size_t kMaxAppBody = 64 * 1024;

nlohmann::json version_json(const oauth::AppVersion& v) {
  return {{"id", v.id},
          {"number", v.number},
          {"certification", std::string(oauth::to_string(v.certification))},
          {"scopes", v.config.scopes},
          {"redirect_uris", v.config.redirect_uris},
          {"functions", v.config.functions},
          {"created_at", format_rfc3339(v.created_at)}};
}

// The certified configuration, the pending one (a newer version awaiting recertification) and
// what changed between them: what production runs with versus what sandbox already uses.
nlohmann::json app_json(const oauth::App& a) {
  nlohmann::json j = {{"id", a.id},
                      {"client_id", a.client_id},
                      {"partner_org_id", a.partner_org_id},
                      {"name", a.name},
                      {"description", a.description},
                      {"client_type", std::string(oauth::to_string(a.client_type))},
                      {"status", std::string(oauth::to_string(a.status))},
                      {"documentation_url", a.documentation_url},
                      {"support_url", a.support_url},
                      {"current_version", version_json(a.current)},
                      {"certified_version", nullptr},
                      {"pending_version", nullptr},
                      {"pending_diff", nullptr},
                      {"created_at", format_rfc3339(a.created_at)},
                      {"updated_at", format_rfc3339(a.updated_at)}};
  if (a.certified) j["certified_version"] = version_json(*a.certified);
  if (a.has_pending_version()) {
    j["pending_version"] = version_json(a.current);
    if (a.certified) j["pending_diff"] = oauth::to_json(oauth::diff(a.certified->config, a.current.config));
  }
  return j;
}

nlohmann::json secret_json(const oauth::SecretInfo& s) {
  return {{"id", s.id}, {"created_at", format_rfc3339(s.created_at)}, {"last_used_at", time_json(s.last_used_at)}};
}

nlohmann::json grant_json(const oauth::GrantSummary& g) {
  return {{"id", g.id},
          {"app_id", g.app_id},
          {"client_id", g.client_id},
          {"user_id", g.user_id},
          {"user_email", g.user_email},
          {"account_id", g.account_id},
          {"account_name", g.account_name},
          {"scopes", g.scopes},
          {"created_at", format_rfc3339(g.created_at)},
          {"last_used_at", time_json(g.last_used_at)}};
}

Result<std::string> optional_text(const nlohmann::json& body, std::string_view key) {
  auto v = CS_TRY(http::optional_string(body, key));
  return v.value_or("");
}

// The org a new app belongs to: named in the body, or the caller's only partner org.
Result<std::string> target_org(const identity::Principal& who, const nlohmann::json& body) {
  if (auto named = CS_TRY(http::optional_string(body, "partner_org_id"))) return *named;
  if (who.partner_roles.size() == 1) return who.partner_roles.begin()->first;
  if (who.partner_roles.empty()) return fail(Errc::forbidden, "Only members of a partner org can register apps");
  return fail(Error(Errc::validation_failed, "partner_org_id is required: you belong to several partner orgs")
                  .with_field("partner_org_id"));
}

Result<oauth::NewApp> parse_new_app(const identity::Principal& who, const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"name", "description", "client_type", "redirect_uris", "scopes",
                                              "functions", "documentation_url", "support_url", "partner_org_id"}));
  oauth::NewApp app;
  app.name = CS_TRY(http::required_string(body, "name"));
  app.description = CS_TRY(optional_text(body, "description"));
  auto type = CS_TRY(http::required_string(body, "client_type"));
  auto parsed = oauth::parse_client_type(type);
  if (!parsed) {
    return fail(Error(Errc::validation_failed, "client_type must be \"confidential\" or \"public\"").with_field("client_type"));
  }
  app.client_type = *parsed;
  auto uris = CS_TRY(optional_string_list(body, "redirect_uris"));
  if (!uris) return fail(Error(Errc::validation_failed, "redirect_uris is required").with_field("redirect_uris"));
  app.redirect_uris = std::move(*uris);
  auto scopes = CS_TRY(optional_string_list(body, "scopes"));
  if (!scopes) return fail(Error(Errc::validation_failed, "scopes is required").with_field("scopes"));
  app.scopes = std::move(*scopes);
  app.functions = CS_TRY(optional_string_list(body, "functions")).value_or(std::vector<std::string>{});
  app.documentation_url = CS_TRY(optional_text(body, "documentation_url"));
  app.support_url = CS_TRY(optional_text(body, "support_url"));
  app.partner_org_id = CS_TRY(target_org(who, body));
  return app;
}

Result<oauth::AppPatch> parse_patch(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"name", "description", "redirect_uris", "scopes", "functions",
                                              "documentation_url", "support_url"}));
  oauth::AppPatch patch;
  patch.name = CS_TRY(http::optional_string(body, "name"));
  patch.description = CS_TRY(http::optional_string(body, "description"));
  patch.redirect_uris = CS_TRY(optional_string_list(body, "redirect_uris"));
  patch.scopes = CS_TRY(optional_string_list(body, "scopes"));
  patch.functions = CS_TRY(optional_string_list(body, "functions"));
  patch.documentation_url = CS_TRY(http::optional_string(body, "documentation_url"));
  patch.support_url = CS_TRY(http::optional_string(body, "support_url"));
  return patch;
}

http::Response problem(const Error& e, const http::Request& req) { return http::Response::problem(e, req.request_id); }

// Runs `fn(principal)` for a console caller, or returns the refusal.
template <class Fn>
http::Response with_console(WebContext& ctx, http::Request& req, Fn&& fn) {
  auto caller = authenticate_api(ctx, req, kConsole);
  if (!caller) return std::move(caller.error());
  return fn(caller->session->principal);
}

}  // namespace

void register_app_routes(http::Router& router, WebContext& ctx) {
  const http::RouteOptions json_route{.max_body = kMaxAppBody};

  router.add("POST", "/v1/apps", json_route, [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto input = parse_new_app(who, req);
      if (!input) return problem(input.error(), req);
      auto created = ctx.apps.create(who, *input, audit_context(req));
      if (!created) return problem(created.error(), req);
      auto body = app_json(created->app);
      // Shown once: only its keyed hash is stored.
      body["client_secret"] = created->client_secret ? nlohmann::json(*created->client_secret) : nlohmann::json(nullptr);
      auto res = http::Response::json(201, body);
      res.set_header("Location", "/v1/apps/" + created->app.id);
      res.set_header("Cache-Control", "no-store");
      return res;
    });
  });

  router.add("GET", "/v1/apps", [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto apps = ctx.apps.list(who);
      if (!apps) return problem(apps.error(), req);
      std::vector<nlohmann::json> items;
      for (const auto& a : *apps) items.push_back(app_json(a));
      auto page = paginate(req, items);
      if (!page) return problem(page.error(), req);
      return http::Response::json(200, *page);
    });
  });

  router.add("GET", "/v1/apps/{id}", [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto app = ctx.apps.get(who, req.param("id"));
      if (!app) return problem(app.error(), req);
      return http::Response::json(200, app_json(*app));
    });
  });

  router.add("PATCH", "/v1/apps/{id}", json_route, [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto patch = parse_patch(req);
      if (!patch) return problem(patch.error(), req);
      auto app = ctx.apps.update(who, req.param("id"), *patch, audit_context(req));
      if (!app) return problem(app.error(), req);
      return http::Response::json(200, app_json(*app));
    });
  });

  router.add("POST", "/v1/apps/{id}/disable", json_route, [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto app = ctx.apps.disable(who, req.param("id"), audit_context(req));
      if (!app) return problem(app.error(), req);
      auto current = ctx.apps.get(who, req.param("id"));
      if (!current) return problem(current.error(), req);
      return http::Response::json(200, app_json(*current));
    });
  });

  router.add("POST", "/v1/apps/{id}/secrets", json_route, [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto secret = ctx.apps.rotate_secret(who, req.param("id"), audit_context(req));
      if (!secret) return problem(secret.error(), req);
      auto body = secret_json(secret->info);
      body["client_secret"] = secret->secret;  // shown once
      auto res = http::Response::json(201, body);
      res.set_header("Location", "/v1/apps/" + std::string(req.param("id")) + "/secrets/" + secret->info.id);
      res.set_header("Cache-Control", "no-store");
      return res;
    });
  });

  router.add("GET", "/v1/apps/{id}/secrets", [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto secrets = ctx.apps.list_secrets(who, req.param("id"));
      if (!secrets) return problem(secrets.error(), req);
      nlohmann::json data = nlohmann::json::array();
      for (const auto& s : *secrets) data.push_back(secret_json(s));
      return http::Response::json(200, {{"data", data}, {"next_cursor", nullptr}});
    });
  });

  router.add("DELETE", "/v1/apps/{id}/secrets/{secret_id}", [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto revoked = ctx.apps.revoke_secret(who, req.param("id"), req.param("secret_id"), audit_context(req));
      if (!revoked) return problem(revoked.error(), req);
      http::Response res;
      res.status = 204;
      return res;
    });
  });

  router.add("GET", "/v1/apps/{id}/grants", [&ctx](http::Request& req) {
    return with_console(ctx, req, [&](const identity::Principal& who) {
      auto grants = ctx.apps.list_grants(who, req.param("id"));
      if (!grants) return problem(grants.error(), req);
      std::vector<nlohmann::json> items;
      for (const auto& g : *grants) items.push_back(grant_json(g));
      auto page = paginate(req, items);
      if (!page) return problem(page.error(), req);
      return http::Response::json(200, *page);
    });
  });
}

}  // namespace cs::web
