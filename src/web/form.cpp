#include "web/form.hpp"

#include <string_view>

namespace cs::web {

std::optional<std::map<std::string, std::vector<std::string>>> parse_urlencoded(std::string_view text) {
  std::map<std::string, std::vector<std::string>> out;
  while (!text.empty()) {
    auto amp = text.find('&');
    auto pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = http::percent_decode(pair.substr(0, eq), true);
    auto value = http::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out[std::move(*name)].push_back(std::move(*value));
  }
  return out;
}

Result<Form> parse_form(const http::Request& request) {
  auto type = request.header("Content-Type").value_or("");
  auto semi = type.find(';');
  auto media = type.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (!http::iequals(media, "application/x-www-form-urlencoded")) {
    return fail(Errc::unsupported_media_type, "Expected an application/x-www-form-urlencoded form");
  }
  auto all = parse_urlencoded(request.body);
  if (!all) return fail(Errc::invalid_request, "The form is not validly encoded");
  Form form;
  for (auto& [name, values] : *all) {
    if (values.size() > 1) return fail(Errc::invalid_request, "A form field was sent twice");
    form.emplace(name, std::move(values.front()));
  }
  return form;
}

std::string form_value(const Form& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

}  // namespace cs::web
