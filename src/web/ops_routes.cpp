#include <nlohmann/json.hpp>

#include "store/migrations.hpp"
#include "web/templates.hpp"
#include "web/web_context.hpp"

namespace cs::web {

void register_ops_routes(http::Router& router, WebContext& ctx) {
  // Liveness: the process answers. Cheap and non-blocking, so it runs on the io thread.
  router.add("GET", "/healthz", http::RouteOptions{.blocking = false},
             [](http::Request&) { return http::Response::json(200, {{"status", "ok"}}); });

  // Readiness: the database answers and every migration this binary knows is applied.
  router.add("GET", "/readyz", [&ctx](http::Request& req) {
    auto ping = ctx.db.ping();
    if (!ping) {
      return http::Response::problem(Error(Errc::unavailable, "The database is not reachable", ping.error().detail()),
                                     req.request_id, {{"Retry-After", "5"}});
    }
    auto status = store::migration_status(ctx.db);
    if (!status) return http::Response::problem(status.error(), req.request_id);
    if (status->pending > 0 || status->current != status->latest) {
      return http::Response::problem(Error(Errc::unavailable, "Database migrations are pending"), req.request_id,
                                     {{"Retry-After", "5"}});
    }
    return http::Response::json(200, {{"status", "ready"},
                                      {"database", "ok"},
                                      {"migrations", {{"current", status->current}, {"latest", status->latest}}}});
  });

  router.add("GET", "/v1/openapi.json", http::RouteOptions{.blocking = false}, [](http::Request&) {
    http::Response res;
    res.body = std::string(openapi_document());
    res.set_header("Content-Type", "application/json");
    return res;
  });

  router.add("GET", "/metrics", [&ctx](http::Request&) {
    auto res = http::Response::text(200, ctx.metrics.render());
    res.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return res;
  });
}

}  // namespace cs::web
