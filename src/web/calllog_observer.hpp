// The web layer's side of the API call log (issue 5): which requests are app calls, whom they
// are attributed to, the rate-limit and polling decisions, and the record written once the
// response is out.
//
// Recorded exactly once each:
//  * every request to a /v1 route or /oauth/userinfo whose bearer token verified (whatever the
//    handler then answers: 2xx, 4xx, 429, polling refusals, 5xx);
//  * every POST /oauth/token, /oauth/revoke and /oauth/introspect whose client authenticated
//    (tagged auth, like userinfo).
//  * every refusal of a token that verified but may not be used here: 403 insufficient_scope and
//    403 app_not_certified (attributed to the token's app, not counted against its rate limits).
// Not recorded: requests with no, unknown, expired or revoked tokens, or failing client
// authentication: nothing proves which app sent them, and attributing them to a claimed app
// would let anyone write into any app's log. Session (console) requests are not app calls.
//
// Trace capture (issue 5 §3): while the app has an active capture (calllog/trace_capture.hpp),
// completed() also hands the full exchange (headers and bodies as written) to the capture's
// queue; redaction and storage happen on its writer thread, never on the io thread.
#pragma once

#include <optional>

#include "http/response.hpp"
#include "http/server.hpp"
#include "oauth/authorization_server.hpp"

namespace cs::web {

struct WebContext;

// Called by authenticate_api once a bearer token verified: attributes the request, counts it
// against the rate limits and applies the polling rule. Returns the refusal (429 / 400) when
// the call must not proceed; the refusal is recorded too.
std::optional<http::Response> admit_app_call(WebContext& ctx, http::Request& req, const oauth::AccessContext& access);

// Called by authenticate_api when verify_bearer refused a token that did verify
// (insufficient_scope, app_not_certified): the refusal is recorded as the app's call.
void attribute_refused_call(WebContext& ctx, http::Request& req, const oauth::AccessContext& caller);

class CallLogObserver final : public http::ExchangeObserver {
 public:
  // `record` false (config calllog.record, benchmarks only): attribution, rate limits, the
  // polling rule and trace capture stay on, but no call is written to the call log.
  explicit CallLogObserver(WebContext& ctx, bool record = true) : ctx_(ctx), record_(record) {}
  void after_handler(http::Request& req, http::Response& res) override;
  void completed(const http::Exchange& exchange) override;

 private:
  void attribute_client(http::Request& req, const http::Response& res);
  void capture(const http::Exchange& exchange, const std::string& app_id);
  WebContext& ctx_;
  bool record_;
};

}  // namespace cs::web
