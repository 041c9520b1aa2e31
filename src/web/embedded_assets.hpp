#pragma once

#include <span>
#include <string_view>

namespace cs::web {

struct EmbeddedFile {
  std::string_view name;  // "templates/login.mustache", "static/app.css"
  std::string_view text;
};

std::span<const EmbeddedFile> embedded_files();

}  // namespace cs::web
