#include "calllog/har_export.hpp"

namespace cs::calllog {
namespace {

nlohmann::json name_values(const TraceHeaders& headers) {
  auto out = nlohmann::json::array();
  for (const auto& [name, value] : headers) out.push_back({{"name", name}, {"value", value}});
  return out;
}

std::string header_value(const TraceHeaders& headers, std::string_view wanted) {
  for (const auto& [name, value] : headers) {
    if (name.size() != wanted.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(name[i])) ==
             std::tolower(static_cast<unsigned char>(wanted[i]));
    }
    if (same) return value;
  }
  return {};
}

// HAR queryString: the (already redacted) pairs of the URL, percent-decoded where valid.
nlohmann::json query_pairs(std::string_view url) {
  auto out = nlohmann::json::array();
  auto q = url.find('?');
  if (q == std::string_view::npos) return out;
  auto query = url.substr(q + 1);
  auto decode = [](std::string_view in) {
    std::string s;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '+') {
        s += ' ';
      } else if (in[i] == '%' && i + 2 < in.size() &&
                 std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
        s += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        s += in[i];
      }
    }
    return s;
  };
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    auto pair =
        query.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      out.push_back(
          {{"name", decode(pair.substr(0, eq))},
           {"value", eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1))}});
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

double millis(std::int64_t micros) { return static_cast<double>(micros) / 1000.0; }

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

nlohmann::json capture_json(const TraceCapture& c, Micros now) {
  return {{"id", c.id},
          {"app_id", c.app_id},
          {"active", c.active(now)},
          {"started_at", format_rfc3339(c.started_at)},
          {"expires_at", format_rfc3339(c.expires_at)},
          {"stopped_at",
           c.stopped_at ? nlohmann::json(format_rfc3339(*c.stopped_at)) : nlohmann::json(nullptr)},
          {"max_requests", c.max_requests},
          {"captured", c.captured},
          {"created_by", c.created_by}};
}

std::string export_prologue(TraceExportFormat format, const TraceCapture& c,
                            std::string_view creator_version, Micros now) {
  if (format == TraceExportFormat::json) {
    std::string head = nlohmann::json{{"format", "countersign-trace"}, {"version", 1}}.dump();
    head.pop_back();  // reopen the object for the capture and the entries
    return head + ",\"capture\":" + capture_json(c, now).dump() + ",\"entries\":[";
  }
  nlohmann::json creator = {{"name", "Countersign"}, {"version", std::string(creator_version)}};
  return "{\"log\":{\"version\":\"1.2\",\"creator\":" + creator.dump() + ",\"comment\":" +
         nlohmann::json("Trace capture " + c.id + " of app " + c.app_id +
                        "; secrets redacted before storage")
             .dump() +
         ",\"pages\":[],\"entries\":[";
}

std::string export_epilogue(TraceExportFormat format) {
  return format == TraceExportFormat::json ? "]}" : "]}}";
}

nlohmann::json har_entry(const TraceEntry& e, std::string_view base_url) {
  std::string url = std::string(base_url) + e.url;
  nlohmann::json request = {{"method", e.method},
                            {"url", url},
                            {"httpVersion", "HTTP/1.1"},
                            {"cookies", nlohmann::json::array()},
                            {"headers", name_values(e.request_headers)},
                            {"queryString", query_pairs(e.url)},
                            {"headersSize", -1},
                            {"bodySize", static_cast<std::int64_t>(e.request_body.size())}};
  if (!e.request_body.empty()) {
    auto type = header_value(e.request_headers, "Content-Type");
    request["postData"] = {{"mimeType", type.empty() ? "application/octet-stream" : type},
                           {"params", nlohmann::json::array()},
                           {"text", e.request_body}};
  }
  auto response_type = header_value(e.response_headers, "Content-Type");
  nlohmann::json response = {
      {"status", e.status},
      {"statusText", std::string(reason_phrase(e.status))},
      {"httpVersion", "HTTP/1.1"},
      {"cookies", nlohmann::json::array()},
      {"headers", name_values(e.response_headers)},
      {"content",
       {{"size", static_cast<std::int64_t>(e.response_body.size())},
        {"mimeType", response_type.empty() ? "application/octet-stream" : response_type},
        {"text", e.response_body}}},
      {"redirectURL", header_value(e.response_headers, "Location")},
      {"headersSize", -1},
      {"bodySize", static_cast<std::int64_t>(e.response_body.size())}};
  return {{"startedDateTime", format_rfc3339(e.at)},
          {"time", millis(e.latency_us)},
          {"request", std::move(request)},
          {"response", std::move(response)},
          {"cache", nlohmann::json::object()},
          {"timings", {{"send", 0}, {"wait", millis(e.latency_us)}, {"receive", 0}}},
          {"comment", "request " + e.request_id + ", entry " + std::to_string(e.seq)}};
}

nlohmann::json json_entry(const TraceEntry& e, std::string_view base_url) {
  return {{"seq", e.seq},
          {"at", format_rfc3339(e.at)},
          {"request_id", e.request_id},
          {"latency_us", e.latency_us},
          {"request",
           {{"method", e.method},
            {"url", std::string(base_url) + e.url},
            {"headers", name_values(e.request_headers)},
            {"body", e.request_body}}},
          {"response",
           {{"status", e.status},
            {"headers", name_values(e.response_headers)},
            {"body", e.response_body}}}};
}

}  // namespace cs::calllog
