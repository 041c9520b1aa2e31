#include "http/json_body.hpp"

#include "core/utf8.hpp"

namespace http {
namespace {

// Deeper documents are refused before parsing so that no recursion in the JSON library can
// be driven by a hostile body.
constexpr int kMaxDepth = 64;

bool is_json_media_type(std::string_view ct) {
  auto semi = ct.find(';');
  std::string_view type = ct.substr(0, semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return iequals(type, "application/json");
}

bool nesting_within_limit(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

cs::Error wrong_type(std::string_view key, std::string_view expected) {
  return cs::Error(cs::Errc::validation_failed,
                   std::string(key) + " must be " + std::string(expected))
      .with_field(std::string(key));
}

const nlohmann::json* find(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

cs::Error missing(std::string_view key) {
  return cs::Error(cs::Errc::validation_failed, std::string(key) + " is required")
      .with_field(std::string(key));
}

}  // namespace

cs::Result<nlohmann::json> parse_json_object(std::string_view content_type, std::string_view body) {
  if (!is_json_media_type(content_type)) {
    return cs::fail(cs::Errc::unsupported_media_type, "Content-Type must be application/json");
  }
  if (!cs::is_valid_utf8(body)) {
    return cs::fail(cs::Errc::invalid_utf8, "request body is not valid UTF-8");
  }
  if (!nesting_within_limit(body)) {
    return cs::fail(cs::Errc::malformed_json, "JSON nesting is too deep");
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return cs::fail(cs::Errc::malformed_json,
                    "request body is not valid JSON (near byte " + std::to_string(e.byte) + ")");
  }
  if (!doc.is_object()) {
    return cs::fail(cs::Errc::invalid_request, "request body must be a JSON object");
  }
  return doc;
}

cs::Result<nlohmann::json> parse_json_object(const Request& req) {
  return parse_json_object(req.header("Content-Type").value_or(""), req.body);
}

cs::Status reject_unknown_fields(const nlohmann::json& obj,
                                 std::initializer_list<std::string_view> allowed) {
  if (!obj.is_object()) return {};
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      return cs::fail(cs::Error(cs::Errc::unknown_field, "unknown field: " + key).with_field(key));
    }
  }
  return {};
}

cs::Result<std::optional<std::string>> optional_string(const nlohmann::json& obj,
                                                       std::string_view key) {
  const auto* v = find(obj, key);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return cs::fail(wrong_type(key, "a string"));
  return std::optional<std::string>(v->get<std::string>());
}

cs::Result<std::string> required_string(const nlohmann::json& obj, std::string_view key) {
  auto v = CS_TRY(optional_string(obj, key));
  if (!v) return cs::fail(missing(key));
  return std::move(*v);
}

cs::Result<std::optional<bool>> optional_bool(const nlohmann::json& obj, std::string_view key) {
  const auto* v = find(obj, key);
  if (!v) return std::optional<bool>{};
  if (!v->is_boolean()) return cs::fail(wrong_type(key, "a boolean"));
  return std::optional<bool>(v->get<bool>());
}

cs::Result<bool> required_bool(const nlohmann::json& obj, std::string_view key) {
  auto v = CS_TRY(optional_bool(obj, key));
  if (!v) return cs::fail(missing(key));
  return *v;
}

cs::Result<std::optional<std::int64_t>> optional_int(const nlohmann::json& obj,
                                                     std::string_view key) {
  const auto* v = find(obj, key);
  if (!v) return std::optional<std::int64_t>{};
  // Unsigned values above INT64_MAX and floats (1.5, 1e3) are not integers here.
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return cs::fail(wrong_type(key, "an integer"));
    return std::optional<std::int64_t>(static_cast<std::int64_t>(u));
  }
  if (!v->is_number_integer()) return cs::fail(wrong_type(key, "an integer"));
  return std::optional<std::int64_t>(v->get<std::int64_t>());
}

cs::Result<std::int64_t> required_int(const nlohmann::json& obj, std::string_view key) {
  auto v = CS_TRY(optional_int(obj, key));
  if (!v) return cs::fail(missing(key));
  return *v;
}

}  // namespace http
