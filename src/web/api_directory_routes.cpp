// The requirements catalogue (issue 6 §1) and the public app directory (issue 6 §7) as JSON:
//   GET /v1/certification/requirements        public; ?version= (default: current), ?functions=
//   GET /v1/directory/apps                    public; certified apps only; ?q= ?function= ?cursor= ?limit=
//   GET /v1/directory/apps/{id}               public; 404 for anything not listed
//   GET/PUT /v1/apps/{id}/listing             the partner console (session + CSRF on PUT); staff read
#include <charconv>

#include <nlohmann/json.hpp>

#include "certification/catalogue.hpp"
#include "directory/app_directory.hpp"
#include "http/json_body.hpp"
#include "oauth/app.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/directory_render.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

constexpr ApiAuth kConsole{.scope = {}, .bearer = false, .session = true};
constexpr std::size_t kMaxListingBody = 64 * 1024;

http::Response problem(const Error& e, const http::Request& req) { return http::Response::problem(e, req.request_id); }

http::Response unavailable(const http::Request& req) {
  return problem(Error(Errc::unavailable, "The directory is not available"), req);
}

nlohmann::json requirement_json(const certification::Requirement& r) {
  return {{"id", r.id},         {"title", r.title},       {"text", r.text},
          {"category", r.category}, {"evidence", r.evidence}, {"functions", r.functions},
          {"required", r.required}, {"check", r.check.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.check)},
          {"stage", r.stage},   {"source", r.source}};
}

nlohmann::json listing_json(const directory::Listing& l) {
  auto opt = [](const std::optional<std::string>& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); };
  auto collateral = nlohmann::json::array();
  for (const auto& c : l.input.collateral) collateral.push_back({{"label", c.label}, {"url", c.url}});
  return {{"app_id", l.app_id},
          {"listed", l.listed},
          {"description", opt(l.input.description)},
          {"documentation_url", opt(l.input.documentation_url)},
          {"support_url", opt(l.input.support_url)},
          {"connect_url", opt(l.input.connect_url)},
          {"collateral", collateral},
          {"categories", l.input.categories},
          {"updated_by", opt(l.updated_by)},
          {"updated_at", time_json(l.updated_at)}};
}

Result<std::optional<std::string>> nullable_string(const nlohmann::json& body, std::string_view key) {
  auto it = body.find(std::string(key));
  if (it == body.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) {
    return fail(Error(Errc::validation_failed, std::string(key) + " must be a string or null").with_field(std::string(key)));
  }
  return std::optional<std::string>{it->get<std::string>()};
}

// PUT replaces the whole listing: a missing key is the same as null (or an empty list).
Result<directory::ListingInput> parse_listing(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(
      body, {"description", "documentation_url", "support_url", "connect_url", "collateral", "categories"}));
  directory::ListingInput in;
  in.description = CS_TRY(nullable_string(body, "description"));
  in.documentation_url = CS_TRY(nullable_string(body, "documentation_url"));
  in.support_url = CS_TRY(nullable_string(body, "support_url"));
  in.connect_url = CS_TRY(nullable_string(body, "connect_url"));
  in.categories = CS_TRY(optional_string_list(body, "categories")).value_or(std::vector<std::string>{});
  auto it = body.find("collateral");
  if (it != body.end() && !it->is_null()) {
    if (!it->is_array()) return fail(Error(Errc::validation_failed, "collateral must be an array").with_field("collateral"));
    if (it->size() > directory::kMaxCollateralLinks) {
      return fail(Error(Errc::validation_failed, "At most 10 collateral links").with_field("collateral"));
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& item = (*it)[i];
      std::string field = "collateral/" + std::to_string(i);
      if (!item.is_object() || item.size() != 2 || !item.contains("label") || !item.contains("url") ||
          !item["label"].is_string() || !item["url"].is_string()) {
        return fail(Error(Errc::validation_failed, "A collateral link is {\"label\": text, \"url\": https URL}")
                        .with_field(field));
      }
      in.collateral.push_back({item["label"].get<std::string>(), item["url"].get<std::string>()});
    }
  }
  return in;
}

Result<directory::DirectoryQuery> parse_query(const http::Request& req) {
  directory::DirectoryQuery q;
  q.q = req.query_param("q").value_or("");
  q.function = req.query_param("function").value_or("");
  q.cursor = req.query_param("cursor").value_or("");
  if (auto limit = req.query_param("limit")) {
    int n = 0;
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || p != limit->data() + limit->size()) {
      return fail(Error(Errc::invalid_request, "limit must be a number between 1 and 100").with_field("limit"));
    }
    q.limit = n;
  }
  return q;
}

}  // namespace

Result<std::set<std::string>> parse_function_list(std::string_view text) {
  std::set<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string item(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    if (!oauth::is_known_function(item)) {
      return fail(Error(Errc::invalid_request, "Unknown function \"" + item + "\"").with_field("functions"));
    }
    out.insert(item);
  }
  return out;
}

Result<const certification::Catalogue*> requested_catalogue(const http::Request& req) {
  auto version = req.query_param("version");
  if (!version || version->empty()) return &certification::current_catalogue();
  for (const auto& c : certification::embedded_catalogues()) {
    if (c.version == *version) return &c;
  }
  return fail(Errc::not_found, "No such requirements catalogue version");
}

nlohmann::json directory_entry_json(const directory::DirectoryEntry& e) {
  auto scopes = nlohmann::json::array();
  for (const auto& s : e.scopes) scopes.push_back({{"name", s.name}, {"description", s.description}});
  auto collateral = nlohmann::json::array();
  for (const auto& c : e.collateral) collateral.push_back({{"label", c.label}, {"url", c.url}});
  return {{"id", e.app_id},
          {"name", e.name},
          {"client_id", e.client_id},
          {"partner", {{"id", e.partner_org_id}, {"name", e.partner_name}}},
          {"description", e.description},
          {"documentation_url", e.documentation_url.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.documentation_url)},
          {"support_url", e.support_url.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.support_url)},
          {"connect_url", e.connect_url ? nlohmann::json(*e.connect_url) : nlohmann::json(nullptr)},
          {"collateral", collateral},
          {"categories", e.categories},
          {"functions", e.functions},
          {"scopes", scopes},
          {"certified_version", e.certified_version},
          {"certified_at", format_rfc3339(e.certified_at)}};
}

void register_directory_routes(http::Router& router, WebContext& ctx) {
  router.add("GET", "/v1/certification/requirements", [](http::Request& req) {
    auto catalogue = requested_catalogue(req);
    if (!catalogue) return problem(catalogue.error(), req);
    const auto& c = **catalogue;
    std::vector<const certification::Requirement*> selected;
    if (auto fns = req.query_param("functions")) {
      auto set = parse_function_list(*fns);
      if (!set) return problem(set.error(), req);
      selected = c.applicable(*set);
    } else {
      for (const auto& r : c.requirements) selected.push_back(&r);
    }
    auto items = nlohmann::json::array();
    for (const auto* r : selected) items.push_back(requirement_json(*r));
    auto versions = nlohmann::json::array();
    for (const auto& v : certification::embedded_catalogues()) versions.push_back(v.version);
    return http::Response::json(200, {{"version", c.version},
                                      {"title", c.title},
                                      {"effective", c.effective},
                                      {"current", c.version == certification::current_catalogue().version},
                                      {"versions", versions},
                                      {"requirements", items}});
  });

  router.add("GET", "/v1/directory/apps", [&ctx](http::Request& req) {
    if (!ctx.app_directory) return unavailable(req);
    auto q = parse_query(req);
    if (!q) return problem(q.error(), req);
    auto page = ctx.app_directory->search(*q);
    if (!page) return problem(page.error(), req);
    auto data = nlohmann::json::array();
    for (const auto& e : page->entries) data.push_back(directory_entry_json(e));
    return http::Response::json(200, {{"data", data},
                                      {"next_cursor", page->next_cursor ? nlohmann::json(*page->next_cursor)
                                                                        : nlohmann::json(nullptr)}});
  });

  router.add("GET", "/v1/directory/apps/{id}", [&ctx](http::Request& req) {
    if (!ctx.app_directory) return unavailable(req);
    auto e = ctx.app_directory->entry(req.param("id"));
    if (!e) return problem(e.error(), req);
    return http::Response::json(200, directory_entry_json(*e));
  });

  router.add("GET", "/v1/apps/{id}/listing", [&ctx](http::Request& req) {
    if (!ctx.app_directory) return unavailable(req);
    auto caller = authenticate_api(ctx, req, kConsole);
    if (!caller) return std::move(caller.error());
    auto l = ctx.app_directory->listing(caller->session->principal, req.param("id"));
    if (!l) return problem(l.error(), req);
    return http::Response::json(200, listing_json(*l));
  });

  router.add("PUT", "/v1/apps/{id}/listing", http::RouteOptions{.max_body = kMaxListingBody}, [&ctx](http::Request& req) {
    if (!ctx.app_directory) return unavailable(req);
    auto caller = authenticate_api(ctx, req, kConsole);
    if (!caller) return std::move(caller.error());
    // Authorise before looking at the body: another org's app answers 404 whatever was sent.
    auto current = ctx.app_directory->listing(caller->session->principal, req.param("id"));
    if (!current) return problem(current.error(), req);
    auto input = parse_listing(req);
    if (!input) return problem(input.error(), req);
    auto l = ctx.app_directory->update_listing(caller->session->principal, req.param("id"), std::move(*input),
                                               audit_context(req));
    if (!l) return problem(l.error(), req);
    return http::Response::json(200, listing_json(*l));
  });
}

}  // namespace cs::web
