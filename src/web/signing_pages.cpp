// The signing ceremony (issue 4 §2): the pages a signer sees after following the emailed link
// (/sign/{token}) or an embedded signing URL. There is no login: the signing-link token is the
// credential, so every form's CSRF token is bound to it, and every step goes through
// esign::SigningService with the signer's IP and user agent, which the service records.
//
//   GET  /sign/{token}                         disclosure first, then the document
//   POST /sign/{token}/disclosure              accept the electronic records disclosure
//   GET  /sign/{token}/documents/{document_id} the original PDF for pdf.js (same origin)
//   POST /sign/{token}/finish                  adopt the signature, fill fields, finish
//   POST /sign/{token}/decline                 decline with a reason
//   GET  /sign/{token}/complete, /declined     the outcome pages (after the POSTs' 303)
//   GET  /sign/embedded/{view_token}           redeem an embedded view URL, 303 to /sign/{token}
//   GET  /vendor/{version}/{name}              pdf.js and signature_pad from npm
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "esign/signing_service.hpp"
#include "http/middleware.hpp"
#include "identity/session_service.hpp"
#include "web/form.hpp"
#include "web/page_support.hpp"
#include "web/signing_view.hpp"
#include "web/templates.hpp"
#include "web/vendor_assets.hpp"
#include "web/web_context.hpp"

namespace cs::web {
namespace {

// A drawn signature is at most 512 KiB of PNG (the service's limit): base64 and form encoding
// make that about 1 MB on the wire, plus the field values.
constexpr std::size_t kFinishMaxBody = 2 * 1024 * 1024;
constexpr std::size_t kFormMaxBody = 16 * 1024;
constexpr std::size_t kUserAgentMax = 512;

class SigningPages {
 public:
  // The service is read at request time: the context may get it after the routes exist.
  explicit SigningPages(WebContext& ctx) : ctx_(ctx) {}

  http::Response show(const http::Request& req) {
    std::string token(req.param("token"));
    auto session = signing().open(token, signer(req));
    if (!session) return failure_page(req, session.error());
    if (auto blocked = not_actionable(*session)) return std::move(*blocked);
    if (!session->disclosure_accepted) return disclosure(*session, token, 200, {});
    return document(*session, token, 200, DocumentPageInput{});
  }

  http::Response accept_disclosure(const http::Request& req) {
    std::string token(req.param("token"));
    auto form = checked_form(req, token);
    if (!form) return failure_page(req, form.error());
    if (form_value(*form, "agree") != "yes") {
      auto session = signing().open(token, signer(req));
      if (!session) return failure_page(req, session.error());
      return disclosure(*session, token, 422,
                        "Tick the box to agree to use electronic records and signatures, or close "
                        "this page if you do not agree.");
    }
    auto accepted = signing().accept_disclosure(token, signer(req));
    if (!accepted) return failure_page(req, accepted.error());
    return http::Response::redirect(303, base_url(token));
  }

  http::Response document_pdf(const http::Request& req) {
    std::string token(req.param("token"));
    auto pdf = signing().document_pdf(token, req.param("document_id"));
    if (!pdf) return failure_page(req, pdf.error());
    http::Response res;
    res.body = std::move(*pdf);
    res.set_header("Content-Type", "application/pdf");
    res.set_header("Content-Disposition", "inline; filename=\"document.pdf\"");
    // The signing link is the credential: no shared cache may keep the document.
    res.set_header("Cache-Control", "private, no-store");
    return res;
  }

  http::Response finish(const http::Request& req) {
    std::string token(req.param("token"));
    auto form = checked_form(req, token);
    if (!form) return failure_page(req, form.error());
    auto input = read_finish_form(*form);
    if (!input) return refused_finish(req, token, *form, input.error());
    auto back = signing().return_url(token);  // read first: finishing may end the link
    auto done = signing().finish(token, input->signature, input->values, signer(req));
    if (!done) return refused_finish(req, token, *form, done.error());
    return http::Response::redirect(303, after(back, token, "complete", "signing_complete"));
  }

  http::Response decline(const http::Request& req) {
    std::string token(req.param("token"));
    auto form = checked_form(req, token);
    if (!form) return failure_page(req, form.error());
    auto back = signing().return_url(token);
    auto declined = signing().decline(token, form_value(*form, "reason"), signer(req));
    if (!declined) {
      if (declined.error().errc() != Errc::validation_failed)
        return failure_page(req, declined.error());
      auto session = signing().open(token, signer(req));
      if (!session) return failure_page(req, session.error());
      DocumentPageInput in;
      in.previous = &*form;
      in.decline_error = declined.error().message();
      return document(*session, token, 422, in);
    }
    return http::Response::redirect(303, after(back, token, "declined", "decline"));
  }

  // Embedded signers go back to the app's return_url with the event (DocuSign's names);
  // emailed signers see our outcome page.
  std::string after(const Result<std::optional<std::string>>& back, std::string_view token, const std::string& outcome,
                    const std::string& event) const {
    if (back && *back) return append_query(**back, {{"event", event}});
    return outcome_url(token, outcome);
  }

  // The outcome pages need no lookup (once the last signer finishes, the link itself is spent);
  // the proof shows that this server answered the finish or decline of this very link.
  http::Response outcome(const http::Request& req, const std::string& outcome) {
    std::string token(req.param("token"));
    auto proof = req.query_param("proof").value_or("");
    if (!ctx_.sessions.verify_csrf(outcome_binding(token, outcome), proof)) {
      return failure_page(req, Error(Errc::not_found, "No such page"));
    }
    bool completed = outcome == "complete";
    mstch::map page{
        {"title", std::string(completed ? "Signing complete" : "You declined to sign")},
        {"heading", std::string(completed ? "Thank you, you have signed" : "You declined to sign")},
        {"message",
         std::string(completed
                         ? "Your signature was recorded. The sender is told when everyone has "
                           "signed. You can close this page."
                         : "The sender has been told that you declined, with your reason. You can "
                           "close this page.")},
        {"outcome", outcome}};
    return http::Response::html(200, render_page("sign_outcome", page));
  }

  http::Response completed(const http::Request& req) { return outcome(req, "complete"); }
  http::Response declined(const http::Request& req) { return outcome(req, "declined"); }

  http::Response embedded(const http::Request& req) {
    auto token = signing().redeem_embedded_view(req.param("view_token"), signer(req));
    if (!token) return failure_page(req, token.error());
    return http::Response::redirect(303, base_url(*token));
  }

 private:
  static esign::SignerContext signer(const http::Request& req) {
    std::string agent(req.header("User-Agent").value_or(""));
    if (agent.size() > kUserAgentMax) agent.resize(kUserAgentMax);
    return {req.remote_ip, std::move(agent)};
  }

  static std::string base_url(std::string_view token) { return "/sign/" + url_encode(token); }

  // Domain-separated from the session CSRF tokens: a session token never starts with "sign".
  std::string csrf_token(std::string_view token) const {
    return ctx_.sessions.csrf_token("sign:" + std::string(token));
  }
  static std::string outcome_binding(std::string_view token, const std::string& outcome) {
    return "sign-" + outcome + ":" + std::string(token);
  }
  std::string outcome_url(std::string_view token, const std::string& outcome) const {
    return append_query(base_url(token) + "/" + outcome,
                        {{"proof", ctx_.sessions.csrf_token(outcome_binding(token, outcome))}});
  }

  Result<Form> checked_form(const http::Request& req, std::string_view token) const {
    auto form = parse_form(req);
    if (!form) return form;
    if (!ctx_.sessions.verify_csrf("sign:" + std::string(token), form_value(*form, "csrf_token"))) {
      return fail(Errc::csrf_failed, "The signing form's CSRF token is missing or wrong");
    }
    return form;
  }

  // A signer who already finished or declined, or whose routing turn has not come.
  std::optional<http::Response> not_actionable(const esign::SigningSession& s) const {
    if (s.can_act) return std::nullopt;
    if (s.recipient_status == "completed") {
      return message_page(
          409, "You have already signed",
          "Your signature on \"" + s.email_subject +
              "\" is recorded. You will receive an email when everyone has signed.");
    }
    if (s.recipient_status == "declined") {
      return message_page(409, "You declined to sign",
                          "You declined to sign \"" + s.email_subject + "\".");
    }
    return message_page(409, "It is not your turn to sign yet",
                        "Others sign \"" + s.email_subject +
                            "\" before you. You will receive an email "
                            "when it is your turn.");
  }

  http::Response disclosure(const esign::SigningSession& s, std::string_view token, int status,
                            const std::string& error) const {
    auto page = disclosure_page_model(s, base_url(token), csrf_token(token), error);
    return http::Response::html(status, render_page("sign_disclosure", page));
  }

  http::Response document(const esign::SigningSession& s, std::string_view token, int status,
                          DocumentPageInput in) const {
    in.base_url = base_url(token);
    in.csrf_token = csrf_token(token);
    auto res =
        http::Response::html(status, render_page("sign_document", document_page_model(s, in)));
    // pdf.js renders in a module worker loaded from /vendor; an embedded signer's Finish and
    // Decline redirect to the app's return_url. Nothing else is added to the default policy.
    std::string csp = std::string(http::kDefaultCsp) + "; worker-src 'self'";
    if (auto back = signing().return_url(token); back && *back) csp = csp_allowing_form_redirect(csp, **back);
    res.set_header("Content-Security-Policy", csp);
    return res;
  }

  http::Response refused_finish(const http::Request& req, std::string_view token, const Form& form,
                                const Error& e) {
    if (e.errc() != Errc::validation_failed) return failure_page(req, e);
    auto session = signing().open(token, signer(req));
    if (!session) return failure_page(req, session.error());
    DocumentPageInput in;
    in.previous = &form;
    in.error = e.message();
    in.error_field = e.field();
    return document(*session, token, 422, in);
  }

  static http::Response message_page(int status, std::string heading, std::string message) {
    mstch::map page{
        {"title", heading}, {"heading", std::move(heading)}, {"message", std::move(message)}};
    return http::Response::html(status, render_page("sign_outcome", page));
  }

  // One table from the service's errors to what a signer can understand.
  static http::Response failure_page(const http::Request& req, const Error& e) {
    switch (e.errc()) {
      case Errc::not_found:
        return message_page(
            404, "This signing link does not work",
            "The link is not valid. Check that you opened the whole link from your email, "
            "or ask the sender to send it again.");
      case Errc::link_expired:
        return message_page(410, "This signing link is no longer active", e.message());
      case Errc::invalid_state:
        return message_page(409, "This document cannot be signed now", e.message());
      case Errc::csrf_failed:
        return message_page(
            403, "This page expired",
            "The form could not be verified, so nothing was signed or changed. Open the "
            "link from your email again.");
      case Errc::validation_failed:
      case Errc::invalid_request:
      case Errc::unsupported_media_type:
        return message_page(e.http_status(), "Something in the form was not right", e.message());
      default:
        spdlog::error("signing page failed request_id={} code={} detail={}", req.request_id,
                      e.code(), e.detail());
        return message_page(e.http_status() >= 500 ? e.http_status() : 500, "Something went wrong",
                            "Nothing was signed or changed. Please try again later.");
    }
  }

  esign::SigningService& signing() const { return *ctx_.signing; }

  WebContext& ctx_;
};

http::Response vendor_file(const http::Request& req) {
  auto asset = vendor_asset(req.param("name"));
  if (!asset || req.param("version") != vendor_version()) {
    return http::Response::problem(Error(Errc::not_found, "No such file"), req.request_id);
  }
  http::Response res;
  res.body = std::string(asset->body);
  res.set_header("Content-Type", std::string(asset->content_type));
  // The version is a hash of the content: a different file is always a different URL.
  res.set_header("Cache-Control", "public, max-age=31536000, immutable");
  return res;
}

}  // namespace

void register_signing_pages(http::Router& router, WebContext& ctx) {
  auto pages = std::make_shared<SigningPages>(ctx);
  // Every page needs the signing service; a context without one (tools) answers 503.
  auto with = [pages, &ctx](http::Response (SigningPages::*handler)(const http::Request&)) {
    return [pages, &ctx, handler](http::Request& req) {
      if (!ctx.signing)
        return http::Response::problem(Error(Errc::unavailable, "Signing is not available"),
                                       req.request_id);
      return ((*pages).*handler)(req);
    };
  };
  http::RouteOptions form_post{.max_body = kFormMaxBody};
  http::RouteOptions finish_post{.max_body = kFinishMaxBody};
  router.add("GET", "/vendor/{version}/{name}", http::RouteOptions{.blocking = false}, vendor_file);
  router.add("GET", "/sign/{token}", with(&SigningPages::show));
  router.add("POST", "/sign/{token}/disclosure", form_post, with(&SigningPages::accept_disclosure));
  router.add("GET", "/sign/{token}/documents/{document_id}", with(&SigningPages::document_pdf));
  router.add("POST", "/sign/{token}/finish", finish_post, with(&SigningPages::finish));
  router.add("POST", "/sign/{token}/decline", form_post, with(&SigningPages::decline));
  router.add("GET", "/sign/{token}/complete", with(&SigningPages::completed));
  router.add("GET", "/sign/{token}/declined", with(&SigningPages::declined));
  router.add("GET", "/sign/embedded/{view_token}", with(&SigningPages::embedded));
}

}  // namespace cs::web
