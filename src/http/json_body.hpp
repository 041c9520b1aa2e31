// Strict JSON request bodies (issue 2 "Bad input"): each failure maps to one stable error code.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "http/request.hpp"

namespace http {

// Requires `Content-Type: application/json` (parameters such as charset allowed) → else 415;
// valid UTF-8 → else invalid_utf8; well-formed JSON → else malformed_json (with a byte
// position, never the parser's message); a top-level object → else invalid_request.
cs::Result<nlohmann::json> parse_json_object(const Request& req);
// The same checks for a body that did not come from a Request.
cs::Result<nlohmann::json> parse_json_object(std::string_view content_type, std::string_view body);

// unknown_field naming the first key of `obj` not in `allowed`.
cs::Status reject_unknown_fields(const nlohmann::json& obj,
                                 std::initializer_list<std::string_view> allowed);

// Typed getters: a wrong type is validation_failed with the field set. For the optional_*
// getters a missing key or JSON null is std::nullopt.
cs::Result<std::string> required_string(const nlohmann::json& obj, std::string_view key);
cs::Result<std::optional<std::string>> optional_string(const nlohmann::json& obj,
                                                       std::string_view key);
cs::Result<bool> required_bool(const nlohmann::json& obj, std::string_view key);
cs::Result<std::optional<bool>> optional_bool(const nlohmann::json& obj, std::string_view key);
cs::Result<std::int64_t> required_int(const nlohmann::json& obj, std::string_view key);
cs::Result<std::optional<std::int64_t>> optional_int(const nlohmann::json& obj,
                                                     std::string_view key);

}  // namespace http
