// Small pieces the /v1 routes share: request context for audit entries, strict JSON getters the
// generic json_body.hpp lacks, RFC 3339 times and cursor pagination.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "identity/actor.hpp"

namespace cs::web {

struct WebContext;

inline identity::RequestContext audit_context(const http::Request& req) { return {req.remote_ip, req.request_id}; }

inline nlohmann::json time_json(std::optional<Micros> t) {
  return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}

// An optional array of strings: a missing key or null is nullopt; anything else that is not an
// array of strings is validation_failed naming the field (e.g. "scopes/2").
Result<std::optional<std::vector<std::string>>> optional_string_list(const nlohmann::json& obj,
                                                                     std::string_view key);

// Cursor pagination over an already ordered list (DESIGN.md "Lists use cursor pagination").
// `limit` 1..100 (default 50); `cursor` is the id of the last item of the previous page. Returns
// {"data": [...], "next_cursor": id|null}; a malformed limit or unknown cursor is invalid_request.
Result<nlohmann::json> paginate(const http::Request& req, const std::vector<nlohmann::json>& items);

// /v1/apps and its sub-resources (api_app_routes.cpp).
void register_app_routes(http::Router& router, WebContext& ctx);

// /v1/envelopes and its sub-resources (api_envelope_routes.cpp, issue 4).
void register_envelope_routes(http::Router& router, WebContext& ctx);

// /v1/apps/{id}/calls..., /v1/apps/{id}/rate-limits (api_call_routes.cpp, issue 5).
void register_call_routes(http::Router& router, WebContext& ctx);

// /v1/apps/{id}/trace-capture and /v1/apps/{id}/trace-captures... (api_trace_routes.cpp, issue 5 §3).
void register_trace_routes(http::Router& router, WebContext& ctx);

// /v1/certification/requests/{id}/artifacts..., /questionnaire, /instance-access..., /kickoff,
// /dry-run, /call-log-date, /pre-review, /checks/...; GET /v1/certification/questionnaire
// (api_cert_evidence_routes.cpp, issue 6 §2-§4).
void register_cert_evidence_routes(http::Router& router, WebContext& ctx);

// /v1/certification/requests, /{id} and /{id}/submit, /withdraw, /reject, /assignments,
// /findings..., /remedy, /approve, /encryption-confirmation, /promotion, /history
// (api_cert_routes.cpp, issue 6 §2).
void register_cert_request_routes(http::Router& router, WebContext& ctx);

// GET /v1/certification/metrics and /v1/certification/requests/{id}/final-review[/certificate]
// (api_cert_finish_routes.cpp, issue 6 §2, §5).
void register_cert_finish_routes(http::Router& router, WebContext& ctx);

// GET /v1/envelopes/{id}/documents/combined and /v1/envelopes/{id}/certificate: the sealed copies
// of a completed envelope (api_seal_routes.cpp, issue 7).
void register_seal_routes(http::Router& router, WebContext& ctx);

// /v1/webhooks, its deliveries and secret rotation (api_webhook_routes.cpp, issue 4 §4).
void register_webhook_routes(http::Router& router, WebContext& ctx);

}  // namespace cs::web
