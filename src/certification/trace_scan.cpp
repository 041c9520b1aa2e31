#include "certification/trace_scan.hpp"

#include <algorithm>
#include <cctype>

#include "certification/trace_formats.hpp"
#include "certification/trace_secrets.hpp"
#include "core/utf8.hpp"

namespace cs::certification {
namespace {

constexpr std::size_t kMaxLabelBytes = 256;

using detail::lower;
using detail::trim;

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (slash != 0) out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

void add_function(std::vector<std::string>& out, std::string_view f) {
  if (std::find(out.begin(), out.end(), f) == out.end()) out.emplace_back(f);
}

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

}  // namespace

std::string_view to_string(TraceFormat f) {
  switch (f) {
    case TraceFormat::har: return "har";
    case TraceFormat::json: return "json";
    case TraceFormat::xml: return "xml";
    case TraceFormat::soap: return "soap";
  }
  return "unknown";
}

std::string_view to_string(SecretKind k) {
  switch (k) {
    case SecretKind::bearer_token: return "bearer_token";
    case SecretKind::basic_credentials: return "basic_credentials";
    case SecretKind::countersign_token: return "countersign_token";
    case SecretKind::secret_field: return "secret_field";
    case SecretKind::cookie: return "cookie";
  }
  return "unknown";
}

std::string_view to_string(TraceSide s) { return s == TraceSide::request ? "request" : "response"; }

std::string_view to_string(SecretPlace p) {
  switch (p) {
    case SecretPlace::header: return "header";
    case SecretPlace::cookie: return "cookie";
    case SecretPlace::url: return "url";
    case SecretPlace::query: return "query parameter";
    case SecretPlace::form: return "form field";
    case SecretPlace::body: return "body";
  }
  return "unknown";
}

std::string SecretFinding::location() const {
  auto out = "entry " + std::to_string(entry) + ", " + std::string(to_string(side)) + " " + std::string(to_string(place));
  if (!name.empty()) out += " " + name;
  return out;
}

std::size_t TraceReport::pair_count() const {
  return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [](const TraceCall& c) { return c.status > 0; }));
}

std::vector<std::string> functions_for_call(std::string_view method, std::string_view path) {
  std::vector<std::string> out;
  const auto m = lower(method);
  const auto seg = segments(path);
  if (seg.size() >= 2 && seg[0] == "v1" && seg[1] == "envelopes") {
    if (m == "post" && (seg.size() == 2 || (seg.size() == 4 && seg[3] == "send"))) add_function(out, "send");
    if (m == "post" && seg.size() == 5 && seg[3] == "views" && seg[4] == "recipient") {
      add_function(out, "sign");
      add_function(out, "embedded_signing");
    }
    if (m == "get") add_function(out, "track");
  }
  if (m == "get" && std::any_of(seg.begin(), seg.end(), [](auto s) { return s == "events" || s == "recipients"; }))
    add_function(out, "track");
  if (!seg.empty() && seg[0] == "sign") add_function(out, "sign");
  if (seg.size() >= 2 && seg[0] == "v1" && seg[1] == "webhooks") add_function(out, "webhooks");
  return out;
}

std::vector<std::string> functions_for_soap_operation(std::string_view op) {
  std::vector<std::string> out;
  if (op.empty()) return out;
  if (contains(op, "RecipientToken") || contains(op, "RecipientView")) {
    add_function(out, "sign");
    add_function(out, "embedded_signing");
  } else if (contains(op, "Send") || op.starts_with("CreateEnvelope") || op.starts_with("CreateAndSend")) {
    add_function(out, "send");
  } else if (op.starts_with("RequestStatus") || op.starts_with("GetEnvelope") || op.starts_with("ListEnvelopes") ||
             contains(op, "History") || contains(op, "Events") || contains(op, "Recipients")) {
    add_function(out, "track");
  }
  if (contains(op, "Webhook") || contains(op, "Connect")) add_function(out, "webhooks");
  return out;
}

Result<TraceReport> analyse_trace(std::string_view bytes, std::string_view filename) {
  const std::string label = filename.empty() ? std::string("trace") : to_storable_utf8(filename, kMaxLabelBytes);
  if (bytes.size() > kMaxTraceBytes)
    return fail(Errc::payload_too_large, label + ": a trace may be at most " + std::to_string(kMaxTraceBytes) + " bytes");
  auto text = bytes;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  text = trim(text);
  if (text.empty()) return fail(Errc::validation_failed, label + ": the trace file is empty");

  detail::ParsedTrace parsed;
  if (text.front() == '{' || text.front() == '[') parsed = CS_TRY(detail::parse_json_trace(text, label));
  else if (text.front() == '<') parsed = CS_TRY(detail::parse_xml_trace(text, label));
  else
    return fail(Errc::validation_failed,
                label + ": not a trace file: expected HAR 1.2, JSON, XML or SOAP request/response traces");

  TraceReport report;
  report.format = parsed.format;
  report.calls.reserve(parsed.exchanges.size());
  for (std::size_t i = 0; i < parsed.exchanges.size(); ++i) {
    const detail::TraceExchange& x = parsed.exchanges[i];
    TraceCall call;
    call.method = to_storable_utf8(x.method, 16);
    const auto path = detail::split_url(x.url).path;
    call.path = to_storable_utf8(path, 2048);
    call.operation = to_storable_utf8(x.operation, kMaxLabelBytes);
    call.status = x.has_response ? x.status : 0;
    call.functions = functions_for_call(x.method, path);
    for (const auto& f : functions_for_soap_operation(x.operation)) add_function(call.functions, f);
    if (x.has_response) report.functions_covered.insert(call.functions.begin(), call.functions.end());
    CS_CHECK(detail::scan_message(report, x.request, x.url, i, TraceSide::request));
    if (x.has_response) CS_CHECK(detail::scan_message(report, x.response, {}, i, TraceSide::response));
    report.calls.push_back(std::move(call));
  }
  return report;
}

}  // namespace cs::certification
