// The response as handlers build it: plain data, no Beast types.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.hpp"
#include "http/request.hpp"

namespace http {

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;
  // A body produced piece by piece, so that an export of any size is never held whole. Called
  // repeatedly on a worker thread: the next piece, an empty string at the end, or an error (the
  // connection is then cut, so the client sees an incomplete transfer rather than a short but
  // well-formed one). Sent with chunked transfer coding; `body` is ignored when this is set.
  std::function<cs::Result<std::string>()> stream;

  // Replaces every header of that name (case-insensitive).
  void set_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;

  static Response json(int status, const nlohmann::json& body);
  static Response html(int status, std::string body);
  static Response text(int status, std::string body);
  static Response redirect(int status, std::string location);  // 303 after a form POST

  // RFC 9457 problem+json from the single error table (core/error.cpp). Only the public
  // message goes into the body; error.detail() goes to the log with the request id.
  // `extra_headers` carries e.g. Retry-After on 429/503 or Allow on 405.
  static Response problem(const cs::Error& error, std::string_view request_id = {},
                          HeaderList extra_headers = {});
};

}  // namespace http
