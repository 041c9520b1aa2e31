#include "web/calllog_observer.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "calllog/call_log.hpp"
#include "calllog/trace_capture.hpp"
#include "core/ids.hpp"
#include "crypto/primitives.hpp"
#include "oauth/app_service.hpp"
#include "web/form.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

bool is_client_endpoint(std::string_view route) {
  return route == "/oauth/token" || route == "/oauth/revoke" || route == "/oauth/introspect";
}

void set_rate_headers(http::Response& res, const calllog::RateDecision& d) {
  res.set_header("X-RateLimit-Limit", std::to_string(d.hourly_limit));
  res.set_header("X-RateLimit-Remaining", std::to_string(d.hourly_remaining));
  res.set_header("X-RateLimit-Reset", std::to_string(d.hourly_reset / kMicrosPerSecond));
  res.set_header("X-BurstLimit-Limit", std::to_string(d.burst_limit));
  res.set_header("X-BurstLimit-Remaining", std::to_string(d.burst_remaining));
}

// The problem `code` or the OAuth `error` of an error response.
std::string error_code_of(const http::Response& res) {
  if (res.status < 400) return {};
  auto type = res.header("Content-Type").value_or("");
  if (type.find("json") == std::string_view::npos) return {};
  auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (!body.is_object()) return {};
  for (const char* key : {"code", "error"}) {
    auto it = body.find(key);
    if (it != body.end() && it->is_string()) return it->get<std::string>().substr(0, 64);
  }
  return {};
}

struct ClaimedClient {
  std::string id;
  std::optional<std::string> secret;
};

// The client a token/revoke/introspect request claims to be (HTTP Basic or the form body).
std::optional<ClaimedClient> claimed_client(const http::Request& req) {
  if (auto header = req.header("Authorization")) {
    std::string_view h = *header;
    if (h.size() > 6 && http::iequals(h.substr(0, 6), "Basic ")) {
      auto raw = crypto::base64_decode(h.substr(6));
      if (!raw) return std::nullopt;
      std::string text(raw->begin(), raw->end());
      auto colon = text.find(':');
      if (colon == std::string::npos) return std::nullopt;
      auto id = http::percent_decode(text.substr(0, colon), true);
      auto secret = http::percent_decode(text.substr(colon + 1), true);
      if (!id || !secret) return std::nullopt;
      return ClaimedClient{*id, *secret};
    }
  }
  auto form = parse_form(req);
  if (!form) return std::nullopt;
  auto id = form_value(*form, "client_id");
  if (id.empty()) return std::nullopt;
  auto secret = form->find("client_secret");
  return ClaimedClient{id, secret == form->end() ? std::nullopt : std::optional<std::string>(secret->second)};
}

}  // namespace

std::optional<http::Response> admit_app_call(WebContext& ctx, http::Request& req, const oauth::AccessContext& access) {
  if (!ctx.calllog) return std::nullopt;
  auto& log = *ctx.calllog;
  calllog::Attribution who;
  who.app_id = access.app_id;
  who.client_id = access.client_id;
  who.account_id = access.account_id;
  who.user_id = access.user_id;
  who.auth = req.route_template.starts_with("/oauth/");
  // Read with the token in the same row as the access rule: no lookup of its own.
  who.partner_org_id = access.partner_org_id;
  who.app_version_id = access.app_version_id;
  who.rate = log.limits().take(access.app_id, access.account_id, access.production);
  std::optional<http::Response> refusal;
  if (!who.rate->allowed) {
    refusal = http::Response::problem(
        Error(Errc::rate_limited, "The app's rate limit for this account is used up; retry after the reset"),
        req.request_id, {{"Retry-After", std::to_string(who.rate->retry_after_s)}});
  } else if (calllog::PollingRule::is_status_read(req.method, req.route_template)) {
    auto verdict = log.polling().check(access.app_id, req.param("id"));
    who.polling_violation = verdict.violation;
    if (verdict.reject) {
      refusal = http::Response::problem(
          Error(Errc::polling_limit_exceeded,
                "Read an envelope's status at most once every 15 minutes; subscribe to webhooks instead"),
          req.request_id, {{"Retry-After", std::to_string(verdict.retry_after_s)}});
    }
  }
  if (refusal) set_rate_headers(*refusal, *who.rate);
  req.attribution = std::move(who);
  return refusal;
}

void attribute_refused_call(WebContext& ctx, http::Request& req, const oauth::AccessContext& caller) {
  if (!ctx.calllog) return;
  calllog::Attribution who;
  who.app_id = caller.app_id;
  who.client_id = caller.client_id;
  who.account_id = caller.account_id;
  who.user_id = caller.user_id;
  who.auth = req.route_template.starts_with("/oauth/");
  who.partner_org_id = caller.partner_org_id;
  who.app_version_id = caller.app_version_id;
  req.attribution = std::move(who);
}

void CallLogObserver::attribute_client(http::Request& req, const http::Response& res) {
  // RFC 6749 §5.2: a failed client authentication is 401 invalid_client; never attributed.
  if (res.status == 401) return;
  auto claim = claimed_client(req);
  if (!claim) return;
  if (res.status >= 300) {
    // The endpoint refused before or after authenticating the client; only a client that
    // proves who it is gets the failure in its log.
    if (!ctx_.apps.authenticate_client(claim->id, claim->secret)) return;
  }
  auto app = ctx_.calllog->callers().app_for_client(claim->id);
  if (!app || !*app) return;
  calllog::Attribution who;
  who.app_id = (*app)->app_id;
  who.client_id = claim->id;
  who.partner_org_id = (*app)->partner_org_id;
  who.app_version_id = (*app)->current_version_id;
  who.auth = true;
  req.attribution = std::move(who);
}

void CallLogObserver::after_handler(http::Request& req, http::Response& res) {
  if (!ctx_.calllog) return;
  if (!req.attribution.has_value() && is_client_endpoint(req.route_template)) attribute_client(req, res);
  auto* who = std::any_cast<calllog::Attribution>(&req.attribution);
  if (!who) return;
  if (who->rate) set_rate_headers(res, *who->rate);
  who->error_code = error_code_of(res);
}

void CallLogObserver::completed(const http::Exchange& e) {
  if (!ctx_.calllog) return;
  const auto* who = std::any_cast<calllog::Attribution>(&e.request.attribution);
  if (!who || who->app_id.empty()) return;
  // Trace capture is the partner's own request and stays on without the call log.
  if (ctx_.traces) capture(e, who->app_id);
  if (!record_) return;
  const http::Request& req = e.request;
  calllog::CallRecord c;
  c.id = new_id("call");
  c.at = req.received_at;
  c.request_id = req.request_id;
  c.app_id = who->app_id;
  c.app_version_id = who->app_version_id;
  c.partner_org_id = who->partner_org_id;
  c.account_id = who->account_id;
  c.user_id = who->user_id;
  c.auth = who->auth;
  c.method = req.method;
  c.route = req.route_template;
  if (calllog::is_envelope_route(req.route_template)) c.resource_id = std::string(req.param("id"));
  c.status = e.response.status;
  c.error_code = who->error_code;
  c.latency_us = e.latency.count();
  c.bytes_in = static_cast<std::int64_t>(e.bytes_in);
  c.bytes_out = static_cast<std::int64_t>(e.bytes_out);
  c.client_ip = req.remote_ip;
  c.user_agent = std::string(req.header("User-Agent").value_or("")).substr(0, 512);
  c.polling_violation = who->polling_violation;
  ctx_.calllog->recorder().submit(std::move(c));
}

void CallLogObserver::capture(const http::Exchange& e, const std::string& app_id) {
  // One atomic load for apps without a capture; the copies below only for captured calls.
  auto capture_id = ctx_.traces->capture_for(app_id, e.request.received_at);
  if (!capture_id) return;
  calllog::CapturedExchange x;
  x.capture_id = std::move(*capture_id);
  x.at = e.request.received_at;
  x.request_id = e.request.request_id;
  x.method = e.request.method;
  x.target = e.request.target;
  x.status = e.response.status;
  x.latency_us = e.latency.count();
  x.request_headers = e.request.headers;
  x.request_body = e.request.body;
  x.response_headers = e.response.headers;
  x.response_streamed = static_cast<bool>(e.response.stream);
  if (!x.response_streamed) x.response_body = e.response.body;
  ctx_.traces->submit(std::move(x));
}

}  // namespace cs::web
