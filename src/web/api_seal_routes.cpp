// The sealed copies of a completed envelope (issue 7):
//   GET /v1/envelopes/{id}/documents/combined  the sealed PDF (every document, then the
//   certificate) GET /v1/envelopes/{id}/certificate         the certificate of completion alone
// Same authentication, scope (envelope:read) and tenant scoping as the document download:
// the envelope is looked up through EnvelopeService::get, so another account's envelope is
// 404. A non-completed envelope is 409 invalid_state; a completed one not sealed yet is 409
// seal_pending.
#include <string>

#include "esign/envelope_service.hpp"
#include "seal/seal_service.hpp"
#include "web/api_support.hpp"
#include "web/bearer_auth.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

http::Response problem(const Error& e, const http::Request& req) {
  return http::Response::problem(e, req.request_id);
}

http::Response serve_sealed(WebContext& ctx, http::Request& req, bool certificate) {
  auto caller =
      authenticate_api(ctx, req, {.scope = "envelope:read", .bearer = true, .session = false});
  if (!caller) return std::move(caller.error());
  if (!ctx.envelopes || !ctx.seal)
    return problem(Error(Errc::unavailable, "The envelope service is not available"), req);
  const auto& t = *caller->token;
  esign::ApiActor who{t.account_id,
                      t.user_id,
                      t.app_id,
                      req.remote_ip,
                      std::string(req.header("User-Agent").value_or("")).substr(0, 512),
                      req.request_id};
  auto env = ctx.envelopes->get(who, req.param("id"));
  if (!env) return problem(env.error(), req);
  if (env->status != esign::EnvelopeStatus::completed) {
    return problem(
        Error(Errc::invalid_state, "The envelope is not completed, so it has no sealed copy"), req);
  }
  auto pdf = certificate ? ctx.seal->certificate_pdf(env->id) : ctx.seal->sealed_pdf(env->id);
  if (!pdf) {
    http::Response res = problem(pdf.error(), req);
    if (pdf.error().errc() == Errc::seal_pending) res.set_header("Retry-After", "5");
    return res;
  }
  http::Response res;
  res.status = 200;
  res.body = std::move(*pdf);
  res.set_header("Content-Type", "application/pdf");
  res.set_header("Content-Disposition", "attachment; filename=\"" + env->id +
                                            (certificate ? "-certificate" : "-sealed") + ".pdf\"");
  return res;
}

}  // namespace

void register_seal_routes(http::Router& router, WebContext& ctx) {
  router.add("GET", "/v1/envelopes/{id}/documents/combined",
             [&ctx](http::Request& req) { return serve_sealed(ctx, req, false); });
  router.add("GET", "/v1/envelopes/{id}/certificate",
             [&ctx](http::Request& req) { return serve_sealed(ctx, req, true); });
}

}  // namespace cs::web
