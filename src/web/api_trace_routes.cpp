// Trace capture (issue 5 §3): /v1/apps/{id}/trace-capture (start, status, stop),
// /v1/apps/{id}/trace-captures (list) and .../{capture_id}/export (HAR 1.2 or JSON, streamed).
// From the console session. Members of the app's partner org start and stop captures; they and
// platform staff read them. Another org's app answers 404 like an unknown one (AppService::get).
#include <nlohmann/json.hpp>

#include "calllog/har_export.hpp"
#include "calllog/trace_capture.hpp"
#include "http/json_body.hpp"
#include "oauth/app_service.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

constexpr ApiAuth kConsole{.scope = {}, .bearer = false, .session = true};
constexpr std::size_t kExportPage = 50;  // entries hold up to 2 × 256 KB of bodies
constexpr std::string_view kCreatorVersion = "0.1.0";

http::Response problem(const Error& e, const http::Request& req) {
  return http::Response::problem(e, req.request_id);
}

// Runs `fn(caller, app)` for a console caller who may see the app, or returns the refusal.
template <class Fn>
http::Response with_app(WebContext& ctx, http::Request& req, Fn&& fn) {
  auto caller = authenticate_api(ctx, req, kConsole);
  if (!caller) return std::move(caller.error());
  if (!ctx.traces) return problem(Error(Errc::unavailable, "Trace capture is not available"), req);
  auto app = ctx.apps.get(caller->session->principal, req.param("id"));
  if (!app) return problem(app.error(), req);
  return fn(*caller, *app);
}

// Starting and stopping a capture is the partner's decision; staff only read.
bool is_member(const ApiCaller& caller, const oauth::App& app) {
  return caller.session->principal.partner_roles.contains(app.partner_org_id);
}

Result<std::pair<std::int64_t, std::int64_t>> parse_start(const http::Request& req) {
  nlohmann::json body = nlohmann::json::object();
  if (!req.body.empty()) body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"duration_minutes", "max_requests"}));
  auto minutes = CS_TRY(http::optional_int(body, "duration_minutes"));
  auto max_requests = CS_TRY(http::optional_int(body, "max_requests"));
  return std::pair{minutes.value_or(calllog::kDefaultCaptureMinutes),
                   max_requests.value_or(calllog::kDefaultCaptureRequests)};
}

http::Response export_response(WebContext& ctx, calllog::TraceCapture capture,
                               calllog::TraceExportFormat format) {
  struct State {
    calllog::TraceCapture capture;
    std::int64_t after_seq = 0;
    bool started = false, done = false, first = true;
  };
  auto state = std::make_shared<State>();
  state->capture = std::move(capture);
  bool har = format == calllog::TraceExportFormat::har;
  http::Response res;
  res.headers.emplace_back("Content-Type", "application/json");
  res.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + state->capture.id +
                                                      (har ? ".har" : ".json") + "\"");
  res.headers.emplace_back("Cache-Control", "no-store");
  auto* traces = ctx.traces;
  Micros now = ctx.traces->clock().now();
  std::string base_url = ctx.issuer;
  res.stream = [state, traces, format, now, base_url]() -> Result<std::string> {
    std::string out;
    if (!state->started) {
      out = calllog::export_prologue(format, state->capture, kCreatorVersion, now);
      state->started = true;
    }
    if (state->done) return out;
    // One page per piece: memory stays bounded whatever max_requests was.
    auto page = CS_TRY(traces->entries(state->capture.id, state->after_seq, kExportPage));
    for (const auto& e : page) {
      if (!state->first) out += ',';
      state->first = false;
      out += (format == calllog::TraceExportFormat::har ? calllog::har_entry(e, base_url)
                                                        : calllog::json_entry(e, base_url))
                 .dump();
      state->after_seq = e.seq;
    }
    if (page.size() < kExportPage) {
      out += calllog::export_epilogue(format);
      state->done = true;
    }
    return out;
  };
  return res;
}

}  // namespace

void register_trace_routes(http::Router& router, WebContext& ctx) {
  router.add(
      "POST", "/v1/apps/{id}/trace-capture", http::RouteOptions{.max_body = 4096},
      [&ctx](http::Request& req) {
        return with_app(ctx, req, [&](const ApiCaller& caller, const oauth::App& app) {
          if (!is_member(caller, app)) {
            return problem(Error(Errc::forbidden,
                                 "Only members of the app's partner org can capture its traces"),
                           req);
          }
          auto limits = parse_start(req);
          if (!limits) return problem(limits.error(), req);
          auto started = ctx.traces->begin(
              app.id, app.partner_org_id, limits->first, limits->second,
              identity::Actor::user(caller.session->principal.user_id, audit_context(req)));
          if (!started) return problem(started.error(), req);
          return http::Response::json(201, calllog::capture_json(*started, started->started_at));
        });
      });

  router.add("GET", "/v1/apps/{id}/trace-capture", [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      auto active = ctx.traces->active(app.id);
      if (!active) return problem(active.error(), req);
      if (!*active)
        return http::Response::json(200,
                                    {{"app_id", app.id}, {"active", false}, {"capture", nullptr}});
      Micros now = ctx.traces->clock().now();
      return http::Response::json(200, {{"app_id", app.id},
                                        {"active", true},
                                        {"capture", calllog::capture_json(**active, now)}});
    });
  });

  router.add("DELETE", "/v1/apps/{id}/trace-capture", [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller& caller, const oauth::App& app) {
      if (!is_member(caller, app)) {
        return problem(Error(Errc::forbidden,
                             "Only members of the app's partner org can stop its trace capture"),
                       req);
      }
      auto stopped = ctx.traces->end(
          app.id, identity::Actor::user(caller.session->principal.user_id, audit_context(req)));
      if (!stopped) return problem(stopped.error(), req);
      return http::Response::json(200, calllog::capture_json(*stopped, *stopped->stopped_at));
    });
  });

  router.add("GET", "/v1/apps/{id}/trace-captures", [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      auto captures = ctx.traces->list(app.id);
      if (!captures) return problem(captures.error(), req);
      Micros now = ctx.traces->clock().now();
      std::vector<nlohmann::json> items;
      items.reserve(captures->size());
      for (const auto& c : *captures) items.push_back(calllog::capture_json(c, now));
      auto page = paginate(req, items);
      if (!page) return problem(page.error(), req);
      return http::Response::json(200, *page);
    });
  });

  router.add("GET", "/v1/apps/{id}/trace-captures/{capture_id}/export", [&ctx](http::Request& req) {
    return with_app(ctx, req, [&](const ApiCaller&, const oauth::App& app) {
      auto format = req.query_param("format").value_or("har");
      if (format != "har" && format != "json") {
        return problem(
            Error(Errc::invalid_request, "format must be har or json").with_field("format"), req);
      }
      auto capture = ctx.traces->get(app.id, std::string(req.param("capture_id")));
      if (!capture) return problem(capture.error(), req);
      // Entries still queued are part of the capture: an export right after the last call sees it.
      ctx.traces->flush();
      auto fresh = ctx.traces->get(app.id, capture->id);
      if (!fresh) return problem(fresh.error(), req);
      return export_response(
          ctx, std::move(*fresh),
          format == "har" ? calllog::TraceExportFormat::har : calllog::TraceExportFormat::json);
    });
  });
}

}  // namespace cs::web
