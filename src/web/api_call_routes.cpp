// Reading the API call log (issue 5 §2) and the staff rate-limit override (§4). Partner members
// read their own org's apps (another org's app answers 404 like an unknown one, through
// AppService::get); staff read any app. All from the console session.
#include <charconv>

#include <nlohmann/json.hpp>

#include "calllog/call_log.hpp"
#include "calllog/call_query.hpp"
#include "calllog/review.hpp"
#include "http/json_body.hpp"
#include "oauth/app_service.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/calllog_render.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

constexpr ApiAuth kConsole{.scope = {}, .bearer = false, .session = true};
constexpr Micros kDefaultRange = 24LL * 3600 * kMicrosPerSecond;
constexpr std::size_t kExportPage = 1000;

http::Response problem(const Error& e, const http::Request& req) { return http::Response::problem(e, req.request_id); }

Error bad_param(std::string message, std::string field) {
  return Error(Errc::invalid_request, std::move(message)).with_field(std::move(field));
}

// Range from `from` / `to` (RFC 3339); without them the last 24 hours.
Result<std::pair<Micros, Micros>> time_range(const http::Request& req, Micros now, bool required) {
  auto from_text = req.query_param("from"), to_text = req.query_param("to");
  if (required && !from_text) return fail(bad_param("from is required", "from"));
  if (required && !to_text) return fail(bad_param("to is required", "to"));
  Micros to = to_text ? CS_TRY(calllog::parse_rfc3339(*to_text, "to")) : now;
  Micros from = from_text ? CS_TRY(calllog::parse_rfc3339(*from_text, "from")) : to - kDefaultRange;
  return std::pair{from, to};
}

bool known_route(const http::Router& router, std::string_view path_template) {
  if (!path_template.starts_with("/v1/") && !path_template.starts_with("/oauth/")) return false;
  for (const auto& r : router.routes()) {
    if (r->path_template == path_template) return true;
  }
  return false;
}

Result<calllog::CallFilter> parse_filter(const http::Router& router, const http::Request& req, const std::string& app_id,
                                         Micros now) {
  calllog::CallFilter f;
  f.app_id = app_id;
  std::tie(f.from, f.to) = CS_TRY(time_range(req, now, false));
  if (auto cls = req.query_param("status_class")) {
    std::string c = *cls;
    if (c.size() == 3 && c.substr(1) == "xx") c = c.substr(0, 1);
    if (c.size() != 1 || c[0] < '1' || c[0] > '5') {
      return fail(bad_param("status_class must be one of 1xx, 2xx, 3xx, 4xx, 5xx", "status_class"));
    }
    f.status_class = c[0] - '0';
  }
  if (auto route = req.query_param("route")) {
    if (!known_route(router, *route)) {
      return fail(bad_param("route must be a route template of the API, such as /v1/envelopes/{id}", "route"));
    }
    f.route = *route;
  }
  if (auto resource = req.query_param("resource_id")) {
    if (resource->empty() || resource->size() > 100) return fail(bad_param("resource_id is not valid", "resource_id"));
    f.resource_id = *resource;
  }
  CS_CHECK(calllog::validate(f));
  return f;
}

Result<std::size_t> page_limit(const http::Request& req) {
  auto raw = req.query_param("limit");
  if (!raw) return std::size_t{100};
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), n);
  if (ec != std::errc() || end != raw->data() + raw->size() || n < 1 || n > 1000) {
    return fail(bad_param("limit must be an integer from 1 to 1000", "limit"));
  }
  return n;
}

// Runs `fn(app)` for a console caller who may read the app's calls, or returns the refusal.
template <class Fn>
http::Response with_app(WebContext& ctx, http::Request& req, Fn&& fn) {
  auto caller = authenticate_api(ctx, req, kConsole);
  if (!caller) return std::move(caller.error());
  if (!ctx.calllog) return problem(Error(Errc::unavailable, "The call log is not available"), req);
  auto app = ctx.apps.get(caller->session->principal, req.param("id"));
  if (!app) return problem(app.error(), req);
  return fn(*caller, *app);
}

http::Response export_response(WebContext& ctx, calllog::CallFilter filter, bool csv) {
  struct State {
    calllog::CallFilter filter;
    std::optional<calllog::Cursor> after;
    bool header_sent = false, done = false;
  };
  auto state = std::make_shared<State>(State{std::move(filter), std::nullopt, false, false});
  http::Response res;
  res.headers.emplace_back("Content-Type", csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
  res.headers.emplace_back("Content-Disposition",
                           std::string("attachment; filename=\"calls.") + (csv ? "csv" : "jsonl") + "\"");
  res.headers.emplace_back("Cache-Control", "no-store");
  auto& db = ctx.calllog->db();
  res.stream = [state, &db, csv]() -> Result<std::string> {
    std::string out;
    if (csv && !state->header_sent) out = calllog_csv_header();
    state->header_sent = true;
    if (state->done) return out;
    // One page per piece: memory stays bounded by the page size, whatever the range.
    auto page = CS_TRY(calllog::list_calls(db, state->filter, state->after, kExportPage));
    for (const auto& c : page.calls) out += csv ? calllog_csv_row(c) : call_json(c).dump() + "\n";
    if (!page.next_cursor) {
      state->done = true;
    } else {
      state->after = calllog::Cursor{page.calls.back().at, page.calls.back().id};
    }
    if (out.empty() && state->done) return std::string();
    return out;
  };
  return res;
}

Result<calllog::AppRateLimits> parse_limits(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"hourly", "burst_production", "burst_sandbox"}));
  calllog::AppRateLimits l;
  l.hourly = CS_TRY(http::required_int(body, "hourly"));
  l.burst_production = CS_TRY(http::required_int(body, "burst_production"));
  l.burst_sandbox = CS_TRY(http::required_int(body, "burst_sandbox"));
  for (auto [value, name] : {std::pair{l.hourly, "hourly"}, std::pair{l.burst_production, "burst_production"},
                             std::pair{l.burst_sandbox, "burst_sandbox"}}) {
    if (value < 1 || value > 1'000'000'000) {
      return fail(Error(Errc::validation_failed, std::string(name) + " must be from 1 to 1000000000").with_field(name));
    }
  }
  return l;
}

nlohmann::json limits_json(const std::string& app_id, const calllog::AppRateLimits& l) {
  return {{"app_id", app_id},
          {"hourly", l.hourly},
          {"burst_production", l.burst_production},
          {"burst_sandbox", l.burst_sandbox},
          {"burst_window_seconds", calllog::kBurstWindow / kMicrosPerSecond}};
}

}  // namespace

void register_call_routes(http::Router& router, WebContext& ctx) {
  router.add("GET", "/v1/apps/{id}/calls", [&ctx, &router](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      auto filter = parse_filter(router, req, app.id, ctx.calllog->clock().now());
      if (!filter) return problem(filter.error(), req);
      auto limit = page_limit(req);
      if (!limit) return problem(limit.error(), req);
      std::optional<calllog::Cursor> after;
      if (auto cursor = req.query_param("cursor")) {
        auto decoded = calllog::decode_cursor(*cursor);
        if (!decoded) return problem(decoded.error(), req);
        after = std::move(*decoded);
      }
      auto page = calllog::list_calls(ctx.calllog->db(), *filter, after, *limit);
      if (!page) return problem(page.error(), req);
      nlohmann::json data = nlohmann::json::array();
      for (const auto& c : page->calls) data.push_back(call_json(c));
      return http::Response::json(
          200, {{"data", data}, {"next_cursor", page->next_cursor ? nlohmann::json(*page->next_cursor) : nlohmann::json(nullptr)}});
    });
  });

  router.add("GET", "/v1/apps/{id}/calls/export", [&ctx, &router](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      auto format = req.query_param("format").value_or("jsonl");
      if (format != "jsonl" && format != "csv") return problem(bad_param("format must be jsonl or csv", "format"), req);
      auto filter = parse_filter(router, req, app.id, ctx.calllog->clock().now());
      if (!filter) return problem(filter.error(), req);
      return export_response(ctx, std::move(*filter), format == "csv");
    });
  });

  router.add("GET", "/v1/apps/{id}/calls/summary", [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      auto range = time_range(req, ctx.calllog->clock().now(), false);
      if (!range) return problem(range.error(), req);
      auto days = calllog::summarize_days(ctx.calllog->db(), app.id, range->first, range->second);
      if (!days) return problem(days.error(), req);
      nlohmann::json data = nlohmann::json::array();
      for (const auto& d : *days) data.push_back(day_summary_json(d));
      return http::Response::json(200, {{"app_id", app.id}, {"from", format_rfc3339(range->first)},
                                        {"to", format_rfc3339(range->second)}, {"days", data}});
    });
  });

  router.add("GET", "/v1/apps/{id}/calls/happy-path", [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      auto date = req.query_param("date");
      if (!date) return problem(Error(Errc::validation_failed, "date is required (YYYY-MM-DD)").with_field("date"), req);
      auto found = calllog::happy_path_calls(ctx.calllog->db(), app.id, *date, req.query_param("time_zone").value_or("UTC"));
      if (!found) return problem(found.error(), req);
      return http::Response::json(200, happy_path_json(*found));
    });
  });

  router.add("GET", "/v1/apps/{id}/calls/behaviour", [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      auto range = time_range(req, ctx.calllog->clock().now(), true);
      if (!range) return problem(range.error(), req);
      auto report = calllog::behaviour_report(ctx.calllog->db(), app.id, range->first, range->second);
      if (!report) return problem(report.error(), req);
      return http::Response::json(200, behaviour_json(*report));
    });
  });

  router.add("GET", "/v1/apps/{id}/rate-limits", [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      return http::Response::json(200, limits_json(app.id, ctx.calllog->limits().limits_for(app.id)));
    });
  });

  router.add("PUT", "/v1/apps/{id}/rate-limits", http::RouteOptions{.max_body = 4096}, [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller& caller, const oauth::App& app) {
      const auto& who = caller.session->principal;
      if (!who.is_staff()) return problem(Error(Errc::forbidden, "Only platform staff can change rate limits"), req);
      auto limits = parse_limits(req);
      if (!limits) return problem(limits.error(), req);
      auto saved = calllog::set_app_rate_limits(ctx.calllog->db(), ctx.calllog->audit(), ctx.calllog->limits(), app.id,
                                                app.partner_org_id, *limits,
                                                identity::Actor::user(who.user_id, audit_context(req)),
                                                ctx.calllog->clock().now());
      if (!saved) return problem(saved.error(), req);
      return http::Response::json(200, limits_json(app.id, *limits));
    });
  });
}

}  // namespace cs::web
