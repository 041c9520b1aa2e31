// Internal to the trace analysis (trace_scan.hpp): reading each accepted file layout into one
// neutral list of exchanges, so that the secret scanner and the function mapping do not care
// whether a call came from a HAR, a JSON export, an XML trace or a SOAP envelope.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "certification/trace_scan.hpp"
#include "core/error.hpp"

namespace pugi {
class xml_node;
}

namespace cs::certification::detail {

using NameValues = std::vector<std::pair<std::string, std::string>>;

struct TraceMessage {
  NameValues headers;
  NameValues cookies;      // HAR's parsed cookie lists
  NameValues form_params;  // HAR postData.params
  std::string mime_type;
  std::string body;  // text as sent (HAR base64 content decoded)
};

struct TraceExchange {
  std::string method;
  std::string url;
  std::string operation;  // SOAP operation of the request envelope
  bool has_response = false;
  int status = 0;
  TraceMessage request;
  TraceMessage response;
};

struct ParsedTrace {
  TraceFormat format{};
  std::vector<TraceExchange> exchanges;
};

struct UrlParts {
  std::string_view path;   // without query and fragment; empty for a bare host
  std::string_view query;  // after '?', undecoded
};
// An absolute URL ("https://host/v1/x?q") or an origin-relative one ("/v1/x?q").
UrlParts split_url(std::string_view url);

// `label` names the file in messages ("trace.har").
Result<ParsedTrace> parse_json_trace(std::string_view text, std::string_view label);
Result<ParsedTrace> parse_xml_trace(std::string_view text, std::string_view label);

// Depth of JSON arrays/objects, counted without parsing (strings and escapes respected), so
// that nothing deeper than kMaxTraceNesting is ever handed to a parser or walker.
bool json_too_deep(std::string_view text, int limit);
// Deepest element nesting below `root`, counted without recursion.
int xml_depth(const pugi::xml_node& root);
// The local part of an XML name ("soapenv:Envelope" -> "Envelope").
std::string_view xml_local_name(std::string_view qualified);

}  // namespace cs::certification::detail
