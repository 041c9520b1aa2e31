#include "core/error.hpp"

#include <array>
#include <cstdlib>

namespace cs {
namespace {

constexpr std::array kErrorTable = {
    ErrorInfo{Errc::invalid_request, "invalid_request", 400, "Invalid request"},
    ErrorInfo{Errc::malformed_json, "malformed_json", 400, "Malformed JSON"},
    ErrorInfo{Errc::invalid_utf8, "invalid_utf8", 400, "Invalid UTF-8"},
    ErrorInfo{Errc::validation_failed, "validation_failed", 422, "Validation failed"},
    ErrorInfo{Errc::unknown_field, "unknown_field", 422, "Unknown field"},
    ErrorInfo{Errc::unauthenticated, "unauthenticated", 401, "Authentication required"},
    ErrorInfo{Errc::forbidden, "forbidden", 403, "Forbidden"},
    ErrorInfo{Errc::csrf_failed, "csrf_failed", 403, "CSRF check failed"},
    ErrorInfo{Errc::not_found, "not_found", 404, "Not found"},
    ErrorInfo{Errc::method_not_allowed, "method_not_allowed", 405, "Method not allowed"},
    ErrorInfo{Errc::request_timeout, "request_timeout", 408, "Request timeout"},
    ErrorInfo{Errc::conflict, "conflict", 409, "Conflict"},
    ErrorInfo{Errc::invalid_state, "invalid_state", 409, "Invalid state"},
    ErrorInfo{Errc::payload_too_large, "payload_too_large", 413, "Payload too large"},
    ErrorInfo{Errc::unsupported_media_type, "unsupported_media_type", 415, "Unsupported media type"},
    ErrorInfo{Errc::headers_too_large, "headers_too_large", 431, "Request header fields too large"},
    ErrorInfo{Errc::too_many_requests, "too_many_requests", 429, "Too many requests"},
    ErrorInfo{Errc::account_locked, "account_locked", 429, "Account temporarily locked"},
    ErrorInfo{Errc::oauth_invalid_client, "invalid_client", 401, "Client authentication failed"},
    ErrorInfo{Errc::oauth_invalid_grant, "invalid_grant", 400, "Invalid grant"},
    ErrorInfo{Errc::oauth_unauthorized_client, "unauthorized_client", 400, "Unauthorized client"},
    ErrorInfo{Errc::oauth_unsupported_grant_type, "unsupported_grant_type", 400, "Unsupported grant type"},
    ErrorInfo{Errc::oauth_unsupported_response_type, "unsupported_response_type", 400, "Unsupported response type"},
    ErrorInfo{Errc::oauth_invalid_scope, "invalid_scope", 400, "Invalid scope"},
    ErrorInfo{Errc::oauth_access_denied, "access_denied", 403, "Access denied"},
    ErrorInfo{Errc::invalid_token, "invalid_token", 401, "Invalid token"},
    ErrorInfo{Errc::insufficient_scope, "insufficient_scope", 403, "Insufficient scope"},
    ErrorInfo{Errc::app_not_certified, "app_not_certified", 403, "App not certified"},
    ErrorInfo{Errc::pdf_invalid, "pdf_invalid", 422, "Not a valid PDF"},
    ErrorInfo{Errc::pdf_encrypted, "pdf_encrypted", 422, "Encrypted PDF"},
    ErrorInfo{Errc::idempotency_key_reused, "idempotency_key_reused", 422, "Idempotency key reused"},
    ErrorInfo{Errc::url_not_allowed, "url_not_allowed", 422, "URL not allowed"},
    ErrorInfo{Errc::link_expired, "link_expired", 410, "Link no longer valid"},
    ErrorInfo{Errc::rate_limited, "rate_limited", 429, "Rate limit exceeded"},
    ErrorInfo{Errc::polling_limit_exceeded, "polling_limit_exceeded", 400, "Polling limit exceeded"},
    ErrorInfo{Errc::invalid_transition, "invalid_transition", 409, "Invalid transition"},
    ErrorInfo{Errc::requirements_unmet, "requirements_unmet", 422, "Requirements not met"},
    ErrorInfo{Errc::artifact_invalid, "artifact_invalid", 422, "Artifact refused"},
    ErrorInfo{Errc::seal_pending, "seal_pending", 409, "Sealed copy pending"},
    ErrorInfo{Errc::internal, "internal", 500, "Internal server error"},
    ErrorInfo{Errc::unavailable, "unavailable", 503, "Service unavailable"},
};

}  // namespace

const ErrorInfo& error_info(Errc errc) {
  for (const auto& info : kErrorTable) {
    if (info.errc == errc) return info;
  }
  std::abort();  // every enumerator has a row; tests/core/error_test.cpp pins it
}

}  // namespace cs
