#include "http/response.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace http {

void Response::set_header(std::string name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  headers.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  // Replacement rather than an exception: a handler must never fail while rendering.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

Response Response::html(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  return r;
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  return r;
}

Response Response::redirect(int status, std::string location) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

Response Response::problem(const cs::Error& error, std::string_view request_id,
                           HeaderList extra_headers) {
  const cs::ErrorInfo& info = cs::error_info(error.errc());
  nlohmann::json body = {
      {"type", "/problems/" + std::string(info.code)},
      {"title", info.title},
      {"status", info.http_status},
      {"detail", error.message()},
      {"code", info.code},
  };
  if (!request_id.empty()) body["request_id"] = request_id;
  if (!error.field().empty()) body["field"] = error.field();
  if (!error.extensions_json().empty()) {
    auto extra = nlohmann::json::parse(error.extensions_json(), nullptr, false);
    if (extra.is_object()) {
      for (auto& [key, value] : extra.items()) {
        if (!body.contains(key)) body[key] = value;
      }
    }
  }
  if (!error.detail().empty()) {
    spdlog::warn("request_id={} code={} detail={}", request_id, info.code, error.detail());
  }
  Response r;
  r.status = info.http_status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.emplace_back("Content-Type", "application/problem+json");
  for (auto& h : extra_headers) r.headers.push_back(std::move(h));
  return r;
}

}  // namespace http
