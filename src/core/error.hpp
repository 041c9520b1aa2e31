// One error vocabulary for every service (CRAFT.md "Errors: one vocabulary, two audiences").
//
// An Error carries a stable machine code (the `code` member of every problem+json body), a
// public message that is safe to show to the caller, and an internal detail that goes only to
// the log. The HTTP layer turns codes into statuses through the single table in error.cpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace cs {

// Stable error codes. Adding one means adding its row to kErrorTable in error.cpp; a unit
// test checks that every enumerator has exactly one row.
enum class Errc {
  // generic request errors
  invalid_request,        // 400 malformed input that is not JSON-specific
  malformed_json,         // 400 body is not valid JSON
  invalid_utf8,           // 400 body or parameter is not valid UTF-8
  validation_failed,      // 422 well-formed but semantically invalid (field errors)
  unknown_field,          // 422 a field the endpoint does not accept
  unauthenticated,        // 401 no or bad credentials
  forbidden,              // 403 authenticated but not allowed
  csrf_failed,            // 403 missing or wrong CSRF token
  not_found,              // 404 resource or route does not exist (or is not visible)
  method_not_allowed,     // 405
  request_timeout,        // 408 headers or body not received in time
  conflict,               // 409 uniqueness or concurrent-change conflict
  invalid_state,          // 409 illegal state transition
  payload_too_large,      // 413 body over the route's limit
  unsupported_media_type, // 415
  headers_too_large,      // 431
  too_many_requests,      // 429 rate limit or login throttling
  account_locked,         // 429 temporary lockout after repeated login failures
  // OAuth 2.0 (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1): the code is the RFC's error value
  oauth_invalid_client,        // 401 client authentication failed
  oauth_invalid_grant,         // 400 bad, expired, replayed or foreign code / refresh token
  oauth_unauthorized_client,   // 400 the client may not use this grant type
  oauth_unsupported_grant_type,  // 400
  oauth_unsupported_response_type,  // 400 (authorize: only "code")
  oauth_invalid_scope,         // 400 unknown scope or more than the app may get
  oauth_access_denied,         // 403 the user denied, or the access rule refused the account
  invalid_token,               // 401 bearer token missing, unknown, expired or revoked
  insufficient_scope,          // 403 the token lacks the route's scope
  app_not_certified,           // 403 the access rule: uncertified app on a production account
  // eSignature, webhooks, call log (issues 4 and 5)
  pdf_invalid,                 // 422 not a PDF, or a damaged one (qpdf cannot read it)
  pdf_encrypted,               // 422 a password-protected or encrypted PDF
  idempotency_key_reused,      // 422 the Idempotency-Key was used with another request body
  url_not_allowed,             // 422 webhook/instance URL refused (scheme, private or loopback target)
  link_expired,                // 410 a signing link of an expired, voided, finished or declined envelope
  rate_limited,                // 429 the app's hourly or burst limit for the account is used up
  polling_limit_exceeded,      // 400 the polling rule in `reject` mode: status read too often
  // Certification and sealing (issues 6 and 7)
  invalid_transition,          // 409 the certification request's state does not allow the action
  requirements_unmet,          // 422 a guard failed; the body lists what is missing by requirement
  artifact_invalid,            // 422 an uploaded artifact is not what it claims (fake video, bad trace)
  seal_pending,                // 409 the sealed copy of a completed envelope is not ready yet
  internal,               // 500 anything unexpected; never carries detail to the client
  unavailable,            // 503 not ready, shutting down, too many connections
};

struct ErrorInfo {
  Errc errc;
  std::string_view code;  // stable, snake_case
  int http_status;
  std::string_view title;  // RFC 9457 title: short, human, stable per code
};

// The single table: code <-> HTTP status <-> title.
const ErrorInfo& error_info(Errc errc);

class Error {
 public:
  Error(Errc errc, std::string message, std::string detail = {})
      : errc_(errc), message_(std::move(message)), detail_(std::move(detail)) {}

  Errc errc() const { return errc_; }
  std::string_view code() const { return error_info(errc_).code; }
  int http_status() const { return error_info(errc_).http_status; }
  // Safe to show to the caller.
  const std::string& message() const { return message_; }
  // For the log only; never rendered into a response.
  const std::string& detail() const { return detail_; }

  // Optional JSON pointer or field name the error is about ("recipients/0/email").
  const std::string& field() const { return field_; }
  Error&& with_field(std::string f) && {
    field_ = std::move(f);
    return std::move(*this);
  }

  // Extra RFC 9457 members (§3.2 extensions) as the text of a JSON object, e.g. the `missing`
  // list of requirements_unmet. Public like message(); Response::problem merges them in.
  const std::string& extensions_json() const { return extensions_json_; }
  Error&& with_extensions_json(std::string json_object) && {
    extensions_json_ = std::move(json_object);
    return std::move(*this);
  }

 private:
  Errc errc_;
  std::string message_;
  std::string detail_;
  std::string field_;
  std::string extensions_json_;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(Errc errc, std::string message, std::string detail = {}) {
  return tl::unexpected<Error>(Error(errc, std::move(message), std::move(detail)));
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace cs

// Propagates an error from an expression returning Result/Status; evaluates to the value.
// Usage: auto row = CS_TRY(conn.query_one(...));
#define CS_TRY(expr)                                             \
  ({                                                             \
    auto&& cs_try_result_ = (expr);                              \
    if (!cs_try_result_) return ::tl::unexpected(std::move(cs_try_result_).error()); \
    std::move(cs_try_result_).value();                           \
  })

// For Status-returning expressions whose value is void.
#define CS_CHECK(expr)                                           \
  do {                                                           \
    auto&& cs_check_result_ = (expr);                            \
    if (!cs_check_result_) return ::tl::unexpected(std::move(cs_check_result_).error()); \
  } while (0)
