// /v1/webhooks (issue 4 §4): an app's webhook subscriptions on the account its token is for,
// the delivery log, manual redelivery and secret rotation. Scope webhook:manage, bearer tokens
// only: a subscription belongs to the token's account AND app, and WebhookService scopes every
// lookup to that pair, so another app's or account's ids answer 404 like unknown ones.
//
// POST /v1/webhooks does not take Idempotency-Key: its response carries the signing secret, and
// the idempotency store keeps first responses in plaintext, which would put the secret in the
// database. The secret is shown once, and a lost one is replaced with rotate-secret.
#include <charconv>

#include <nlohmann/json.hpp>

#include "events/webhook_service.hpp"
#include "http/json_body.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

constexpr ApiAuth kWebhookAuth{.scope = "webhook:manage", .bearer = true, .session = false};
constexpr std::size_t kMaxWebhookBody = 16 * 1024;

http::Response problem(const Error& e, const http::Request& req) { return http::Response::problem(e, req.request_id); }

nlohmann::json subscription_json(const events::Subscription& s) {
  return {{"id", s.id},
          {"url", s.url},
          {"events", s.events},
          {"description", s.description},
          {"enabled", s.enabled},
          {"disabled_reason", s.disabled_reason ? nlohmann::json(*s.disabled_reason) : nlohmann::json(nullptr)},
          {"previous_secret_expires_at", time_json(s.previous_secret_expires_at)},
          {"account_id", s.account_id},
          {"app_id", s.app_id},
          {"created_at", format_rfc3339(s.created_at)},
          {"updated_at", format_rfc3339(s.updated_at)}};
}

nlohmann::json with_secret(const events::SubscriptionWithSecret& s) {
  auto j = subscription_json(s.subscription);
  j["secret"] = s.secret;
  return j;
}

nlohmann::json optional_int(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }
nlohmann::json optional_text(const std::optional<std::string>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json delivery_json(const events::Delivery& d) {
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : d.attempts) {
    attempts.push_back({{"kind", a.kind},
                        {"attempted_at", format_rfc3339(a.attempted_at)},
                        {"status_code", optional_int(a.status_code)},
                        {"latency_ms", a.latency_ms},
                        {"error", optional_text(a.error)},
                        {"response_body", a.response_body}});
  }
  return {{"id", d.id},
          {"subscription_id", d.subscription_id},
          {"event_id", d.event_id},
          {"event_type", d.event_type},
          {"status", d.status},
          {"automatic_attempts", d.automatic_attempts},
          {"next_attempt_at", time_json(d.next_attempt_at)},
          {"last_attempt_at", time_json(d.last_attempt_at)},
          {"last_status_code", optional_int(d.last_status_code)},
          {"last_error", optional_text(d.last_error)},
          {"created_at", format_rfc3339(d.created_at)},
          {"attempts", attempts}};
}

Result<std::vector<std::string>> required_events(const nlohmann::json& body) {
  auto events = CS_TRY(optional_string_list(body, "events"));
  if (!events) return fail(Error(Errc::validation_failed, "events is required").with_field("events"));
  return std::move(*events);
}

Result<events::NewSubscription> parse_new(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"url", "events", "description"}));
  events::NewSubscription in;
  in.url = CS_TRY(http::required_string(body, "url"));
  in.events = CS_TRY(required_events(body));
  in.description = CS_TRY(http::optional_string(body, "description")).value_or("");
  return in;
}

Result<events::SubscriptionPatch> parse_patch(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"url", "events", "description", "enabled"}));
  events::SubscriptionPatch patch;
  patch.url = CS_TRY(http::optional_string(body, "url"));
  patch.events = CS_TRY(optional_string_list(body, "events"));
  patch.description = CS_TRY(http::optional_string(body, "description"));
  patch.enabled = CS_TRY(http::optional_bool(body, "enabled"));
  return patch;
}

Result<events::DeliveryQuery> parse_delivery_query(const http::Request& req) {
  events::DeliveryQuery q;
  if (auto raw = req.query_param("limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), n);
    if (ec != std::errc() || end != raw->data() + raw->size() || n < 1 || n > 100) {
      return fail(Error(Errc::invalid_request, "limit must be an integer from 1 to 100").with_field("limit"));
    }
    q.limit = n;
  }
  q.cursor = req.query_param("cursor");
  if (auto status = req.query_param("status")) {
    if (*status != "pending" && *status != "succeeded" && *status != "failed") {
      return fail(Error(Errc::invalid_request, "status must be pending, succeeded or failed").with_field("status"));
    }
    q.status = *status;
  }
  return q;
}

// Authenticates the token and runs `fn(service, caller)`, or returns the refusal.
template <class Fn>
http::Response with_caller(WebContext& ctx, http::Request& req, Fn&& fn) {
  auto caller = authenticate_api(ctx, req, kWebhookAuth);
  if (!caller) return std::move(caller.error());
  if (!ctx.webhooks) return problem(Error(Errc::unavailable, "Webhooks are not available"), req);
  const auto& token = *caller->token;
  events::WebhookCaller who{token.account_id, token.app_id, token.user_id, audit_context(req)};
  return fn(*ctx.webhooks, who);
}

}  // namespace

void register_webhook_routes(http::Router& router, WebContext& ctx) {
  const http::RouteOptions json_route{.max_body = kMaxWebhookBody};

  router.add("POST", "/v1/webhooks", json_route, [&ctx](http::Request& req) {
    return with_caller(ctx, req, [&](events::WebhookService& hooks, const events::WebhookCaller& who) {
      auto input = parse_new(req);
      if (!input) return problem(input.error(), req);
      auto created = hooks.create(who, *input);
      if (!created) return problem(created.error(), req);
      auto res = http::Response::json(201, with_secret(*created));
      res.set_header("Location", "/v1/webhooks/" + created->subscription.id);
      return res;
    });
  });

  router.add("GET", "/v1/webhooks", [&ctx](http::Request& req) {
    return with_caller(ctx, req, [&](events::WebhookService& hooks, const events::WebhookCaller& who) {
      auto listed = hooks.list(who);
      if (!listed) return problem(listed.error(), req);
      std::vector<nlohmann::json> items;
      for (const auto& s : *listed) items.push_back(subscription_json(s));
      auto page = paginate(req, items);
      if (!page) return problem(page.error(), req);
      return http::Response::json(200, *page);
    });
  });

  router.add("GET", "/v1/webhooks/{id}", [&ctx](http::Request& req) {
    return with_caller(ctx, req, [&](events::WebhookService& hooks, const events::WebhookCaller& who) {
      auto s = hooks.get(who, req.param("id"));
      if (!s) return problem(s.error(), req);
      return http::Response::json(200, subscription_json(*s));
    });
  });

  router.add("PATCH", "/v1/webhooks/{id}", json_route, [&ctx](http::Request& req) {
    return with_caller(ctx, req, [&](events::WebhookService& hooks, const events::WebhookCaller& who) {
      auto patch = parse_patch(req);
      if (!patch) return problem(patch.error(), req);
      auto s = hooks.update(who, req.param("id"), *patch);
      if (!s) return problem(s.error(), req);
      return http::Response::json(200, subscription_json(*s));
    });
  });

  router.add("DELETE", "/v1/webhooks/{id}", [&ctx](http::Request& req) {
    return with_caller(ctx, req, [&](events::WebhookService& hooks, const events::WebhookCaller& who) {
      auto removed = hooks.remove(who, req.param("id"));
      if (!removed) return problem(removed.error(), req);
      http::Response res;
      res.status = 204;
      return res;
    });
  });

  router.add("POST", "/v1/webhooks/{id}/rotate-secret", json_route, [&ctx](http::Request& req) {
    return with_caller(ctx, req, [&](events::WebhookService& hooks, const events::WebhookCaller& who) {
      auto rotated = hooks.rotate_secret(who, req.param("id"));
      if (!rotated) return problem(rotated.error(), req);
      return http::Response::json(200, with_secret(*rotated));
    });
  });

  router.add("GET", "/v1/webhooks/{id}/deliveries", [&ctx](http::Request& req) {
    return with_caller(ctx, req, [&](events::WebhookService& hooks, const events::WebhookCaller& who) {
      auto query = parse_delivery_query(req);
      if (!query) return problem(query.error(), req);
      auto page = hooks.deliveries(who, req.param("id"), *query);
      if (!page) return problem(page.error(), req);
      nlohmann::json data = nlohmann::json::array();
      for (const auto& d : page->items) data.push_back(delivery_json(d));
      return http::Response::json(
          200, {{"data", data}, {"next_cursor", page->next_cursor ? nlohmann::json(*page->next_cursor) : nlohmann::json(nullptr)}});
    });
  });

  router.add("POST", "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", json_route, [&ctx](http::Request& req) {
    return with_caller(ctx, req, [&](events::WebhookService& hooks, const events::WebhookCaller& who) {
      auto d = hooks.retry(who, req.param("id"), req.param("delivery_id"));
      if (!d) return problem(d.error(), req);
      return http::Response::json(202, delivery_json(*d));
    });
  });
}

}  // namespace cs::web
