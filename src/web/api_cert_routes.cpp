// Certification requests (issue 6 §2, §8): thin routes over certification::RequestService for the
// partner console and the staff (session cookie; unsafe methods carry the CSRF header). Route
// prefix (cert-common): /v1/certification/requests, /{id}, /{id}/submit, /withdraw, /reject,
// /assignments, /findings..., /remedy, /approve, /encryption-confirmation, /promotion, /history.
// RequestService scopes every lookup: another org's request answers 404 like an unknown id.
#include <nlohmann/json.hpp>

#include "certification/clocks.hpp"
#include "certification/final_review.hpp"
#include "certification/request_service.hpp"
#include "http/json_body.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

using nlohmann::json;
namespace cert = cs::certification;

constexpr ApiAuth kConsole{.scope = {}, .bearer = false, .session = true};
// Findings carry up to 16,000 characters of evidence; nothing here needs more than 64 KiB.
constexpr std::size_t kMaxCertBody = 64 * 1024;

http::Response problem(const Error& e, const http::Request& req) { return http::Response::problem(e, req.request_id); }

json opt_time(const std::optional<Micros>& t) { return time_json(t); }

json request_json(const cert::Request& r, const cert::RequestService& svc) {
  json j = {{"id", r.id},
            {"app_id", r.app_id},
            {"app_version_id", r.app_version_id},
            {"partner_org_id", r.partner_org_id},
            {"kind", std::string(cert::to_string(r.kind))},
            {"state", std::string(cert::to_string(r.state))},
            {"catalogue_version", r.catalogue_version},
            {"call_log_date", r.call_log_date ? json(format_local_date(*r.call_log_date)) : json(nullptr)},
            {"remedy_rounds", r.remedy_rounds},
            {"decision_reason", r.decision_reason ? json(*r.decision_reason) : json(nullptr)},
            {"encryption_confirmed", r.encryption_confirmed_at.has_value()},
            {"encryption_confirmed_at", opt_time(r.encryption_confirmed_at)},
            {"certification_envelope_id",
             r.certification_envelope_id ? json(*r.certification_envelope_id) : json(nullptr)},
            {"review_clock", {{"started_at", opt_time(r.review_clock_started_at)}, {"due_at", opt_time(r.review_due_at)}}},
            {"final_clock", {{"started_at", opt_time(r.final_clock_started_at)}, {"due_at", opt_time(r.final_due_at)}}},
            {"clock", nullptr},
            {"created_by", r.created_by},
            {"created_at", format_rfc3339(r.created_at)},
            {"updated_at", format_rfc3339(r.updated_at)},
            {"submitted_at", opt_time(r.submitted_at)},
            {"approved_at", opt_time(r.approved_at)},
            {"certified_at", opt_time(r.certified_at)},
            {"launched_at", opt_time(r.launched_at)},
            {"closed_at", opt_time(r.closed_at)}};
  if (auto c = cert::running_clock(r, svc.clock().now(), svc.calendar())) {
    j["clock"] = {{"kind", c->kind},
                  {"started_at", format_rfc3339(c->started_at)},
                  {"due_at", format_rfc3339(c->due_at)},
                  {"status", std::string(cert::to_string(c->status))}};
  }
  return j;
}

json assignment_json(const cert::Assignment& a) {
  return {{"id", a.id},
          {"role", std::string(cert::to_string(a.role))},
          {"user_id", a.user_id},
          {"user_name", a.user_name},
          {"assigned_by", a.assigned_by},
          {"assigned_at", format_rfc3339(a.assigned_at)}};
}

json finding_json(const cert::Finding& f) {
  auto text = [](const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); };
  return {{"id", f.id},
          {"request_id", f.request_id},
          {"requirement_id", f.requirement_id},
          {"phase", f.phase},
          {"source", f.source},
          {"severity", f.severity},
          {"status", f.status},
          {"description", f.description},
          {"evidence", f.evidence},
          {"filed_by", f.filed_by},
          {"filed_at", format_rfc3339(f.filed_at)},
          {"response", text(f.response)},
          {"responded_by", text(f.responded_by)},
          {"responded_at", time_json(f.responded_at)},
          {"closed_by", text(f.closed_by)},
          {"closed_at", time_json(f.closed_at)},
          {"closing_note", text(f.closing_note)}};
}

json timeline_json(const cert::TimelineEntry& t) {
  const auto& e = t.entry;
  json detail = json::parse(e.detail_json, nullptr, false);
  if (detail.is_discarded()) detail = json::object();
  return {{"at", format_rfc3339(t.at)},
          {"actor", {{"type", e.actor.type}, {"id", e.actor.id}}},
          {"action", e.action},
          {"from_state", e.from_state ? json(std::string(cert::to_string(*e.from_state))) : json(nullptr)},
          {"to_state", e.to_state ? json(std::string(cert::to_string(*e.to_state))) : json(nullptr)},
          {"reason", e.reason.empty() ? json(nullptr) : json(e.reason)},
          {"detail", detail}};
}

// A body is optional on the action routes (submit, remedy, approve, ...): empty means {}.
Result<json> optional_body(const http::Request& req) {
  if (req.body.empty()) return json::object();
  return http::parse_json_object(req);
}

Result<std::string> optional_reason(const http::Request& req) {
  auto body = CS_TRY(optional_body(req));
  CS_CHECK(http::reject_unknown_fields(body, {"reason"}));
  return CS_TRY(http::optional_string(body, "reason")).value_or("");
}

Result<cert::NewFinding> parse_finding(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"requirement_id", "phase", "severity", "description", "evidence"}));
  cert::NewFinding f;
  f.requirement_id = CS_TRY(http::required_string(body, "requirement_id"));
  f.phase = CS_TRY(http::optional_string(body, "phase")).value_or("review");
  f.severity = CS_TRY(http::required_string(body, "severity"));
  f.description = CS_TRY(http::required_string(body, "description"));
  f.evidence = CS_TRY(http::optional_string(body, "evidence")).value_or("");
  f.source = "reviewer";
  return f;
}

Result<cert::PromotionForm> parse_promotion(const http::Request& req) {
  auto body = CS_TRY(http::parse_json_object(req));
  CS_CHECK(http::reject_unknown_fields(body, {"system_integrator_name", "technical_contact_name",
                                              "technical_contact_email", "technical_contact_phone",
                                              "production_date_estimate", "integration_key"}));
  cert::PromotionForm f;
  f.system_integrator_name = CS_TRY(http::required_string(body, "system_integrator_name"));
  f.technical_contact_name = CS_TRY(http::required_string(body, "technical_contact_name"));
  f.technical_contact_email = CS_TRY(http::required_string(body, "technical_contact_email"));
  f.technical_contact_phone = CS_TRY(http::required_string(body, "technical_contact_phone"));
  f.production_date_estimate = CS_TRY(http::required_string(body, "production_date_estimate"));
  f.integration_key = CS_TRY(http::required_string(body, "integration_key"));
  return f;
}

json promotion_json(const cert::StoredPromotionForm& s) {
  return {{"system_integrator_name", s.form.system_integrator_name},
          {"technical_contact_name", s.form.technical_contact_name},
          {"technical_contact_email", s.form.technical_contact_email},
          {"technical_contact_phone", s.form.technical_contact_phone},
          {"production_date_estimate", s.form.production_date_estimate},
          {"integration_key", s.form.integration_key},
          {"submitted_by", s.submitted_by},
          {"submitted_at", format_rfc3339(s.submitted_at)}};
}

// Runs `fn(principal, service, actor)` for a console caller, or returns the refusal.
template <class Fn>
http::Response with_requests(WebContext& ctx, http::Request& req, Fn&& fn) {
  auto caller = authenticate_api(ctx, req, kConsole);
  if (!caller) return std::move(caller.error());
  if (!ctx.cert_requests) return problem(Error(Errc::unavailable, "The certification service is not available"), req);
  const auto& who = caller->session->principal;
  return fn(who, *ctx.cert_requests, identity::Actor::user(who.user_id, audit_context(req)));
}

template <class T>
http::Response answer(const Result<T>& r, const http::Request& req, const cert::RequestService& svc, int status = 200) {
  if (!r) return problem(r.error(), req);
  return http::Response::json(status, request_json(*r, svc));
}

// The action routes without a body of their own: submit, remedy, approve, encryption-confirmation.
using Simple = Result<cert::Request> (cert::RequestService::*)(const identity::Principal&, std::string_view,
                                                               const identity::Actor&);

}  // namespace

void register_cert_request_routes(http::Router& router, WebContext& ctx) {
  const http::RouteOptions json_route{.max_body = kMaxCertBody};
  const std::string base = "/v1/certification/requests";

  router.add("POST", base, json_route, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
      auto body = http::parse_json_object(req);
      if (!body) return problem(body.error(), req);
      if (auto s = http::reject_unknown_fields(*body, {"app_id"}); !s) return problem(s.error(), req);
      auto app_id = http::required_string(*body, "app_id");
      if (!app_id) return problem(app_id.error(), req);
      auto created = svc.open(who, *app_id, actor);
      if (!created) return problem(created.error(), req);
      auto res = http::Response::json(201, request_json(*created, svc));
      res.set_header("Location", "/v1/certification/requests/" + created->id);
      return res;
    });
  });

  router.add("GET", base, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor&) {
      cert::RequestFilter filter;
      if (auto state = req.query_param("state")) {
        filter.state = cert::parse_state(*state);
        if (!filter.state) return problem(Error(Errc::invalid_request, "Unknown state").with_field("state"), req);
      }
      filter.app_id = req.query_param("app_id");
      auto list = svc.list(who, filter);
      if (!list) return problem(list.error(), req);
      std::vector<json> items;
      for (const auto& r : *list) items.push_back(request_json(r, svc));
      auto page = paginate(req, items);
      if (!page) return problem(page.error(), req);
      return http::Response::json(200, *page);
    });
  });

  router.add("GET", base + "/{id}", [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor&) {
      return answer(svc.get(who, req.param("id")), req, svc);
    });
  });

  for (auto [path, member] : {std::pair<std::string_view, Simple>{"/submit", &cert::RequestService::submit},
                              {"/remedy", &cert::RequestService::remedy},
                              {"/approve", &cert::RequestService::approve},
                              {"/encryption-confirmation", &cert::RequestService::confirm_encryption}}) {
    router.add("POST", base + "/{id}" + std::string(path), json_route, [&ctx, member](http::Request& req) {
      return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
        auto body = optional_body(req);
        if (!body) return problem(body.error(), req);
        if (!body->empty()) return problem(Error(Errc::unknown_field, "This action takes no fields"), req);
        return answer((svc.*member)(who, req.param("id"), actor), req, svc);
      });
    });
  }

  router.add("POST", base + "/{id}/withdraw", json_route, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
      auto reason = optional_reason(req);
      if (!reason) return problem(reason.error(), req);
      return answer(svc.withdraw(who, req.param("id"), *reason, actor), req, svc);
    });
  });

  router.add("POST", base + "/{id}/reject", json_route, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
      auto reason = optional_reason(req);
      if (!reason) return problem(reason.error(), req);
      return answer(svc.reject(who, req.param("id"), *reason, actor), req, svc);
    });
  });

  router.add("GET", base + "/{id}/assignments", [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor&) {
      auto list = svc.assignments(who, req.param("id"));
      if (!list) return problem(list.error(), req);
      json data = json::array();
      for (const auto& a : *list) data.push_back(assignment_json(a));
      return http::Response::json(200, {{"data", data}, {"next_cursor", nullptr}});
    });
  });

  router.add("POST", base + "/{id}/assignments", json_route, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
      auto body = http::parse_json_object(req);
      if (!body) return problem(body.error(), req);
      if (auto s = http::reject_unknown_fields(*body, {"role", "user_id"}); !s) return problem(s.error(), req);
      auto role_text = http::required_string(*body, "role");
      if (!role_text) return problem(role_text.error(), req);
      auto role = cert::parse_assignment_role(*role_text);
      if (!role) {
        return problem(Error(Errc::validation_failed,
                             "role must be certification_engineer, security_reviewer or final_approver")
                           .with_field("role"),
                       req);
      }
      auto user = http::optional_string(*body, "user_id");
      if (!user) return problem(user.error(), req);
      // The final approver's (re)assignment also replaces a certificate out for signature.
      auto assigned = *role == cert::AssignmentRole::final_approver && ctx.final_review
                          ? ctx.final_review->assign_final_approver(&who, req.param("id"), *user, actor)
                          : svc.assign(who, req.param("id"), *role, *user, actor);
      if (!assigned) return problem(assigned.error(), req);
      return http::Response::json(201, assignment_json(*assigned));
    });
  });

  router.add("GET", base + "/{id}/findings", [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor&) {
      auto list = svc.findings(who, req.param("id"));
      if (!list) return problem(list.error(), req);
      std::vector<json> items;
      for (const auto& f : *list) items.push_back(finding_json(f));
      auto page = paginate(req, items);
      if (!page) return problem(page.error(), req);
      return http::Response::json(200, *page);
    });
  });

  router.add("POST", base + "/{id}/findings", json_route, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
      auto finding = parse_finding(req);
      if (!finding) return problem(finding.error(), req);
      auto filed = svc.file_finding(who, req.param("id"), *finding, actor);
      if (!filed) return problem(filed.error(), req);
      auto res = http::Response::json(201, finding_json(*filed));
      res.set_header("Location", "/v1/certification/requests/" + std::string(req.param("id")) + "/findings");
      return res;
    });
  });

  router.add("POST", base + "/{id}/findings/{finding_id}/response", json_route, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
      auto body = http::parse_json_object(req);
      if (!body) return problem(body.error(), req);
      if (auto s = http::reject_unknown_fields(*body, {"response"}); !s) return problem(s.error(), req);
      auto response = http::required_string(*body, "response");
      if (!response) return problem(response.error(), req);
      auto f = svc.respond_to_finding(who, req.param("id"), req.param("finding_id"), *response, actor);
      if (!f) return problem(f.error(), req);
      return http::Response::json(200, finding_json(*f));
    });
  });

  router.add("POST", base + "/{id}/findings/{finding_id}/close", json_route, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
      auto body = optional_body(req);
      if (!body) return problem(body.error(), req);
      if (auto s = http::reject_unknown_fields(*body, {"note"}); !s) return problem(s.error(), req);
      auto note = http::optional_string(*body, "note");
      if (!note) return problem(note.error(), req);
      auto f = svc.close_finding(who, req.param("id"), req.param("finding_id"), note->value_or(""), actor);
      if (!f) return problem(f.error(), req);
      return http::Response::json(200, finding_json(*f));
    });
  });

  router.add("POST", base + "/{id}/promotion", json_route, [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor& actor) {
      auto form = parse_promotion(req);
      if (!form) return problem(form.error(), req);
      return answer(svc.request_promotion(who, req.param("id"), *form, actor), req, svc);
    });
  });

  router.add("GET", base + "/{id}/promotion", [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor&) {
      auto form = svc.promotion_form(who, req.param("id"));
      if (!form) return problem(form.error(), req);
      if (!*form) return problem(Error(Errc::not_found, "No promotion form yet"), req);
      return http::Response::json(200, promotion_json(**form));
    });
  });

  router.add("GET", base + "/{id}/history", [&ctx](http::Request& req) {
    return with_requests(ctx, req, [&](const identity::Principal& who, cert::RequestService& svc, const identity::Actor&) {
      auto list = svc.history(who, req.param("id"));
      if (!list) return problem(list.error(), req);
      json data = json::array();
      for (const auto& t : *list) data.push_back(timeline_json(t));
      return http::Response::json(200, {{"data", data}, {"next_cursor", nullptr}});
    });
  });
}

}  // namespace cs::web
