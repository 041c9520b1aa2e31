// application/x-www-form-urlencoded bodies of the server-rendered pages.
#pragma once

#include <map>
#include <string>

#include "core/error.hpp"
#include "http/request.hpp"

namespace cs::web {

using Form = std::map<std::string, std::string>;

// Parses the body of a form POST. 415 for another content type; 400 for a bad encoding,
// invalid UTF-8 or a repeated field (a repeated field is ambiguous, so it is refused).
Result<Form> parse_form(const http::Request& request);

// The value of `name`, or empty.
std::string form_value(const Form& form, const std::string& name);

}  // namespace cs::web
