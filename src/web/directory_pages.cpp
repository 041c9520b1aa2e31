// Public pages: the requirements catalogue (issue 6 §1) and the app directory (issue 6 §7).
// Server-rendered, escaped by mustache, no JavaScript; forms are GET searches (nothing changes, so
// no CSRF token is needed).
#include <nlohmann/json.hpp>

#include <map>

#include "directory/app_directory.hpp"
#include "oauth/app.hpp"
#include "web/directory_render.hpp"
#include "web/page_support.hpp"
#include "web/templates.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

// Every value of a repeated query parameter ("functions=send&functions=track"); comma-separated
// values are split too, so the API's "functions=send,track" form works here as well.
std::vector<std::string> query_values(const http::Request& req, std::string_view name) {
  std::vector<std::string> out;
  std::string_view rest = req.query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    auto value = http::percent_decode(pair.substr(eq + 1), true);
    if (value) out.push_back(*value);
  }
  return out;
}

std::string category_label(std::string_view c) {
  static const std::map<std::string_view, std::string_view> kLabels = {
      {"oauth", "OAuth connection"}, {"security", "Security"},  {"api-usage", "API usage"},
      {"video", "Video"},           {"traces", "Traces"},       {"questionnaire", "Questionnaire and forms"},
      {"listing", "Directory listing"}};
  auto it = kLabels.find(c);
  return std::string(it == kLabels.end() ? c : it->second);
}

std::string day_of(Micros t) { return format_rfc3339(t).substr(0, 10); }

mstch::array string_array(const std::vector<std::string>& items) {
  mstch::array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

http::Response requirements_page(const http::Request& req) {
  auto catalogue = requested_catalogue(req);
  if (!catalogue) return error_page(404, "Not found", "There is no requirements catalogue with that version.");
  const auto& c = **catalogue;
  std::string joined;
  for (const auto& v : query_values(req, "functions")) joined += v + ",";
  auto functions = parse_function_list(joined);
  if (!functions) return error_page(400, "Bad request", functions.error().message());
  bool filtered = !functions->empty();
  std::vector<const certification::Requirement*> selected;
  if (filtered) {
    selected = c.applicable(*functions);
  } else {
    for (const auto& r : c.requirements) selected.push_back(&r);
  }
  mstch::array categories;
  for (auto cat : certification::kCatalogueCategories) {
    mstch::array reqs;
    for (const auto* r : selected) {
      if (r->category != cat) continue;
      reqs.emplace_back(mstch::map{{"id", r->id},
                                   {"title", r->title},
                                   {"text", r->text},
                                   {"required", r->required},
                                   {"evidence", string_array(r->evidence)},
                                   {"stage", r->stage},
                                   {"check", r->check},
                                   {"functions", string_array(r->functions)},
                                   {"source", r->source}});
    }
    if (reqs.empty()) continue;
    categories.emplace_back(
        mstch::map{{"name", std::string(cat)}, {"label", category_label(cat)}, {"requirements", reqs}});
  }
  mstch::array versions;
  for (const auto& v : certification::embedded_catalogues()) {
    versions.emplace_back(mstch::map{{"name", v.version}, {"selected", v.version == c.version}});
  }
  mstch::array fn_options;
  for (auto f : oauth::app_functions()) {
    fn_options.emplace_back(mstch::map{{"name", std::string(f)}, {"checked", functions->count(std::string(f)) > 0}});
  }
  mstch::map page{{"title", std::string("Certification requirements")},
                  {"catalogue_title", c.title},
                  {"version", c.version},
                  {"effective", c.effective},
                  {"current", c.version == certification::current_catalogue().version},
                  {"versions", versions},
                  {"functions", fn_options},
                  {"filtered", filtered},
                  {"count", std::to_string(selected.size())},
                  {"categories", categories}};
  return http::Response::html(200, render_page("requirements", page));
}

mstch::map entry_context(const directory::DirectoryEntry& e) {
  mstch::array scopes;
  for (const auto& s : e.scopes) scopes.emplace_back(mstch::map{{"name", s.name}, {"description", s.description}});
  mstch::array collateral;
  for (const auto& l : e.collateral) collateral.emplace_back(mstch::map{{"label", l.label}, {"url", l.url}});
  return mstch::map{{"id", e.app_id},
                    {"name", e.name},
                    {"title", e.name},
                    {"partner_name", e.partner_name},
                    {"description", e.description},
                    {"documentation_url", e.documentation_url},
                    {"support_url", e.support_url},
                    {"connect_url", e.connect_url.value_or("")},
                    {"collateral", collateral},
                    {"has_links", !e.documentation_url.empty() || !e.support_url.empty() || !e.collateral.empty()},
                    {"categories", string_array(e.categories)},
                    {"has_categories", !e.categories.empty()},
                    {"functions", string_array(e.functions)},
                    {"scopes", scopes},
                    {"certified_version", std::to_string(e.certified_version)},
                    {"certified_at", format_rfc3339(e.certified_at)},
                    {"certified_on", day_of(e.certified_at)}};
}

}  // namespace

void register_directory_pages(http::Router& router, WebContext& ctx) {
  router.add("GET", "/certification/requirements", [](http::Request& req) { return requirements_page(req); });

  router.add("GET", "/directory", [&ctx](http::Request& req) {
    if (!ctx.app_directory) return error_page(503, "Unavailable", "The directory is not available right now.");
    directory::DirectoryQuery q;
    q.q = req.query_param("q").value_or("");
    q.function = req.query_param("function").value_or("");
    q.cursor = req.query_param("cursor").value_or("");
    auto page = ctx.app_directory->search(q);
    if (!page) {
      if (page.error().errc() == Errc::invalid_request) return error_page(400, "Bad request", page.error().message());
      return error_page(500, "Something went wrong", "The directory could not be loaded. Please try again.");
    }
    mstch::array apps;
    for (const auto& e : page->entries) apps.emplace_back(entry_context(e));
    mstch::array fn_options;
    for (auto f : oauth::app_functions()) {
      fn_options.emplace_back(mstch::map{{"name", std::string(f)}, {"selected", q.function == f}});
    }
    std::string next_url;
    if (page->next_cursor) {
      std::vector<std::pair<std::string, std::string>> params;
      if (!q.q.empty()) params.emplace_back("q", q.q);
      if (!q.function.empty()) params.emplace_back("function", q.function);
      params.emplace_back("cursor", *page->next_cursor);
      next_url = append_query("/directory", params);
    }
    mstch::map view{{"title", std::string("App directory")},
                    {"q", q.q},
                    {"functions", fn_options},
                    {"apps", apps},
                    {"has_apps", !apps.empty()},
                    {"next_url", next_url}};
    return http::Response::html(200, render_page("directory", view));
  });

  router.add("GET", "/directory/apps/{id}", [&ctx](http::Request& req) {
    if (!ctx.app_directory) return error_page(503, "Unavailable", "The directory is not available right now.");
    auto e = ctx.app_directory->entry(req.param("id"));
    if (!e) {
      if (e.error().errc() == Errc::not_found) return error_page(404, "Not found", "This app is not in the directory.");
      return error_page(500, "Something went wrong", "The directory could not be loaded. Please try again.");
    }
    return http::Response::html(200, render_page("directory_app", entry_context(*e)));
  });
}

}  // namespace cs::web
