// Redaction of captured traces before they are stored (issue 5 §3). A trace is what a partner
// attaches to a certification request, so nothing that could act as a credential may reach the
// database: the certification trace scan (certification/trace_scan.hpp) must find no live secret
// in an export. Pure functions: no storage, no HTTP types.
//
// Rules (names compared case-insensitively, '-' and '_' alike):
//  * headers Authorization and Proxy-Authorization keep their scheme ("Bearer [REDACTED]");
//    Cookie and Set-Cookie keep each cookie's name ("sid=[REDACTED]; Path=/" keeps attributes);
//  * fields named client_secret, access_token, refresh_token, id_token, code, code_verifier,
//    password, passwd, secret, signing_secret, webhook_secret, client_assertion, any name ending
//    in _password / _secret or starting with password_ — as JSON object keys (at any depth),
//    form fields, query parameters and headers (an "x-" prefix is ignored) — get the value
//    [REDACTED] (JSON keeps `code`, the problem+json error code, unless it holds a token);
//  * any value holding a Countersign token prefix (crypto::kTokenPrefixes: cs_at_, cs_rt_,
//    cs_sk_, cs_ac_, cs_ss_, whsec_, cs_sg_, cs_ev_) at the start of a word: in headers, URL
//    path segments, query values, JSON strings and form values the whole value is replaced; in
//    other text the token itself (prefix plus its base64url characters);
//  * binary bodies (PDF, images, video, octet-stream, multipart uploads, anything not UTF-8)
//    become a note with their size and SHA-256;
//  * a body longer than kTraceBodyLimit (after redaction) keeps its first kTraceBodyLimit bytes
//    (cut on a UTF-8 boundary) followed by a marker naming the original size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cs::calllog {

inline constexpr std::size_t kTraceBodyLimit = 256 * 1024;
inline constexpr std::string_view kRedacted = "[REDACTED]";

using TraceHeaders = std::vector<std::pair<std::string, std::string>>;

// A field, parameter or header name whose value is a secret.
bool is_secret_name(std::string_view name);
// True when `value` holds a Countersign token prefix at the start of a word.
bool holds_token(std::string_view value);

TraceHeaders redact_headers(const TraceHeaders& headers);
// "a=1&client_secret=x" -> "a=1&client_secret=%5BREDACTED%5D"; order and encoding of the other
// pairs are kept.
std::string redact_query(std::string_view query);
// A request target (path plus optional query).
std::string redact_target(std::string_view target);
// A body as stored: redacted by its content type, then truncated.
std::string redact_body(std::string_view content_type, std::string_view body);

// The truncation rule alone (exposed for the tests).
std::string truncate_body(std::string body, std::size_t limit = kTraceBodyLimit);

}  // namespace cs::calllog
