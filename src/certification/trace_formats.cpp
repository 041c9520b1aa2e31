#include "certification/trace_formats.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "crypto/primitives.hpp"

namespace cs::certification::detail {
namespace {

using nlohmann::json;

constexpr std::string_view kSoap11 = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view kSoap12 = "http://www.w3.org/2003/05/soap-envelope";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

tl::unexpected<Error> refuse(std::string_view label, std::string message) {
  return fail(Errc::validation_failed, std::string(label) + ": " + std::move(message));
}

std::string entry_name(std::size_t i) { return "entry " + std::to_string(i); }

// ---- JSON: HAR 1.2 and the JSON export -------------------------------------------------------

std::string as_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump();
}

// [{"name": ..., "value": ...}] (HAR) or {"name": "value"} (a plain map).
NameValues read_pairs(const json& owner, std::string_view key) {
  NameValues out;
  const auto it = owner.find(key);
  if (it == owner.end()) return out;
  if (it->is_array()) {
    for (const auto& p : *it)
      if (p.is_object() && p.contains("name")) out.emplace_back(as_text(p["name"]), p.contains("value") ? as_text(p["value"]) : "");
  } else if (it->is_object()) {
    for (const auto& [name, value] : it->items()) out.emplace_back(name, as_text(value));
  }
  return out;
}

std::string header_value(const NameValues& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (lower(n) == name) return v;
  return {};
}

// HAR content {"mimeType", "text", "encoding"}: browsers base64 binary or compressed bodies.
void read_content(const json& content, TraceMessage& msg) {
  if (!content.is_object()) return;
  if (content.contains("mimeType")) msg.mime_type = as_text(content["mimeType"]);
  if (!content.contains("text")) return;
  msg.body = as_text(content["text"]);
  if (content.contains("encoding") && as_text(content["encoding"]) == "base64") {
    if (auto raw = crypto::base64_decode(msg.body)) msg.body.assign(raw->begin(), raw->end());
  }
}

void read_message(const json& m, TraceMessage& msg, std::string_view content_key) {
  msg.headers = read_pairs(m, "headers");
  msg.cookies = read_pairs(m, "cookies");
  if (const auto content = m.find(content_key); content != m.end() && content->is_object()) {
    read_content(*content, msg);
    msg.form_params = read_pairs(*content, "params");
  }
  if (m.contains("body")) msg.body = as_text(m["body"]);
  if (msg.mime_type.empty()) msg.mime_type = header_value(msg.headers, "content-type");
}

Result<TraceExchange> read_json_entry(const json& e, std::size_t i, std::string_view label) {
  if (!e.is_object()) return refuse(label, entry_name(i) + " is not an object");
  const auto req = e.find("request");
  if (req == e.end() || !req->is_object()) return refuse(label, entry_name(i) + " has no request");
  TraceExchange x;
  if (!req->contains("method") || !(*req)["method"].is_string() || (*req)["method"].get<std::string>().empty())
    return refuse(label, entry_name(i) + " has no request method");
  if (!req->contains("url") || !(*req)["url"].is_string() || (*req)["url"].get<std::string>().empty())
    return refuse(label, entry_name(i) + " has no request URL");
  x.method = (*req)["method"].get<std::string>();
  x.url = (*req)["url"].get<std::string>();
  read_message(*req, x.request, "postData");
  const auto res = e.find("response");
  if (res != e.end() && !res->is_null()) {
    if (!res->is_object()) return refuse(label, entry_name(i) + " has a response that is not an object");
    const auto status = res->find("status");
    if (status == res->end() || !status->is_number_integer() || status->get<std::int64_t>() < 0 ||
        status->get<std::int64_t>() > 999)
      return refuse(label, entry_name(i) + " has a response without a numeric status");
    x.status = status->get<int>();
    // HAR writes status 0 for a request that never got an answer (blocked, aborted).
    x.has_response = x.status > 0;
    read_message(*res, x.response, "content");
  }
  return x;
}

// ---- XML: request/response documents and SOAP envelopes -------------------------------------

std::string_view namespace_of(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  const std::string attr = colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(name.substr(0, colon));
  for (pugi::xml_node n = node; n; n = n.parent())
    if (const auto a = n.attribute(attr.c_str())) return a.value();
  return {};
}

bool is_soap_envelope(const pugi::xml_node& node) {
  if (node.type() != pugi::node_element || xml_local_name(node.name()) != "Envelope") return false;
  const auto ns = namespace_of(node);
  return ns == kSoap11 || ns == kSoap12;
}

pugi::xml_node child_by_local_name(const pugi::xml_node& parent, std::string_view local) {
  for (auto c = parent.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && lower(xml_local_name(c.name())) == lower(local)) return c;
  return {};
}

// The first element inside soap:Body: the operation of a request, "Fault" for a failure.
std::string soap_operation(const pugi::xml_node& envelope) {
  const auto body = child_by_local_name(envelope, "Body");
  for (auto c = body.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) return std::string(xml_local_name(c.name()));
  return {};
}

std::string serialise(const pugi::xml_node& node) {
  std::ostringstream out;
  node.print(out, "", pugi::format_raw);
  return out.str();
}

pugi::xml_node find_envelope(const pugi::xml_node& root) {
  for (auto n = root.first_child(); n;) {
    if (is_soap_envelope(n)) return n;
    if (n.first_child()) { n = n.first_child(); continue; }
    while (n && n != root && !n.next_sibling()) n = n.parent();
    if (!n || n == root) break;
    n = n.next_sibling();
  }
  return {};
}

// <request>/<response>: attributes, <header name=..> children (directly or in <headers>), and a
// <body> (XML children, or text/CDATA); without <body>, the other element children are the body.
void read_xml_message(const pugi::xml_node& el, TraceMessage& msg) {
  auto add_headers = [&](const pugi::xml_node& parent) {
    for (auto c = parent.first_child(); c; c = c.next_sibling())
      if (c.type() == pugi::node_element && lower(xml_local_name(c.name())) == "header")
        msg.headers.emplace_back(c.attribute("name").value(), c.text().get());
  };
  add_headers(el);
  if (const auto hs = child_by_local_name(el, "headers")) add_headers(hs);
  msg.mime_type = header_value(msg.headers, "content-type");
  if (const auto body = child_by_local_name(el, "body")) {
    bool has_elements = false;
    for (auto c = body.first_child(); c; c = c.next_sibling())
      if (c.type() == pugi::node_element) {
        has_elements = true;
        msg.body += serialise(c);
      }
    if (!has_elements) msg.body = body.text().get();
    return;
  }
  for (auto c = el.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const auto local = lower(xml_local_name(c.name()));
    if (local == "header" || local == "headers" || local == "method" || local == "url") continue;
    msg.body += serialise(c);
  }
}

std::string attribute_or_child(const pugi::xml_node& el, const char* name) {
  if (const auto a = el.attribute(name)) return a.value();
  if (const auto c = child_by_local_name(el, name)) return c.text().get();
  return {};
}

int soap_status(const pugi::xml_node& envelope) { return soap_operation(envelope) == "Fault" ? 500 : 200; }

Result<ParsedTrace> read_wrapped(const std::vector<pugi::xml_node>& elements, std::string_view label) {
  ParsedTrace trace{TraceFormat::xml, {}};
  std::size_t requests = 0;
  for (const auto& el : elements) {
    const auto envelope = find_envelope(el);
    if (envelope) trace.format = TraceFormat::soap;
    if (lower(xml_local_name(el.name())) == "request") {
      TraceExchange x;
      x.method = attribute_or_child(el, "method");
      x.url = attribute_or_child(el, "url");
      if (envelope) {
        x.operation = soap_operation(envelope);
        if (x.method.empty()) x.method = "POST";  // SOAP is always a POST
      }
      if (x.method.empty()) return refuse(label, "request " + std::to_string(requests) + " has no method attribute");
      read_xml_message(el, x.request);
      trace.exchanges.push_back(std::move(x));
      ++requests;
      continue;
    }
    if (trace.exchanges.empty() || trace.exchanges.back().has_response)
      return refuse(label, "a response element has no request before it");
    auto& x = trace.exchanges.back();
    const std::string status = attribute_or_child(el, "status");
    if (!status.empty()) {
      int value = 0;
      const auto [end, ec] = std::from_chars(status.data(), status.data() + status.size(), value);
      if (ec != std::errc{} || end != status.data() + status.size() || value < 100 || value > 599)
        return refuse(label, "the response to request " + std::to_string(requests - 1) + " has an invalid status");
      x.status = value;
    } else if (envelope) {
      x.status = soap_status(envelope);
    } else {
      return refuse(label, "the response to request " + std::to_string(requests - 1) + " has no status attribute");
    }
    x.has_response = true;
    read_xml_message(el, x.response);
  }
  return trace;
}

ParsedTrace read_bare_envelopes(const std::vector<pugi::xml_node>& envelopes) {
  ParsedTrace trace{TraceFormat::soap, {}};
  for (std::size_t i = 0; i < envelopes.size(); i += 2) {
    TraceExchange x;
    x.method = "POST";
    x.operation = soap_operation(envelopes[i]);
    x.request.body = serialise(envelopes[i]);
    if (i + 1 < envelopes.size()) {
      x.has_response = true;
      x.status = soap_status(envelopes[i + 1]);
      x.response.body = serialise(envelopes[i + 1]);
    }
    trace.exchanges.push_back(std::move(x));
  }
  return trace;
}

}  // namespace

UrlParts split_url(std::string_view url) {
  if (const auto scheme = url.find("://"); scheme != std::string_view::npos) {
    const auto slash = url.find_first_of("/?#", scheme + 3);
    url = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  }
  const auto fragment = url.find('#');
  if (fragment != std::string_view::npos) url = url.substr(0, fragment);
  const auto q = url.find('?');
  if (q == std::string_view::npos) return {url, {}};
  return {url.substr(0, q), url.substr(q + 1)};
}


std::string_view xml_local_name(std::string_view qualified) {
  const auto colon = qualified.rfind(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

bool json_too_deep(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if (c == '}' || c == ']') --depth;
  }
  return false;
}

int xml_depth(const pugi::xml_node& root) {
  int depth = 0;
  int deepest = 0;
  for (auto n = root.first_child(); n;) {
    if (n.first_child()) {
      n = n.first_child();
      deepest = std::max(deepest, ++depth + 1);
      continue;
    }
    deepest = std::max(deepest, depth + 1);
    while (n && n != root && !n.next_sibling()) {
      n = n.parent();
      --depth;
    }
    if (!n || n == root) break;
    n = n.next_sibling();
  }
  return deepest;
}

Result<ParsedTrace> parse_json_trace(std::string_view text, std::string_view label) {
  if (json_too_deep(text, kMaxTraceNesting))
    return refuse(label, "JSON nested deeper than " + std::to_string(kMaxTraceNesting) + " levels");
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return refuse(label, "not valid JSON (syntax error at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {  // out_of_range: a number beyond double
    return refuse(label, "not valid JSON (a number out of range)");
  }
  ParsedTrace trace;
  const json* entries = nullptr;
  if (doc.is_object() && doc.contains("log")) {
    const auto& log = doc["log"];
    if (!log.is_object() || !log.contains("entries") || !log["entries"].is_array())
      return refuse(label, "a HAR file needs log.entries");
    if (log.contains("version") && as_text(log["version"]) != "1.2" && as_text(log["version"]) != "1.1")
      return refuse(label, "HAR version " + as_text(log["version"]) + " is not supported (HAR 1.2 is)");
    trace.format = TraceFormat::har;
    entries = &log["entries"];
  } else if (doc.is_object() && doc.contains("entries") && doc["entries"].is_array()) {
    trace.format = TraceFormat::json;
    entries = &doc["entries"];
  } else if (doc.is_array()) {
    trace.format = TraceFormat::json;
    entries = &doc;
  } else {
    return refuse(label, "JSON without log.entries (HAR 1.2) or entries (request/response pairs)");
  }
  if (entries->size() > kMaxTraceEntries)
    return refuse(label, "more than " + std::to_string(kMaxTraceEntries) + " entries");
  trace.exchanges.reserve(entries->size());
  for (std::size_t i = 0; i < entries->size(); ++i)
    trace.exchanges.push_back(CS_TRY(read_json_entry((*entries)[i], i, label)));
  return trace;
}

Result<ParsedTrace> parse_xml_trace(std::string_view text, std::string_view label) {
  pugi::xml_document doc;
  // No DTD processing in pugixml: entities are never expanded, external ones never fetched.
  const auto parsed = doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_fragment);
  if (!parsed)
    return refuse(label, std::string("not well-formed XML (") + parsed.description() + " at byte " +
                             std::to_string(parsed.offset) + ")");
  if (xml_depth(doc) > kMaxTraceNesting)
    return refuse(label, "XML nested deeper than " + std::to_string(kMaxTraceNesting) + " levels");
  // Document order; neither request/response elements nor envelopes are searched inside.
  std::vector<pugi::xml_node> wrapped, envelopes;
  for (auto n = doc.first_child(); n;) {
    bool descend = n.type() == pugi::node_element;
    if (descend) {
      const auto local = lower(xml_local_name(n.name()));
      if (local == "request" || local == "response") {
        wrapped.push_back(n);
        descend = false;
      } else if (is_soap_envelope(n)) {
        envelopes.push_back(n);
        descend = false;
      }
    }
    if (wrapped.size() + envelopes.size() > 2 * kMaxTraceEntries)
      return refuse(label, "more than " + std::to_string(kMaxTraceEntries) + " entries");
    if (descend && n.first_child()) {
      n = n.first_child();
      continue;
    }
    while (n && !n.next_sibling()) n = n.parent();
    if (n) n = n.next_sibling();
  }
  if (!wrapped.empty()) return read_wrapped(wrapped, label);
  if (!envelopes.empty()) return read_bare_envelopes(envelopes);
  return refuse(label, "XML without request/response elements or SOAP envelopes");
}

}  // namespace cs::certification::detail
