// Request/response traces (issue 6 §3; requirements TRC-1 and TRC-2; DESIGN.md "The
// certification program": "REST JSON/XML, or SOAP traces. HAR 1.2 files are accepted. They are
// checked for secrets that were left in"). Pure analysis of the uploaded bytes: no storage, no
// network, so the secret scanner is unit-tested directly (CRAFT.md "Keep I/O apart").
//
// Accepted files (the content decides; the file name only labels messages):
//   har   HAR 1.2: {"log": {"version", "entries": [{request, response}]}}, as browsers and
//         Countersign's trace capture export it.
//   json  Countersign's JSON trace export {"entries": [...]} or a bare array of entries, each
//         {"request": {"method", "url", "headers", "body"}, "response": {"status", "headers",
//         "body"}}. headers: [{"name","value"}] or {"name": "value"}; body: text or any JSON
//         value; HAR's postData / content / cookies are read too.
//   xml   <anything><request method="POST" url="...">  <header name="...">value</header>
//           <body>XML, or text/CDATA</body></request>  <response status="200">...</response>
//         </anything>: request/response elements (in any prefix, at any depth) paired in order.
//   soap  SOAP 1.1/1.2 envelopes (soap:Envelope, soapenv:Envelope, any prefix bound to the SOAP
//         namespace): as the bodies of the xml form above, or a file of bare envelopes (one
//         document or several in a row) paired by order: request, response, request, ...
//
// Declared functions a call demonstrates (catalogue `functions`), by method and URL path:
//   send              POST /v1/envelopes, POST /v1/envelopes/{id}/send
//   track             GET /v1/envelopes[/{id}[/...]], any GET whose path has an `events` or
//                     `recipients` segment
//   sign              POST /v1/envelopes/{id}/views/recipient, any request under /sign/
//   embedded_signing  POST /v1/envelopes/{id}/views/recipient
//   webhooks          any request to /v1/webhooks[/...]
// A SOAP call without a URL is mapped by its operation (the first element of soap:Body):
//   *Send*, CreateEnvelope*, CreateAndSend* -> send; RequestRecipientToken, *RecipientView* ->
//   sign + embedded_signing; RequestStatus*, GetEnvelope*, ListEnvelopes*, *History*,
//   *Events*, *Recipients* -> track; *Webhook*, *Connect* -> webhooks.
// Only calls that got a response count towards functions_covered.
//
// Live secrets (TRC-2), reported once per location:
//   bearer_token       Authorization: Bearer <value>
//   basic_credentials  Authorization: Basic <value>
//   countersign_token  any string holding a Countersign token prefix (crypto/tokens.hpp) with at
//                      least 8 token characters after it: headers, URL path and query, bodies
//   secret_field       JSON / form / query / XML fields (and headers) named client_secret,
//                      access_token, refresh_token, password, code_verifier or secret (any case;
//                      an XML prefix and a header's "x-" are ignored) with a value
//   cookie             Cookie / Set-Cookie headers and HAR cookie lists, per cookie with a value
// A value is redacted, not live, when it is empty, only mask characters (* x X • # . - _ …),
// mentions redacted / filtered / removed / masked / hidden / omitted, or is a placeholder
// (<...>, {{...}}, ${...}). A finding never carries the secret: only a masked preview.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cs::certification {

inline constexpr std::size_t kMaxTraceBytes = 64u * 1024 * 1024;
inline constexpr std::size_t kMaxTraceEntries = 100'000;
inline constexpr int kMaxTraceNesting = 64;       // JSON / XML depth, file and bodies alike
inline constexpr std::size_t kMaxSecretFindings = 1'000;  // then `secrets_omitted` counts the rest

enum class TraceFormat { har, json, xml, soap };
std::string_view to_string(TraceFormat f);

enum class SecretKind { bearer_token, basic_credentials, countersign_token, secret_field, cookie };
std::string_view to_string(SecretKind k);

enum class TraceSide { request, response };
std::string_view to_string(TraceSide s);

// Which part of the message holds the secret; `name` says where inside it.
enum class SecretPlace {
  header,  // name: the header name ("Authorization")
  cookie,  // name: the cookie name (Cookie / Set-Cookie header or HAR cookie list)
  url,     // name: "path"
  query,   // name: the query parameter
  form,    // name: the form field (urlencoded body or HAR postData.params)
  body,    // name: a JSON pointer ("/credentials/password") or an XML path ("/soap:Envelope/...")
};
std::string_view to_string(SecretPlace p);

struct SecretFinding {
  SecretKind kind{};
  std::size_t entry = 0;  // 0-based index of the request/response pair in the file
  TraceSide side{};
  SecretPlace place{};
  std::string name;
  // The first characters of the secret and "…": 6 at most, and never more than a third of it.
  std::string preview;
  // "entry 3, request header Authorization"
  std::string location() const;
};

struct TraceCall {
  std::string method;
  std::string path;       // URL path without query; empty for a bare SOAP envelope
  std::string operation;  // SOAP operation, when there is one
  int status = 0;         // 0: no response in the trace (an unanswered or aborted request)
  std::vector<std::string> functions;
};

struct TraceReport {
  TraceFormat format{};
  std::vector<TraceCall> calls;
  std::set<std::string> functions_covered;
  std::vector<SecretFinding> secrets;
  std::size_t secrets_omitted = 0;  // findings beyond kMaxSecretFindings

  // Request/response pairs: calls that got a response.
  std::size_t pair_count() const;
  bool has_live_secrets() const { return !secrets.empty(); }
};

// Errors: payload_too_large over kMaxTraceBytes; validation_failed for an unknown or unparsable
// format, an entry without a request, method or URL, more than kMaxTraceEntries entries, or
// nesting deeper than kMaxTraceNesting (with the entry named in the message).
Result<TraceReport> analyse_trace(std::string_view bytes, std::string_view filename);

// The mapping above, exposed for the call-log consistency check (TRC-3).
std::vector<std::string> functions_for_call(std::string_view method, std::string_view path);
std::vector<std::string> functions_for_soap_operation(std::string_view operation);

}  // namespace cs::certification
