#include "web/form.hpp"

#include <string_view>

namespace cs::web {

Result<Form> parse_form(const http::Request& request) {
  auto type = request.header("Content-Type").value_or("");
  auto semi = type.find(';');
  auto media = type.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (!http::iequals(media, "application/x-www-form-urlencoded")) {
    return fail(Errc::unsupported_media_type, "Expected an application/x-www-form-urlencoded form");
  }
  Form form;
  std::string_view body = request.body;
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = http::percent_decode(pair.substr(0, eq), true);
    auto value = http::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!name || !value) return fail(Errc::invalid_request, "The form is not validly encoded");
    if (!form.emplace(std::move(*name), std::move(*value)).second) {
      return fail(Errc::invalid_request, "A form field was sent twice");
    }
  }
  return form;
}

std::string form_value(const Form& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

}  // namespace cs::web
