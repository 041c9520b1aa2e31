// The final review and metrics part of the certification API (issue 6 §2, §5; cert-finish):
//   GET /v1/certification/metrics                                  staff
//   GET /v1/certification/requests/{id}/final-review               who may see the request
//   GET /v1/certification/requests/{id}/final-review/certificate   who may see the request:
//       the certificate as sent while it waits for the final approver; once signed (envelope
//       completed) the sealed PDF, the same bytes as GET /v1/envelopes/{id}/documents/combined,
//       and 409 seal_pending (with Retry-After) until the envelope.seal job has sealed it.
// Session (console) callers only. Visibility is RequestService::get's: another org's request, or
// one a reviewer is not assigned to, answers 404 like an unknown id.
#include <nlohmann/json.hpp>

#include "certification/assignments.hpp"
#include "certification/clocks.hpp"
#include "certification/final_review.hpp"
#include "certification/metrics.hpp"
#include "certification/request_service.hpp"
#include "identity/policy.hpp"
#include "seal/seal_service.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

constexpr ApiAuth kConsole{.scope = {}, .bearer = false, .session = true};

http::Response problem(const Error& e, const http::Request& req) {
  return http::Response::problem(e, req.request_id);
}

template <class Fn>
http::Response with_final_review(WebContext& ctx, http::Request& req, Fn&& fn) {
  auto caller = authenticate_api(ctx, req, kConsole);
  if (!caller) return std::move(caller.error());
  if (!ctx.final_review)
    return problem(Error(Errc::unavailable, "Certification is not available here"), req);
  return fn(caller->session->principal, *ctx.final_review);
}

Result<nlohmann::json> final_review_json(certification::FinalReview& fr,
                                         const certification::Request& r) {
  using certification::State;
  auto lease = CS_TRY(fr.db().connect());
  auto approver = CS_TRY(certification::current_assignment(
      *lease, r.id, certification::AssignmentRole::final_approver));
  nlohmann::json j{{"request_id", r.id},
                   {"state", std::string(certification::to_string(r.state))},
                   {"final_approver", nullptr},
                   {"envelope", nullptr},
                   {"clock", nullptr},
                   {"certified_at", time_json(r.certified_at)},
                   {"launched_at", time_json(r.launched_at)},
                   {"certificate_url", nullptr}};
  if (approver)
    j["final_approver"] = {{"user_id", approver->user_id}, {"name", approver->user_name}};
  if (r.final_due_at && r.final_clock_started_at) {
    auto status =
        r.state == State::final_review
            ? nlohmann::json(std::string(certification::to_string(
                  certification::clock_status(*r.final_due_at, fr.clock().now(), fr.calendar()))))
            : nlohmann::json(nullptr);
    j["clock"] = {{"started_at", time_json(r.final_clock_started_at)},
                  {"due_at", time_json(r.final_due_at)},
                  {"status", status}};
  }
  if (r.certification_envelope_id) {
    auto env = CS_TRY(fr.certificate_envelope(r.id));
    j["envelope"] = {{"id", env.id},
                     {"status", std::string(esign::to_string(env.status))},
                     {"sent_at", time_json(env.sent_at)},
                     {"completed_at", time_json(env.completed_at)}};
    j["certificate_url"] = "/v1/certification/requests/" + r.id + "/final-review/certificate";
  }
  return j;
}

}  // namespace

void register_cert_finish_routes(http::Router& router, WebContext& ctx) {
  router.add("GET", "/v1/certification/metrics", [&ctx](http::Request& req) {
    return with_final_review(
        ctx, req, [&](const identity::Principal& who, certification::FinalReview& fr) {
          if (auto allowed = identity::require(who, identity::Action::staff_read_all,
                                               identity::Resource::platform());
              !allowed) {
            return problem(allowed.error(), req);
          }
          auto lease = fr.db().connect();
          if (!lease) return problem(lease.error(), req);
          auto m = certification::compute_metrics(**lease, fr.calendar(), fr.clock().now());
          if (!m) return problem(m.error(), req);
          auto res = http::Response::json(200, certification::to_json(*m));
          res.set_header("Cache-Control", "no-store");
          return res;
        });
  });

  router.add("GET", "/v1/certification/requests/{id}/final-review", [&ctx](http::Request& req) {
    return with_final_review(ctx, req,
                             [&](const identity::Principal& who, certification::FinalReview& fr) {
                               auto request = fr.requests().get(who, req.param("id"));
                               if (!request) return problem(request.error(), req);
                               auto body = final_review_json(fr, *request);
                               if (!body) return problem(body.error(), req);
                               return http::Response::json(200, *body);
                             });
  });

  router.add("GET", "/v1/certification/requests/{id}/final-review/certificate",
             [&ctx](http::Request& req) {
               return with_final_review(
                   ctx, req, [&](const identity::Principal& who, certification::FinalReview& fr) {
                     auto request = fr.requests().get(who, req.param("id"));
                     if (!request) return problem(request.error(), req);
                     auto env = fr.certificate_envelope(request->id);
                     if (!env) return problem(env.error(), req);
                     Result<std::string> pdf;
                     if (env->status == esign::EnvelopeStatus::completed) {
                       // Signed: the sealed copy, the same bytes as GET
                       // /v1/envelopes/{id}/documents/combined; 409 seal_pending until the
                       // envelope.seal job has sealed it.
                       if (!ctx.seal)
                         return problem(Error(Errc::unavailable, "Sealed copies are not available here"), req);
                       pdf = ctx.seal->sealed_pdf(env->id);
                       if (!pdf) {
                         http::Response res = problem(pdf.error(), req);
                         if (pdf.error().errc() == Errc::seal_pending) res.set_header("Retry-After", "5");
                         return res;
                       }
                     } else {
                       // Not signed yet (or declined, voided): the certificate as sent.
                       pdf = fr.certificate_document(request->id);
                       if (!pdf) return problem(pdf.error(), req);
                     }
                     http::Response res;
                     res.status = 200;
                     res.body = std::move(*pdf);
                     res.set_header("Content-Type", "application/pdf");
                     res.set_header("Content-Disposition",
                                    "attachment; filename=\"certificate-" + request->id + ".pdf\"");
                     res.set_header("Cache-Control", "no-store");
                     return res;
                   });
             });
}

}  // namespace cs::web
