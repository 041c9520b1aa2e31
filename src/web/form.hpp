// application/x-www-form-urlencoded bodies of the server-rendered pages.
#pragma once

#include <map>
#include <optional>
#include <string_view>
#include <vector>
#include <string>

#include "core/error.hpp"
#include "http/request.hpp"

namespace cs::web {

using Form = std::map<std::string, std::string>;

// Every value of every parameter of an application/x-www-form-urlencoded string (a query or
// a form body), in order, so callers can refuse duplicates (RFC 6749 §3.1). nullopt when a name
// or value is not validly encoded (bad escape, NUL, invalid UTF-8).
std::optional<std::map<std::string, std::vector<std::string>>> parse_urlencoded(std::string_view text);

// Parses the body of a form POST. 415 for another content type; 400 for a bad encoding,
// invalid UTF-8 or a repeated field (a repeated field is ambiguous, so it is refused).
Result<Form> parse_form(const http::Request& request);

// The value of `name`, or empty.
std::string form_value(const Form& form, const std::string& name);

}  // namespace cs::web
