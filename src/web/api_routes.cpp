// The JSON API under /v1 (issue 3 §3, §4): the first resources tokens call, and the account's
// security settings. The apps routes live in api_app_routes.cpp.
#include <charconv>

#include <nlohmann/json.hpp>

#include "http/json_body.hpp"
#include "identity/directory.hpp"
#include "identity/policy.hpp"
#include "oauth/authorization_server.hpp"
#include "web/api_support.hpp"
#include "web/directory_render.hpp"
#include "web/bearer_auth.hpp"
#include "web/web_context.hpp"

namespace cs::web {

Result<std::optional<std::vector<std::string>>> optional_string_list(const nlohmann::json& obj,
                                                                     std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::vector<std::string>>{};
  if (!it->is_array()) {
    return fail(Error(Errc::validation_failed, std::string(key) + " must be an array of strings").with_field(std::string(key)));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    if (!v.is_string()) {
      return fail(Error(Errc::validation_failed, std::string(key) + " must be an array of strings")
                      .with_field(std::string(key) + "/" + std::to_string(i)));
    }
    out.push_back(v.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<nlohmann::json> paginate(const http::Request& req, const std::vector<nlohmann::json>& items) {
  std::size_t limit = 50;
  if (auto raw = req.query_param("limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), n);
    if (ec != std::errc() || end != raw->data() + raw->size() || n < 1 || n > 100) {
      return fail(Error(Errc::invalid_request, "limit must be an integer from 1 to 100").with_field("limit"));
    }
    limit = static_cast<std::size_t>(n);
  }
  std::size_t start = 0;
  if (auto cursor = req.query_param("cursor")) {
    std::size_t i = 0;
    while (i < items.size() && items[i].value("id", "") != *cursor) ++i;
    if (i == items.size()) return fail(Error(Errc::invalid_request, "The cursor is not valid").with_field("cursor"));
    start = i + 1;
  }
  nlohmann::json data = nlohmann::json::array();
  for (std::size_t i = start; i < items.size() && data.size() < limit; ++i) data.push_back(items[i]);
  bool more = start + data.size() < items.size();
  return nlohmann::json{{"data", data}, {"next_cursor", more ? data.back()["id"] : nlohmann::json(nullptr)}};
}

namespace {

constexpr std::size_t kMaxSettingsBody = 16 * 1024;

nlohmann::json account_json(const identity::Account& a) {
  return {{"id", a.id},
          {"name", a.name},
          {"environment", std::string(identity::to_string(a.environment))},
          {"date_format", a.date_format},
          {"created_at", format_rfc3339(a.created_at)}};
}

nlohmann::json security_json(const identity::Account& a) {
  return {{"account_id", a.id}, {"allow_uncertified_apps", a.allow_uncertified_apps}};
}

http::Response problem(const Error& e, const http::Request& req) { return http::Response::problem(e, req.request_id); }

// Settings are an account admin's business (identity policy: account_manage_settings); everyone
// else who cannot see the account gets 404, a sender 403.
Status require_settings_admin(const identity::Principal& who, std::string_view account_id) {
  return identity::require(who, identity::Action::account_manage_settings, identity::Resource::account(std::string(account_id)));
}

// A settings change: a signed-in account admin (require_settings_admin) sending a JSON object
// with only `fields`. Answers the principal and the body, or the problem response.
struct SettingsChange {
  identity::Principal who;
  nlohmann::json body;
};
tl::expected<SettingsChange, http::Response> settings_change(WebContext& ctx, http::Request& req,
                                                             std::initializer_list<std::string_view> fields) {
  auto caller = authenticate_api(ctx, req, {.scope = {}, .bearer = false, .session = true});
  if (!caller) return tl::unexpected(std::move(caller.error()));
  const auto& who = caller->session->principal;
  if (auto allowed = require_settings_admin(who, req.param("id")); !allowed) {
    return tl::unexpected(problem(allowed.error(), req));
  }
  auto body = http::parse_json_object(req);
  if (!body) return tl::unexpected(problem(body.error(), req));
  if (auto unknown = http::reject_unknown_fields(*body, fields); !unknown) {
    return tl::unexpected(problem(unknown.error(), req));
  }
  return SettingsChange{who, std::move(*body)};
}

}  // namespace

void register_api_routes(http::Router& router, WebContext& ctx) {
  register_app_routes(router, ctx);
  register_envelope_routes(router, ctx);
  register_seal_routes(router, ctx);
  register_call_routes(router, ctx);
  register_trace_routes(router, ctx);
  register_webhook_routes(router, ctx);
  register_cert_evidence_routes(router, ctx);
  register_cert_request_routes(router, ctx);
  register_cert_finish_routes(router, ctx);
  // The requirements catalogue and the public app directory, JSON and pages (issue 6 §1, §7).
  register_directory_routes(router, ctx);
  register_directory_pages(router, ctx);

  // A token reads only the account it was granted for: any other id is "not found", so account
  // ids cannot be probed with a token.
  router.add("GET", "/v1/accounts/{id}", [&ctx](http::Request& req) {
    auto caller = authenticate_api(ctx, req, {.scope = "account:read", .bearer = true, .session = true});
    if (!caller) return std::move(caller.error());
    auto id = req.param("id");
    Error not_found(Errc::not_found, "No such account");
    if (caller->is_token()) {
      if (caller->token->account_id != id) return problem(not_found, req);
    } else if (auto allowed = identity::require(caller->session->principal, identity::Action::account_read,
                                                identity::Resource::account(std::string(id)));
               !allowed) {
      return problem(allowed.error(), req);
    }
    auto account = ctx.directory.get_account(id);
    if (!account) return problem(account.error(), req);
    return http::Response::json(200, account_json(*account));
  });

  router.add("GET", "/v1/users/me", [&ctx](http::Request& req) {
    auto caller = authenticate_api(ctx, req, {.scope = "user:read", .bearer = true, .session = true});
    if (!caller) return std::move(caller.error());
    std::string user_id = caller->is_token() ? caller->token->user_id : caller->session->principal.user_id;
    auto user = ctx.directory.get_user(user_id);
    if (!user) return problem(user.error(), req);
    nlohmann::json body = {{"id", user->id}, {"email", user->email}, {"name", user->name}};
    if (caller->is_token()) body["account_id"] = caller->token->account_id;
    return http::Response::json(200, body);
  });

  router.add("GET", "/v1/accounts/{id}/settings/security", [&ctx](http::Request& req) {
    auto caller = authenticate_api(ctx, req, {.scope = {}, .bearer = false, .session = true});
    if (!caller) return std::move(caller.error());
    auto allowed = require_settings_admin(caller->session->principal, req.param("id"));
    if (!allowed) return problem(allowed.error(), req);
    auto account = ctx.directory.get_account(req.param("id"));
    if (!account) return problem(account.error(), req);
    return http::Response::json(200, security_json(*account));
  });

  // How dates appear in the account's completed documents (issue 7: date fields are drawn in
  // this format when an envelope is sealed).
  router.add("PATCH", "/v1/accounts/{id}/settings/documents", http::RouteOptions{.max_body = kMaxSettingsBody},
             [&ctx](http::Request& req) {
               auto change = settings_change(ctx, req, {"date_format"});
               if (!change) return std::move(change.error());
               auto format = http::required_string(change->body, "date_format");
               if (!format) return problem(format.error(), req);
               auto account = ctx.directory.set_date_format(change->who, req.param("id"), *format, audit_context(req));
               if (!account) return problem(account.error(), req);
               return http::Response::json(200, {{"account_id", account->id}, {"date_format", account->date_format}});
             });

  router.add("PATCH", "/v1/accounts/{id}/settings/security", http::RouteOptions{.max_body = kMaxSettingsBody},
             [&ctx](http::Request& req) {
               auto change = settings_change(ctx, req, {"allow_uncertified_apps"});
               if (!change) return std::move(change.error());
               const auto& who = change->who;
               auto allow = http::required_bool(change->body, "allow_uncertified_apps");
               if (!allow) return problem(allow.error(), req);
               auto account = ctx.directory.set_allow_uncertified_apps(who, req.param("id"), *allow, audit_context(req));
               if (!account) return problem(account.error(), req);
               auto out = security_json(*account);
               // Turning the setting off ends every grant uncertified apps hold here at once
               // (DESIGN.md "Access rule"). verify_bearer reads the setting on every call, so
               // their tokens already fail even if this clean-up were to fail.
               if (!*allow) {
                 auto ended = ctx.authz.revoke_uncertified_grants(account->id,
                                                                  identity::Actor::user(who.user_id, audit_context(req)));
                 if (!ended) return problem(ended.error(), req);
                 out["revoked_grants"] = *ended;
               }
               return http::Response::json(200, out);
             });
}

}  // namespace cs::web
