// Server-rendered pages: mustache templates (escaped by default) and static assets, both
// embedded into the binary at build time from src/web/templates and src/web/static.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <mstch/mstch.hpp>

namespace cs::web {

// Renders templates/<name>.mustache with `context`; every template may use the partials
// {{> head}} and {{> foot}}. Aborts on an unknown template name (a programming error).
std::string render_page(std::string_view name, const mstch::map& context);

struct StaticAsset {
  std::string_view content_type;
  std::string_view body;
};
// static/<name>, or nullopt.
std::optional<StaticAsset> static_asset(std::string_view name);

// The OpenAPI 3.1 document (api/openapi.json), served at /v1/openapi.json. A test keeps it
// equal to the router's routes.
std::string_view openapi_document();

}  // namespace cs::web
